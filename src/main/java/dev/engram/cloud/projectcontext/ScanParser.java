package dev.engram.cloud.projectcontext;

import dev.engram.cloud.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the parsing of uploaded instruction files (a scan body is up to 32 MiB of JSON and 8 MiB of files) off the
 * event loop, on a small pool of its own: not the engines' pool, whose threads own the tenants' databases. At most
 * {@value #MAX_WAITING} parses run or wait at once per HTTP verticle; another is refused with 503
 * {@code unavailable} rather than queued without end.
 */
public final class ScanParser {

  static final String POOL = "engram-scan-parser";
  static final int THREADS = 2;
  static final int MAX_WAITING = 16;

  private final WorkerExecutor executor;
  private final AtomicInteger inFlight = new AtomicInteger();

  /** Call from the verticle that uses it: the pool is released when that verticle stops. */
  public ScanParser(Vertx vertx) {
    this.executor = vertx.createSharedWorkerExecutor(POOL, THREADS);
  }

  /** Runs {@code parse} on the pool; its ApiException (a 400) fails the future as thrown. */
  public <T> Future<T> parse(Callable<T> parse) {
    if (inFlight.incrementAndGet() > MAX_WAITING) {
      inFlight.decrementAndGet();
      return Future.failedFuture(new ApiException(503, "unavailable",
          "Too many instruction files are being parsed; retry shortly."));
    }
    return executor.executeBlocking(parse, false).andThen(done -> inFlight.decrementAndGet());
  }
}
