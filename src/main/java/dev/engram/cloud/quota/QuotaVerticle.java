package dev.engram.cloud.quota;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.config.EngramConfig.Plan;
import dev.engram.cloud.config.EngramConfig.RateLimits;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.observability.Refusals;
import dev.engram.cloud.quota.QuotaMessages.Check;
import dev.engram.cloud.quota.QuotaMessages.Decision;
import dev.engram.cloud.quota.QuotaMessages.PlanChanged;
import dev.engram.cloud.quota.QuotaMessages.PublicCall;
import dev.engram.cloud.quota.QuotaMessages.PublicCheck;
import dev.engram.cloud.quota.QuotaMessages.PublicLimit;
import dev.engram.cloud.quota.QuotaMessages.SignInAttempt;
import dev.engram.cloud.quota.QuotaMessages.SignInOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Rate limits and plan caps for every request, and the public routes' limits and sign-in backoff
 * ({@code auth.throttle}). Rate limits are kept in Redis when {@code REDIS_URL} is set (shared by all nodes) and in
 * process otherwise, or while Redis is unavailable. Limits and caps come from the tenant's plan,
 * reloaded every {@code quota.plan_cache_seconds} (at once on this node after {@link PlanChanged}). Order: rate limit (429), then the monthly caps (402); the memory and
 * storage caps are enforced by the tenant's engine, which knows its own count and size.
 */
