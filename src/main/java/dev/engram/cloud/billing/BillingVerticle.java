package dev.engram.cloud.billing;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Billing's scheduled work: the overage report every {@code billing.report_interval_seconds}, one at a time. */
public final class BillingVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(BillingVerticle.class);

  private final BillingService billing;
  private final int intervalSeconds;
  private long timer;
  private boolean running;

  public BillingVerticle(BillingService billing, int intervalSeconds) {
    this.billing = billing;
    this.intervalSeconds = intervalSeconds;
  }

  @Override
  public Future<?> start() {
    if (billing.enabled()) timer = vertx.setPeriodic(intervalSeconds * 1000L, id -> report());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }

  private void report() {
    if (running) return;
    running = true;
    billing.reportOverage().onComplete(ar -> {
      running = false;
      if (ar.failed()) {
        log.warn("billing: overage report failed; retried at the next interval: {}", ar.cause().toString());
      }
    });
  }
}
