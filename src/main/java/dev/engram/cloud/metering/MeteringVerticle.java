package dev.engram.cloud.metering;

import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.UsageDay;
import dev.engram.cloud.metering.UsageMessages.UsageEvent;
import dev.engram.cloud.metering.UsageMessages.UsageQuery;
import dev.engram.cloud.metering.UsageMessages.UsageReport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts usage per tenant and UTC day in memory and adds it to the control plane every
 * {@code metering.flush_seconds} and on shutdown (so a graceful stop loses nothing; a crash loses at most one interval).
 */
public final class MeteringVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(MeteringVerticle.class);

  private record DayKey(String tenantId, LocalDate day) {}

  private final ControlPlane controlPlane;
  private final int flushSeconds;
  private Map<DayKey, UsageDay> pending = new HashMap<>();
  /** Counters taken by a flush that has not committed yet: still reported by queries. */
  private Map<DayKey, UsageDay> flushing = Map.of();
  private Future<Void> lastFlush = Future.succeededFuture();
  private long timer;
  /** Tenant-days whose counters are not stored yet (pending or being flushed), for /metrics. */
  private volatile int backlog;
  private final Counter flushFailures;

  public MeteringVerticle(ControlPlane controlPlane, int flushSeconds, MeterRegistry registry) {
    this.controlPlane = controlPlane;
    this.flushSeconds = flushSeconds;
    Gauge.builder("engram_metering_backlog", this, m -> m.backlog)
        .description("Tenant-days of usage counted in memory and not yet stored in the control plane")
        .register(registry);
    this.flushFailures = Counter.builder("engram_metering_flush_failures_total")
        .description("Usage flushes to the control plane that failed (retried at the next interval)")
        .register(registry);
  }

  @Override
  public Future<?> start() {
    timer = vertx.setPeriodic(flushSeconds * 1000L, id -> flush());
    var bus = vertx.eventBus();
    return Future.all(
        bus.<UsageEvent>localConsumer(Addresses.USAGE, m -> record(m.body())).completion(),
        bus.<UsageQuery>localConsumer(Addresses.USAGE_QUERY, this::onQuery).completion());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return flush();
  }

  private void record(UsageEvent e) {
    DayKey key = new DayKey(e.tenantId(), LocalDate.now(ZoneOffset.UTC));
    UsageDay delta = new UsageDay(e.tenantId(), key.day(), e.apiCalls(), e.memoriesCreated(), e.searches());
    pending.merge(key, delta, UsageDay::plus);
    backlog = pending.size() + flushing.size();
  }

  /** Flushes one batch at a time; a failed batch goes back into the pending counters. */
  Future<Void> flush() {
    lastFlush = lastFlush.transform(ignored -> {
      if (pending.isEmpty()) return Future.succeededFuture();
      flushing = pending;
      pending = new HashMap<>();
      return controlPlane.addUsage(new ArrayList<>(flushing.values()))
          .onFailure(err -> {
            log.warn("usage flush failed; will retry: {}", err.toString());
            flushFailures.increment();
            flushing.forEach((k, v) -> pending.merge(k, v, UsageDay::plus));
          })
          .eventually(() -> {
            flushing = Map.of();
            backlog = pending.size();
            return Future.succeededFuture();
          });
    });
    return lastFlush;
  }

  private void onQuery(Message<UsageQuery> msg) {
    UsageQuery q = msg.body();
    controlPlane.usage(q.tenantId(), q.from(), q.to()).onComplete(ar -> {
      if (ar.failed()) {
        ApiException.fail(msg, ar.cause());
        return;
      }
      Map<LocalDate, UsageDay> days = new TreeMap<>();
      ar.result().forEach(d -> days.put(d.day(), d));
      // Read after the stored rows arrive, so a flush that committed meanwhile is not counted twice.
      addUnflushed(days, q, flushing);
      addUnflushed(days, q, pending);
      msg.reply(new UsageReport(List.copyOf(days.values())));
    });
  }

  private static void addUnflushed(Map<LocalDate, UsageDay> days, UsageQuery q, Map<DayKey, UsageDay> counters) {
    counters.forEach((k, v) -> {
      if (k.tenantId().equals(q.tenantId()) && !k.day().isBefore(q.from()) && !k.day().isAfter(q.to())) {
        days.merge(k.day(), v, UsageDay::plus);
      }
    });
  }
}
