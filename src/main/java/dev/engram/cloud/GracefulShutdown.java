package dev.engram.cloud;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

/**
 * SIGTERM (a platform stopping the machine, {@code docker stop}) and SIGINT (Ctrl-C) drain the server and exit 0:
 * new connections are refused at once, requests in flight get up to {@code shutdown.grace_seconds} to finish, then
 * pending writes commit, WALs are checkpointed and usage counters flushed (see {@link EngramServer#close}). The JVM's
 * own handling would run the same close from a shutdown hook but exit 143, which platforms report as a crash; a
 * stop that overruns the grace period by {@link #MARGIN_SECONDS} exits 1. Any other exit (System.exit, SIGHUP) still
 * closes the server from a shutdown hook.
 */
final class GracefulShutdown {

  private static final Logger log = LoggerFactory.getLogger(GracefulShutdown.class);
  /** Time past the grace period for the engines' last commits, the metering flush and the span export. */
  static final int MARGIN_SECONDS = 10;

  private GracefulShutdown() {}

  static void install(EngramServer server, int graceSeconds, IntConsumer exit) {
    AtomicBoolean stopping = new AtomicBoolean();
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), signal -> {
        if (!stopping.compareAndSet(false, true)) {
          log.info("SIG{} received while already stopping", name);
          return;
        }
        log.info("SIG{} received: draining (up to {} s for requests in flight)", name, graceSeconds);
        Thread stopper = new Thread(() -> exit.accept(stop(server, graceSeconds + MARGIN_SECONDS)), "engram-stop");
        stopper.start();
      });
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (stopping.compareAndSet(false, true)) stop(server, graceSeconds + MARGIN_SECONDS);
    }, "engram-shutdown"));
  }

  /** Closes the server; 0 when it stopped within {@code limitSeconds}, 1 otherwise. */
  private static int stop(EngramServer server, int limitSeconds) {
    long start = System.nanoTime();
    try {
      server.close().toCompletionStage().toCompletableFuture().get(limitSeconds, TimeUnit.SECONDS);
      log.info("engram-cloud stopped in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      return 0;
    } catch (Exception e) {
      log.error("engram-cloud did not stop cleanly within {} s: {}", limitSeconds, e.toString());
      return 1;
    }
  }
}
