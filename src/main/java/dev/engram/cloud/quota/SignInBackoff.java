package dev.engram.cloud.quota;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.engram.cloud.config.EngramConfig.Backoff;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The sign-in backoff per account ({@code auth.throttle.backoff}): failed sign-ins in a row are counted, and each
 * one beyond the free ones locks the account for twice as long as the one before. Kept where the rate limits are:
 * in Redis when {@code REDIS_URL} is set (shared by every node; two keys per account, both expiring), else — and
 * while Redis is unavailable — in process, for at most {@link #MAX_LOCAL_ACCOUNTS} accounts. Used from the quota
 * verticle's event loop only.
 */
final class SignInBackoff {

  static final int MAX_LOCAL_ACCOUNTS = 100_000;

  private static final class Failures {
    long count;
    long lockedUntilNanos;
  }

  private final Backoff policy;
  private final RedisLimiter redis;
  private final Cache<String, Failures> local;

  /** {@code redis} is null when the limits are kept in process. */
  SignInBackoff(Backoff policy, RedisLimiter redis) {
    this.policy = policy;
    this.redis = redis;
    this.local = Caffeine.newBuilder().expireAfterWrite(Duration.ofSeconds(policy.forgetSeconds()))
        .maximumSize(MAX_LOCAL_ACCOUNTS).build();
  }

  /** Milliseconds until {@code account} may try again; zero when it may now. */
  Future<Long> lockedMillis(String account) {
    return either(() -> redis.send(Request.cmd(Command.PTTL).arg(lockKey(account))).map(r -> Math.max(0, r.toLong())),
        () -> {
          Failures f = local.getIfPresent(account);
          long left = f == null ? 0 : f.lockedUntilNanos - System.nanoTime();
          return left <= 0 ? 0L : Math.max(1, left / 1_000_000);
        });
  }

  Future<Void> failed(String account) {
    return either(() -> redis.batch(List.of(Request.cmd(Command.INCR).arg(countKey(account)),
            Request.cmd(Command.PEXPIRE).arg(countKey(account)).arg(policy.forgetSeconds() * 1000L)))
        .compose(replies -> {
          Duration lock = policy.lockAfter(replies.get(0).toLong());
          if (lock.isZero()) return Future.succeededFuture();
          return redis.send(Request.cmd(Command.SET).arg(lockKey(account)).arg(1).arg("PX").arg(lock.toMillis()))
              .<Void>mapEmpty();
        }), () -> {
          Failures f = local.get(account, k -> new Failures());
          f.count++;
          Duration lock = policy.lockAfter(f.count);
          if (!lock.isZero()) f.lockedUntilNanos = System.nanoTime() + lock.toNanos();
          local.put(account, f); // restarts forget_seconds
          return null;
        });
  }

  Future<Void> succeeded(String account) {
    return either(() -> redis.send(Request.cmd(Command.DEL).arg(countKey(account)).arg(lockKey(account))).<Void>mapEmpty(),
        () -> {
          local.invalidate(account);
          return null;
        });
  }

  /** In Redis while it is configured and answers (a failure switches the limiter to its fallback), else here. */
  private <T> Future<T> either(Supplier<Future<T>> inRedis, Supplier<T> inProcess) {
    if (redis == null || !redis.up()) return Future.succeededFuture(inProcess.get());
    return inRedis.get().recover(err -> {
      redis.failed(err);
      return Future.succeededFuture(inProcess.get());
    });
  }

  // One hash tag per account keeps both keys in one cluster slot, so one DEL clears them.
  private String countKey(String account) {
    return redis.prefix() + "{backoff:" + account + "}:n";
  }

  private String lockKey(String account) {
    return redis.prefix() + "{backoff:" + account + "}:lock";
  }
}
