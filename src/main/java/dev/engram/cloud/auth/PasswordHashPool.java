package dev.engram.cloud.auth;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig.PasswordHashing;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where password hashes run: a worker pool of their own ({@code auth.password_hashing.threads}), so they never take
 * an event loop nor the shared worker pool, and so a flood of sign-ins uses a bounded share of the CPU. At most
 * {@code queue} hashes wait for a thread; one more is refused at once with 503 {@code auth_busy} (its problem carries
 * {@code retry_after}, which the HTTP layer turns into {@code Retry-After}) rather than queued without bound.
 */
final class PasswordHashPool {

  /** Seconds a refused caller is told to wait: a hash takes a fraction of a second, a full queue a few. */
  static final int RETRY_AFTER_SECONDS = 1;

  private final WorkerExecutor executor;
  private final int capacity;
  private final AtomicInteger admitted = new AtomicInteger();

  PasswordHashPool(Vertx vertx, PasswordHashing config) {
    this.executor = vertx.createSharedWorkerExecutor("engram-password-hash", config.threads());
    this.capacity = config.threads() + config.queue();
  }

  /** Runs {@code work} (a hash, and what must follow it on the same thread) on the pool, or refuses it. */
  <T> Future<T> run(Callable<T> work) {
    if (admitted.incrementAndGet() > capacity) {
      admitted.decrementAndGet();
      return Future.failedFuture(new ApiException(503, "auth_busy", "Too many sign-ins and sign-ups are being checked"
          + " right now; retry after " + RETRY_AFTER_SECONDS + " second(s).",
          new JsonObject().put("retry_after", RETRY_AFTER_SECONDS)));
    }
    return executor.executeBlocking(work, false).onComplete(ar -> admitted.decrementAndGet());
  }

  Future<Void> close() {
    return executor.close();
  }
}
