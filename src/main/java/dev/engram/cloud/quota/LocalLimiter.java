package dev.engram.cloud.quota;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.engram.cloud.config.EngramConfig.RateLimits;
import dev.engram.cloud.quota.QuotaMessages.Decision;

import java.time.Duration;

/**
 * In-process rate limits: a token bucket per key (or user) and one per tenant, both must have a token.
 * Not thread-safe: the quota verticle's event loop is its only caller.
 */
final class LocalLimiter {

  private final Cache<String, TokenBucket> subjects = idleCache();
  private final Cache<String, TokenBucket> tenants = idleCache();

  private static Cache<String, TokenBucket> idleCache() {
    // Dropped once idle for as long as it takes to refill from empty (10 minutes to 30 days): by then it is full
    // again, so dropping it changes nothing — also for the slow limits of sign-up, which take an hour.
    return Caffeine.newBuilder()
        .expireAfter(Expiry.accessing((String id, TokenBucket b) ->
            Duration.ofSeconds(Math.max(600, Math.min(b.secondsToFill(), Duration.ofDays(30).toSeconds())))))
        .maximumSize(1_000_000).build();
  }

  Decision check(String tenantId, String subject, RateLimits limits, long now) {
    TokenBucket key = bucket(subjects, subject, limits.keyBurst(), limits.keyPerSecond(), now);
    TokenBucket tenant = bucket(tenants, tenantId, limits.tenantBurst(), limits.tenantPerSecond(), now);
    boolean allowed = key.tryTake(now);
    if (allowed && !tenant.tryTake(now)) {
      allowed = false;
    }
    TokenBucket tighter = key.remaining() <= tenant.remaining() ? key : tenant;
    if (!allowed) {
      TokenBucket empty = key.remaining() < 1 ? key : tenant;
      return new Decision(false, (long) empty.capacity(), 0, empty.secondsUntilFull(), empty.secondsUntilNext(), null);
    }
    return new Decision(true, (long) tighter.capacity(), tighter.remaining(), tighter.secondsUntilFull(), 0, null);
  }

  /** The bucket for {@code id}, replaced by a full one when the limits changed (a new plan). */
  private static TokenBucket bucket(Cache<String, TokenBucket> cache, String id, double capacity, double rate, long now) {
    TokenBucket b = cache.get(id, k -> new TokenBucket(capacity, rate, now));
    if (!b.hasLimits(capacity, rate)) {
      b = new TokenBucket(capacity, rate, now);
      cache.put(id, b);
    }
    return b;
  }
}
