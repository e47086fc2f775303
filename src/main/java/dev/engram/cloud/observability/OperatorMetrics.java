package dev.engram.cloud.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.DiskSpaceMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The node's Prometheus registry and the metrics of the HTTP edge. Latencies are histograms with fixed buckets
 * (so {@code histogram_quantile} gives p50/p95/p99 by route); labels are bounded: route patterns, methods, status
 * codes, error codes and limit names, never a tenant.
 */
public final class OperatorMetrics {

  /** A problem's {@code code}, put on the routing context by the problem writer for {@link #watch}. */
  public static final String PROBLEM_CODE = "observability.problem_code";

  private static final double[] HTTP_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  private final MeterRegistry registry;

  public OperatorMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (String reason : new String[] {"missing_credentials", "invalid_api_key", "invalid_token"}) {
      authFailures(401, reason);
    }
  }

  /** A registry with the JVM, process, and data-disk metrics, and bucketed HTTP latency histograms. */
  public static PrometheusMeterRegistry registry(Path dataDir) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (!id.getName().equals("vertx.http.server.response.time")) return config;
        // a timer's buckets are in its base unit, nanoseconds
        double[] nanos = Arrays.stream(HTTP_BUCKETS).map(seconds -> seconds * 1e9).toArray();
        return DistributionStatisticConfig.builder().serviceLevelObjectives(nanos).build().merge(config);
      }
    });
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new DiskSpaceMetrics(dataDir.toFile()).bindTo(registry);
    Refusals.register(registry);
    return registry;
  }

  /**
   * A router handler (right after the access log) that counts, once a response has gone out, the authentication
   * and authorization failures (401, 403) by their problem code: {@code engram_auth_failures_total{status, reason}}.
   */
  public Handler<RoutingContext> watch() {
    return ctx -> {
      ctx.addBodyEndHandler(v -> {
        int status = ctx.response().getStatusCode();
        if (status == 401 || status == 403) {
          String code = ctx.get(PROBLEM_CODE);
          authFailures(status, code == null ? "http_" + status : code).increment();
        }
      });
      ctx.next();
    };
  }

  private Counter authFailures(int status, String reason) {
    return Counter.builder("engram_auth_failures_total")
        .description("Requests refused for their credential (401) or its rights (403), by problem code")
        .tag("status", Integer.toString(status)).tag("reason", reason).register(registry);
  }
}
