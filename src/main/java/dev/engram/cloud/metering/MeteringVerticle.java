package dev.engram.cloud.metering;

import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.UsageDay;
import dev.engram.cloud.metering.UsageMessages.UsageQuery;
import dev.engram.cloud.metering.UsageMessages.UsageReport;
import dev.engram.cloud.metering.UsageSpool.Segment;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Folds this node's usage spool into the control plane every {@code metering.fold_seconds} and on a graceful stop,
 * fsyncs it every {@code metering.fsync_millis}, and answers usage queries with the stored counts plus the spooled
 * ones. A fold and the queries never overlap: a query reads the stored rows and the spool between two folds, so a
 * fold that commits meanwhile can neither be missed nor counted twice.
 */
public final class MeteringVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(MeteringVerticle.class);

  private final ControlPlane controlPlane;
  private final UsageSpool spool;
  private final EngramConfig.Metering config;
  private final Counter foldErrors;
  private long foldTimer;
  private long syncTimer;
  private boolean syncing;
  /** The latest fold; queries start after it. */
  private Future<Void> folding = Future.succeededFuture();
  private boolean foldQueued;
  /** Queries in flight; a fold starts after them. */
  private final Set<Future<?>> reading = new HashSet<>();

  public MeteringVerticle(ControlPlane controlPlane, UsageSpool spool, EngramConfig.Metering config,
                          MeterRegistry registry) {
    this.controlPlane = controlPlane;
    this.spool = spool;
    this.config = config;
    Gauge.builder("engram_metering_spool_events", spool, UsageSpool::depth)
        .description("Requests whose usage is in this node's spool and not folded into the control plane yet")
        .register(registry);
    Gauge.builder("engram_metering_fold_lag_seconds", spool, s -> {
          long oldest = s.oldestMillis();
          return oldest == Long.MAX_VALUE ? 0 : Math.max(0, System.currentTimeMillis() - oldest) / 1000.0;
        })
        .description("Age of the oldest spooled usage not folded into the control plane yet (0 when none)")
        .register(registry);
    this.foldErrors = Counter.builder("engram_metering_fold_errors_total")
        .description("Folds of the usage spool into the control plane that failed (retried at the next interval)")
        .register(registry);
    FunctionCounter.builder("engram_metering_spool_write_errors_total", spool, UsageSpool::writeErrors)
        .description("Usage spool appends that failed (the usage stays counted in memory only)")
        .register(registry);
  }

  @Override
  public Future<?> start() {
    foldTimer = vertx.setPeriodic(config.foldSeconds() * 1000L, id -> fold());
    syncTimer = vertx.setPeriodic(config.fsyncMillis(), id -> sync());
    fold(); // what a previous run left in the spool
    return vertx.eventBus().<UsageQuery>localConsumer(Addresses.USAGE_QUERY, this::onQuery).completion();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(foldTimer);
    vertx.cancelTimer(syncTimer);
    // A failed last fold leaves its segments on disk: the next start folds them.
    return fold().transform(ignored -> vertx.executeBlocking(() -> {
      spool.close();
      return null;
    }));
  }

  private void sync() {
    if (syncing) return;
    syncing = true;
    vertx.executeBlocking(() -> {
      spool.sync();
      return null;
    }).onComplete(ar -> {
      syncing = false;
      if (ar.failed()) log.error("usage spool: fsync failed: {}", ar.cause().toString());
    });
  }

  /** Starts a fold once the queries in flight are done, unless one is waiting already; returns the latest fold. */
  Future<Void> fold() {
    if (foldQueued) return folding;
    foldQueued = true;
    Future<?> readers = Future.join(new ArrayList<>(reading));
    folding = folding.transform(ignored -> readers.transform(alsoIgnored -> {
      foldQueued = false;
      return foldSpool();
    }));
    return folding;
  }

  /** Seals the open segment, then folds each waiting segment in its own transaction and deletes it. */
  private Future<Void> foldSpool() {
    return vertx.executeBlocking(spool::seal)
        .compose(segments -> {
          Future<Void> chain = Future.succeededFuture();
          for (Segment segment : segments) {
            chain = chain.compose(v -> controlPlane.foldUsage(segment.id(), spool.counts(segment)))
                .compose(applied -> vertx.executeBlocking(() -> {
                  spool.folded(segment);
                  return null;
                }));
          }
          return chain;
        })
        .onFailure(err -> {
          foldErrors.increment();
          log.warn("usage fold failed; will retry: {}", err.toString());
        });
  }

  private void onQuery(Message<UsageQuery> msg) {
    UsageQuery q = msg.body();
    Future<UsageReport> report = folding.transform(ignored -> controlPlane.usage(q.tenantId(), q.from(), q.to())
        .map(stored -> {
          Map<LocalDate, UsageDay> days = new TreeMap<>();
          stored.forEach(d -> days.put(d.day(), d));
          spool.unfolded(q.tenantId(), q.from(), q.to()).forEach(d -> days.merge(d.day(), d, UsageDay::plus));
          return new UsageReport(List.copyOf(days.values()));
        }));
    reading.add(report);
    report.onComplete(ar -> {
      reading.remove(report);
      if (ar.succeeded()) msg.reply(ar.result());
      else ApiException.fail(msg, ar.cause());
    });
  }
}
