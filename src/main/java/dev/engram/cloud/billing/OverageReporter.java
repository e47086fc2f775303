package dev.engram.cloud.billing;

import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.config.EngramConfig.Plan;
import dev.engram.cloud.controlplane.BillingAccount;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.MeterReport;
import dev.engram.cloud.controlplane.UsageDay;
import dev.engram.cloud.quota.Plans;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reports each paying tenant's metered overage (API calls and searches beyond its plan's monthly caps, from the folded
 * {@code usage_daily}) to Stripe Billing Meters as the difference from what Stripe already accepted. Each report is
 * first claimed in the control plane with an identifier fixed before it is sent, then confirmed; a report whose
 * confirmation was lost (a crash, a timeout) is sent again under the same identifier and idempotency key, which
 * Stripe drops, so the position survives restarts and nothing is counted twice. The previous month is reported too,
 * so its last hours are not lost at the turn of the month. Several nodes may run it: a claim is taken once.
 */
final class OverageReporter {

  private static final Logger log = LoggerFactory.getLogger(OverageReporter.class);

  /** Sends one meter event; a blocking Stripe call run on a worker by the caller. */
  interface Sender {
    Future<Void> send(String eventName, String customerId, long value, String identifier);
  }

  private final ControlPlane controlPlane;
  private final EngramConfig.Billing config;
  private final Plans plans;
  private final Sender sender;

  OverageReporter(ControlPlane controlPlane, EngramConfig.Billing config, Plans plans, Sender sender) {
    this.controlPlane = controlPlane;
    this.config = config;
    this.plans = plans;
    this.sender = sender;
  }

  /** One pass over every paying tenant; the number of meter events sent. */
  Future<Integer> reportAll() {
    YearMonth now = YearMonth.now(ZoneOffset.UTC);
    return controlPlane.payingBillingAccounts().compose(accounts -> {
      Future<Integer> chain = Future.succeededFuture(0);
      for (BillingAccount account : accounts) {
        if (!plans.exists(account.plan())) continue;
        for (YearMonth month : List.of(now.minusMonths(1), now)) {
          chain = chain.compose(sent -> report(account, month).map(n -> sent + n));
        }
      }
      return chain;
    });
  }

  private Future<Integer> report(BillingAccount account, YearMonth month) {
    Plan plan = plans.of(account.plan());
    Map<String, Function<Plan, Long>> included = Map.of("api_calls", Plan::apiCallsPerMonth,
        "searches", Plan::searchesPerMonth);
    return controlPlane.usage(account.tenantId(), month.atDay(1), month.atEndOfMonth()).compose(days -> {
      Future<Integer> chain = Future.succeededFuture(0);
      for (Map.Entry<String, EngramConfig.Billing.Overage> metric : config.overage().entrySet()) {
        Long cap = included.get(metric.getKey()).apply(plan);
        if (cap == null) continue;
        long used = days.stream().mapToLong(d -> metric.getKey().equals("api_calls") ? d.apiCalls() : d.searches())
            .sum();
        long overage = Math.max(0, used - cap);
        chain = chain.compose(sent -> report(account, month.toString(), metric.getKey(), metric.getValue(), overage)
            .map(n -> sent + n));
      }
      return chain;
    });
  }

  /** Resends a pending report, else claims and sends the next one if the overage grew. */
  private Future<Integer> report(BillingAccount account, String month, String metric,
                                 EngramConfig.Billing.Overage meter, long overage) {
    String tenant = account.tenantId();
    return controlPlane.meterReport(tenant, month, metric).compose(position -> {
      if (position.pending() != null) {
        return send(account, meter, position, position.pending(), position.pendingIdentifier());
      }
      if (overage <= position.reported()) return Future.succeededFuture(0);
      String identifier = "engram-" + tenant + "-" + month + "-" + metric + "-" + overage;
      return controlPlane.claimMeterReport(tenant, month, metric, position.reported(), overage, identifier)
          .compose(claimed -> claimed ? send(account, meter, position, overage, identifier)
              : Future.succeededFuture(0));
    });
  }

  private Future<Integer> send(BillingAccount account, EngramConfig.Billing.Overage meter, MeterReport position,
                               long total, String identifier) {
    long value = total - position.reported();
    return sender.send(meter.meterEvent(), account.customerId(), value, identifier)
        .compose(v -> controlPlane.confirmMeterReport(position.tenantId(), position.month(), position.metric(),
            identifier))
        .onSuccess(v -> log.info("billing: reported {} {} overage for tenant {} ({} in {})", value, position.metric(),
            position.tenantId(), total, position.month()))
        .map(1);
  }
}
