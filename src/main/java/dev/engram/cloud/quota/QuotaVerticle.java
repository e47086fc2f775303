package dev.engram.cloud.quota;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.quota.QuotaMessages.Check;
import dev.engram.cloud.quota.QuotaMessages.Decision;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;

import java.time.Duration;

/**
 * In-process rate limits: a token bucket per key (or user) and one per tenant, both must have a token.
 * The buckets live on this verticle's event loop only, so they need no locking.
 */
public final class QuotaVerticle extends VerticleBase {

  private final EngramConfig.RateLimits limits;
  private final Cache<String, TokenBucket> subjects = idleCache();
  private final Cache<String, TokenBucket> tenants = idleCache();

  public QuotaVerticle(EngramConfig.RateLimits limits) {
    this.limits = limits;
  }

  private static Cache<String, TokenBucket> idleCache() {
    // A bucket idle for this long has refilled completely, so dropping it changes nothing.
    return Caffeine.newBuilder().expireAfterAccess(Duration.ofMinutes(10)).maximumSize(1_000_000).build();
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<Check>localConsumer(Addresses.QUOTA, this::onCheck).completion();
  }

  private void onCheck(Message<Check> msg) {
    msg.reply(check(msg.body(), System.nanoTime()));
  }

  Decision check(Check c, long now) {
    TokenBucket subject = subjects.get(c.subject(),
        k -> new TokenBucket(limits.keyBurst(), limits.keyPerSecond(), now));
    TokenBucket tenant = tenants.get(c.tenantId(),
        k -> new TokenBucket(limits.tenantBurst(), limits.tenantPerSecond(), now));
    boolean allowed = subject.tryTake(now);
    if (allowed && !tenant.tryTake(now)) {
      allowed = false;
    }
    TokenBucket tighter = subject.remaining() <= tenant.remaining() ? subject : tenant;
    if (!allowed) {
      TokenBucket empty = subject.remaining() < 1 ? subject : tenant;
      return new Decision(false, (long) empty.capacity(), 0, empty.secondsUntilFull(), empty.secondsUntilNext());
    }
    return new Decision(true, (long) tighter.capacity(), tighter.remaining(), tighter.secondsUntilFull(), 0);
  }
}