public final class QuotaVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(QuotaVerticle.class);
  /** The reply to a recorded sign-in outcome. */
  private static final Decision RECORDED = new Decision(true, 0, 0, 0, 0, null);

  private final EngramConfig config;
  private final ControlPlane controlPlane;
  private final MeterRegistry registry;
  private final Plans plans;
  private final LocalLimiter local = new LocalLimiter();
  private record CachedPlan(Future<Plan> plan, long loadedNanos) {}

  private final Cache<String, CachedPlan> tenantPlans;
  private final long planTtlNanos;
  private final Counter fallbacks;
  private MonthlyUsage monthly;
  private RedisLimiter redis;
  private SignInBackoff backoff;

  public QuotaVerticle(EngramConfig config, ControlPlane controlPlane, MeterRegistry registry) {
    this.config = config;
    this.controlPlane = controlPlane;
    this.registry = registry;
    this.plans = new Plans(config.quota());
    this.planTtlNanos = Duration.ofSeconds(config.quota().planCacheSeconds()).toNanos();
    this.tenantPlans = Caffeine.newBuilder().expireAfterAccess(Duration.ofHours(1)).maximumSize(1_000_000).build();
    this.fallbacks = Counter.builder("engram_ratelimit_fallback_total")
        .description("Rate-limit checks answered in process because Redis was unavailable")
        .register(registry);
  }

  @Override
  public Future<?> start() {
    monthly = new MonthlyUsage(vertx, config.quota().usageRefreshSeconds(), config.billing());
    var bus = vertx.eventBus();
    Future<Void> redisReady = Future.succeededFuture();
    if (config.quota().redis().url() != null) {
      redis = new RedisLimiter(vertx, config.quota().redis(), registry);
      redisReady = redis.start();
    }
    backoff = new SignInBackoff(config.auth().throttle().backoff(), redis);
    return Future.all(redisReady,
        bus.<Check>localConsumer(Addresses.QUOTA, this::onCheck).completion(),
        bus.<PublicCheck>localConsumer(Addresses.QUOTA_PUBLIC, this::onPublic).completion(),
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
    return plan(c.tenantId()).compose(plan -> rateLimit(c.tenantId(), c.subject(), plan.rateLimits())
        .compose(d -> d.allowed()
            ? monthly.admit(c.tenantId(), plan, c.usage()).map(v -> d.withPlan(plan))
            : Future.succeededFuture(d)))
        .andThen(ar -> countRefusal(ar.succeeded() ? ar.result() : null, ar.cause(), "rate_limit"));
  }

  /** Counts a refusal for operators: a 429 by the limit that refused it, a 402 by the plan cap. */
  private void countRefusal(Decision d, Throwable failure, String limit) {
    if (d != null && !d.allowed()) Refusals.count(registry, 429, limit);
    if (failure instanceof ApiException e && e.status() == 402 && e.extensions() != null) {
      Refusals.count(registry, 402, e.extensions().getString("cap"));
    }
  }

  private void onPublic(Message<PublicCheck> msg) {
    PublicCheck c = msg.body();
    Future<Decision> result;
    if (c instanceof PublicCall call) {
      result = publicCall(call.limit(), call.subject())
          .andThen(ar -> countRefusal(ar.result(), null, call.limit().name().toLowerCase(Locale.ROOT)));
    } else if (c instanceof SignInAttempt attempt) {
      String account = account(attempt.account());
      result = backoff.lockedMillis(account).compose(locked -> locked > 0
          ? Future.succeededFuture(new Decision(false, 0, 0, seconds(locked), seconds(locked), null))
              .andThen(ar -> countRefusal(ar.result(), null, "sign_in_backoff"))
          : publicCall(PublicLimit.SIGN_IN_PER_ACCOUNT, attempt.account())
              .andThen(ar -> countRefusal(ar.result(), null, "sign_in_per_account")));
    } else {
      SignInOutcome outcome = (SignInOutcome) c;
      String account = account(outcome.account());
      result = (outcome.succeeded() ? backoff.succeeded(account) : backoff.failed(account)).map(RECORDED);
    }
    result.onComplete(ar -> {
      if (ar.succeeded()) msg.reply(ar.result());
      else ApiException.fail(msg, ar.cause());
    });
  }

  /**
   * A public route's limit ({@code auth.throttle}), kept like the API's: one bucket per subject, in Redis when it is
   * configured. Accounts are kept by a hash of the email, so limit keys hold no addresses.
   */
  private Future<Decision> publicCall(PublicLimit limit, String subject) {
    EngramConfig.Throttle throttle = config.auth().throttle();
    EngramConfig.Limit numbers = switch (limit) {
      case SIGN_IN_PER_ADDRESS -> throttle.signInPerAddress();
      case SIGN_IN_PER_ACCOUNT -> throttle.signInPerAccount();
      case SIGN_UP_PER_ADDRESS -> throttle.signUpPerAddress();
      case SIGN_UP_PER_ACCOUNT -> throttle.signUpPerAccount();
    };
    boolean perAccount = limit == PublicLimit.SIGN_IN_PER_ACCOUNT || limit == PublicLimit.SIGN_UP_PER_ACCOUNT;
    String bucket = limit.name().toLowerCase(Locale.ROOT) + ":" + (perAccount ? account(subject) : subject);
    // The limiters keep a key and a tenant bucket; both are this one bucket here.
    return rateLimit(bucket, bucket, numbers.asRateLimits());
  }

  private Future<Decision> rateLimit(String tenantId, String subject, RateLimits limits) {
    if (redis == null) {
      return Future.succeededFuture(local.check(tenantId, subject, limits, System.nanoTime()));
    }
    if (!redis.up()) {
      return Future.succeededFuture(fallback(tenantId, subject, limits));
    }
    return redis.check(tenantId, subject, limits).recover(err -> {
      redis.failed(err);
      return Future.succeededFuture(fallback(tenantId, subject, limits));
    });
  }

  private Decision fallback(String tenantId, String subject, RateLimits limits) {
    fallbacks.increment();
    return local.check(tenantId, subject, limits, System.nanoTime());
  }

  /** The key of an account's limit and backoff: a hash, the same whether or not the account exists. */
  private static String account(String name) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long seconds(long millis) {
    return Math.max(1, (millis + 999) / 1000);
  }

  /**
   * The tenant's plan, cached. A stale entry is still served while it is reloaded, so only a tenant's first request
   * waits for the control plane. The default plan when the control plane cannot say (not cached).
   */
  private Future<Plan> plan(String tenantId) {
    CachedPlan cached = tenantPlans.getIfPresent(tenantId);
    if (cached == null || cached.plan().failed()) {
      cached = loadPlan(tenantId);
    } else if (System.nanoTime() - cached.loadedNanos() > planTtlNanos && cached.plan().succeeded()) {
      // Marked fresh while the reload runs, so one reload at a time; its answer is dropped if a plan change
      // evicted the entry meanwhile (it may predate the change).
      CachedPlan reloading = new CachedPlan(cached.plan(), System.nanoTime());
      tenantPlans.put(tenantId, reloading);
      controlPlane.tenantPlan(tenantId).map(name -> plans.of(name.orElse(null))).onSuccess(fresh ->
          tenantPlans.asMap().replace(tenantId, reloading, new CachedPlan(Future.succeededFuture(fresh), System.nanoTime())));
    }
    return cached.plan().recover(err -> {
      tenantPlans.invalidate(tenantId);
      log.warn("plan of tenant {} is unavailable; using the {} plan: {}", tenantId, plans.defaultPlan().name(),
          err.toString());
      return Future.succeededFuture(plans.defaultPlan());
    });
  }

  private CachedPlan loadPlan(String tenantId) {
    CachedPlan loading = new CachedPlan(controlPlane.tenantPlan(tenantId).map(name -> plans.of(name.orElse(null))),
        System.nanoTime());
    tenantPlans.put(tenantId, loading);
    return loading;
  }
}
