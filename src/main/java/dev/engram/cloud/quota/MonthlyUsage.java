package dev.engram.cloud.quota;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.config.EngramConfig.Plan;
import dev.engram.cloud.controlplane.UsageDay;
import dev.engram.cloud.metering.UsageMessages.UsageQuery;
import dev.engram.cloud.metering.UsageMessages.UsageReport;
import dev.engram.cloud.quota.QuotaMessages.Usage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;

/**
 * The monthly caps (API calls, searches). Each tenant's month-to-date counts are loaded once from metering (stored
 * and not-yet-flushed counters), then counted here as requests are admitted, so that on one node a cap is exact
 * even when requests arrive together; they are reloaded every {@code quota.usage_refresh_seconds} to take in
 * other nodes' traffic. Fail-open: when the counts cannot be read, the request is served (and not counted).
 * Used from the quota verticle's event loop only.
 */
final class MonthlyUsage {

  private static final Logger log = LoggerFactory.getLogger(MonthlyUsage.class);
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setSendTimeout(10_000);

  private static final class Counts {
    final YearMonth month;
    final long loadedNanos;
    long apiCalls;
    long searches;
    boolean reloading;

    Counts(YearMonth month, long apiCalls, long searches) {
      this.month = month;
      this.loadedNanos = System.nanoTime();
      this.apiCalls = apiCalls;
      this.searches = searches;
    }
  }

  private final Vertx vertx;
  private final long refreshNanos;
  private final EngramConfig.Billing billing;
  private final Cache<String, Future<Counts>> counts = Caffeine.newBuilder()
      .expireAfterAccess(Duration.ofHours(1)).maximumSize(1_000_000).build();

  MonthlyUsage(Vertx vertx, int refreshSeconds, EngramConfig.Billing billing) {
    this.vertx = vertx;
    this.billing = billing;
    this.refreshNanos = Duration.ofSeconds(refreshSeconds).toNanos();
  }

  /**
   * Counts the request against the plan's monthly caps, or fails with 402 if one is reached. A cap whose overage is
   * billed (a plan bought through Stripe, see {@link EngramConfig.Billing#billsOverage}) is what the plan includes,
   * not a limit.
   */
  Future<Void> admit(String tenantId, Plan plan, Usage usage) {
    boolean search = usage == Usage.SEARCH;
    Long callCap = billing.billsOverage(plan.name(), "api_calls") ? null : plan.apiCallsPerMonth();
    Long searchCap = billing.billsOverage(plan.name(), "searches") ? null : plan.searchesPerMonth();
    if (callCap == null && !(search && searchCap != null)) {
      return Future.succeededFuture();
    }
    return counts(tenantId).transform(ar -> {
      if (ar.failed()) {
        log.warn("month-to-date usage of tenant {} is unavailable; serving without the monthly caps: {}", tenantId,
            ar.cause().toString());
        return Future.succeededFuture();
      }
      Counts c = ar.result();
      if (search && searchCap != null && c.searches >= searchCap) {
        return Future.failedFuture(ApiException.planLimit("searches_per_month", searchCap, c.searches, plan.name()));
      }
      if (callCap != null && c.apiCalls >= callCap) {
        return Future.failedFuture(ApiException.planLimit("api_calls_per_month", callCap, c.apiCalls, plan.name()));
      }
      c.apiCalls++;
      if (search) c.searches++;
      return Future.succeededFuture();
    });
  }

  private Future<Counts> counts(String tenantId) {
    YearMonth month = YearMonth.now(ZoneOffset.UTC);
    Future<Counts> cached = counts.getIfPresent(tenantId);
    if (cached != null && !cached.failed()) {
      Counts c = cached.result();
      if (c == null) return cached; // still loading
      if (c.month.equals(month)) {
        if (System.nanoTime() - c.loadedNanos > refreshNanos && !c.reloading) {
          // Served from the current counts meanwhile: a reload never holds a request up.
          c.reloading = true;
          load(tenantId, month).onComplete(ar -> {
            if (ar.succeeded()) counts.put(tenantId, Future.succeededFuture(ar.result()));
            else c.reloading = false;
          });
        }
        return cached;
      }
    }
    Future<Counts> loading = load(tenantId, month).onFailure(err -> counts.invalidate(tenantId));
    counts.put(tenantId, loading);
    return loading;
  }

  private Future<Counts> load(String tenantId, YearMonth month) {
    LocalDate from = month.atDay(1);
    LocalDate to = month.atEndOfMonth();
    return vertx.eventBus().<UsageReport>request(Addresses.USAGE_QUERY, new UsageQuery(tenantId, from, to), LOCAL)
        .map(Message::body)
        .map(report -> {
          long calls = 0;
          long searches = 0;
          for (UsageDay d : report.days()) {
            calls += d.apiCalls();
            searches += d.searches();
          }
          return new Counts(month, calls, searches);
        });
  }
}
