package dev.engram.cloud.quota;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.config.EngramConfig.Plan;
import dev.engram.cloud.config.EngramConfig.RateLimits;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.quota.QuotaMessages.Check;
import dev.engram.cloud.quota.QuotaMessages.Decision;
import dev.engram.cloud.quota.QuotaMessages.PlanChanged;
import dev.engram.cloud.quota.QuotaMessages.Usage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Rate limits and plan caps for every request. Rate limits are kept in Redis when {@code REDIS_URL} is set (shared
 * by all nodes) and in process otherwise, or while Redis is unavailable. Limits and caps come from the tenant's plan,
 * cached for {@code quota.plan_cache_seconds}. Order: rate limit (429), then the monthly caps (402); the memory and
 * storage caps are enforced by the tenant's engine, which knows its own count and size.
 */
public final class QuotaVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(QuotaVerticle.class);

  private final EngramConfig config;
  private final ControlPlane controlPlane;
  private final MeterRegistry registry;
  private final Plans plans;
  private final LocalLimiter local = new LocalLimiter();
  private final Cache<String, Future<Plan>> tenantPlans;
  private final Counter fallbacks;
  private MonthlyUsage monthly;
  private RedisLimiter redis;

  public QuotaVerticle(EngramConfig config, ControlPlane controlPlane, MeterRegistry registry) {
    this.config = config;
    this.controlPlane = controlPlane;
    this.registry = registry;
    this.plans = new Plans(config.quota());
    this.tenantPlans = Caffeine.newBuilder()
        .expireAfterWrite(Duration.ofSeconds(config.quota().planCacheSeconds()))
        .maximumSize(1_000_000)
        .build();
    this.fallbacks = Counter.builder("engram_ratelimit_fallback_total")
        .description("Rate-limit checks answered in process because Redis was unavailable")
        .register(registry);
  }

  @Override
  public Future<?> start() {
    monthly = new MonthlyUsage(vertx, config.quota().usageRefreshSeconds());
    var bus = vertx.eventBus();
    Future<Void> redisReady = Future.succeededFuture();
    if (config.quota().redis().url() != null) {
      redis = new RedisLimiter(vertx, config.quota().redis(), registry);
      redisReady = redis.start();
    }
    return Future.all(redisReady,
        bus.<Check>localConsumer(Addresses.QUOTA, this::onCheck).completion(),
        bus.<PlanChanged>localConsumer(Addresses.PLAN_CHANGED, m -> tenantPlans.invalidate(m.body().tenantId())).completion());
  }

  @Override
  public Future<?> stop() {
    return redis == null ? Future.succeededFuture() : redis.close();
  }

  private void onCheck(Message<Check> msg) {
    check(msg.body()).onComplete(ar -> {
      if (ar.succeeded()) msg.reply(ar.result());
      else ApiException.fail(msg, ar.cause());
    });
  }

  Future<Decision> check(Check c) {
    if (c.usage() == Usage.ANONYMOUS) {
      return rateLimit(c, config.rateLimits());
    }
    return plan(c.tenantId()).compose(plan -> rateLimit(c, plan.rateLimits())
        .compose(d -> d.allowed()
            ? monthly.admit(c.tenantId(), plan, c.usage()).map(v -> d.withPlan(plan))
            : Future.succeededFuture(d)));
  }

  private Future<Decision> rateLimit(Check c, RateLimits limits) {
    if (redis == null) {
      return Future.succeededFuture(local.check(c.tenantId(), c.subject(), limits, System.nanoTime()));
    }
    if (!redis.up()) {
      return Future.succeededFuture(fallback(c, limits));
    }
    return redis.check(c.tenantId(), c.subject(), limits).recover(err -> {
      redis.failed(err);
      return Future.succeededFuture(fallback(c, limits));
    });
  }

  private Decision fallback(Check c, RateLimits limits) {
    fallbacks.increment();
    return local.check(c.tenantId(), c.subject(), limits, System.nanoTime());
  }

  /** The tenant's plan, cached; the default plan when the control plane cannot say (fail-safe, not cached). */
  private Future<Plan> plan(String tenantId) {
    Future<Plan> plan = tenantPlans.getIfPresent(tenantId);
    if (plan == null || plan.failed()) {
      plan = controlPlane.tenantPlan(tenantId).map(name -> plans.of(name.orElse(null)));
      tenantPlans.put(tenantId, plan);
    }
    return plan.recover(err -> {
      tenantPlans.invalidate(tenantId);
      log.warn("plan of tenant {} is unavailable; using the {} plan: {}", tenantId, plans.defaultPlan().name(),
          err.toString());
      return Future.succeededFuture(plans.defaultPlan());
    });
  }
}
