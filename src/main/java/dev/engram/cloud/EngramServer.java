package dev.engram.cloud;

import dev.engram.cloud.auth.AuthVerticle;
import dev.engram.cloud.auth.JwtTokens;
import dev.engram.cloud.auth.PasswordHasher;
import dev.engram.cloud.backup.BackupVerticle;
import dev.engram.cloud.backup.Backups;
import dev.engram.cloud.billing.BillingService;
import dev.engram.cloud.billing.BillingVerticle;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.LocalCodec;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.ControlPlanes;
import dev.engram.cloud.engine.ChangeLogSink;
import dev.engram.cloud.engine.EngineSupervisor;
import dev.engram.cloud.http.HttpVerticle;
import dev.engram.cloud.http.UploadSlots;
import dev.engram.cloud.mcp.McpSessions;
import dev.engram.cloud.metering.MeteringVerticle;
import dev.engram.cloud.metering.UsageSpool;
import dev.engram.cloud.observability.BusPropagation;
import dev.engram.cloud.observability.EngineTelemetry;
import dev.engram.cloud.observability.MetricsVerticle;
import dev.engram.cloud.observability.OperatorMetrics;
import dev.engram.cloud.observability.RequestContext;
import dev.engram.cloud.observability.Tracing;
import dev.engram.cloud.quota.Plans;
import dev.engram.cloud.quota.QuotaMessages.PlanChanged;
import dev.engram.cloud.quota.QuotaVerticle;
import dev.engram.cloud.sqlite.PrivateFiles;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** One running server: Vert.x, the control plane and the verticles of DESIGN.md §3, started and stopped in order. */
public final class EngramServer {

  private final Vertx vertx;
  private final ControlPlane controlPlane;
  private final Plans plans;
  private final List<String> deployments;
  private final Tracing tracing;
  private Future<Void> closing;

  private EngramServer(Vertx vertx, ControlPlane controlPlane, Plans plans, List<String> deployments,
                       Tracing tracing) {
    this.vertx = vertx;
    this.controlPlane = controlPlane;
    this.plans = plans;
    this.deployments = deployments;
    this.tracing = tracing;
  }

  public static Future<EngramServer> start(EngramConfig config) {
    return start(config, System.getenv());
  }

  /** {@code env}: where secrets are read from (the process environment; tests pass their own). */
  public static Future<EngramServer> start(EngramConfig config, java.util.Map<String, String> env) {
    RequestContext.register(); // before the Vert.x instance is built: it sizes its context-local storage then
    PrometheusMeterRegistry registry = OperatorMetrics.registry(config.dataDir());
    Tracing tracing = Tracing.fromEnvironment(config.telemetry().otel());
    Vertx vertx = tracing.install(Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
            .setEnabled(true)
            .addLabels(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE)))
        .withMetrics(new MicrometerMetricsFactory(registry)))
        .build();
    LocalCodec.register(vertx.eventBus());
    BusPropagation.install(vertx.eventBus());
    EngineTelemetry engineTelemetry = new EngineTelemetry(registry, tracing.tracer());
    List<String> deployments = new ArrayList<>();
    McpSessions mcpSessions = new McpSessions(config.mcp());
    UploadSlots uploads = new UploadSlots(config.http());
    return vertx.executeBlocking(() -> {
          PrivateFiles.secure(config.dataDir());
          // HttpVerticle's upload spool: made here, so that it is private from the start (Vert.x would make it 0755)
          return PrivateFiles.createDirectories(config.dataDir().resolve("uploads"));
        })
        .compose(dir -> ControlPlanes.open(vertx, config))
        .compose(controlPlane -> vertx.executeBlocking(() -> JwtTokens.load(vertx, config.dataDir(), config.auth()))
            .compose(tokens -> vertx.executeBlocking(() -> UsageSpool.open(config.dataDir().resolve("spool")))
                .compose(spool -> {
                  PasswordHasher passwords = new PasswordHasher(config.auth().passwordIterations());
                  BillingService billing = new BillingService(vertx, controlPlane, config);
                  return deploy(vertx, deployments, new AuthVerticle(config, controlPlane, tokens, passwords))
                      .compose(v -> deploy(vertx, deployments, new QuotaVerticle(config, controlPlane, registry)))
                      .compose(v -> deploy(vertx, deployments,
                          new MeteringVerticle(controlPlane, spool, config.metering(), registry)))
                      .compose(v -> openBackups(vertx, config, env, registry))
                      .compose(backups -> deploy(vertx, deployments,
                              new BackupVerticle(backups, config.backup().shipSeconds()))
                          .compose(v -> deploy(vertx, deployments, new EngineSupervisor(config, registry,
                              engineTelemetry, backups == null ? ChangeLogSink.NONE : backups.changeLog()))))
                      .compose(v -> deploy(vertx, deployments,
                          new BillingVerticle(billing, config.billing().reportIntervalSeconds())))
                      .compose(v -> config.server().metricsPort() == 0 ? Future.succeededFuture()
                          : deploy(vertx, deployments, new MetricsVerticle(config.server(), registry)))
                      .compose(v -> vertx.deployVerticle(() -> new HttpVerticle(config, controlPlane, tokens, registry,
                              mcpSessions, uploads, spool, billing),
                          new DeploymentOptions().setInstances(config.http().instances())))
                      .map(id -> {
                        deployments.add(id);
                        return new EngramServer(vertx, controlPlane, new Plans(config.quota()), deployments, tracing);
                      });
                }))
            .recover(err -> controlPlane.close().transform(ignored -> Future.failedFuture(err))))
        .recover(err -> {
          // Not chained: a future completed on a closing Vert.x would never reach the caller.
          vertx.close().onComplete(ignored -> tracing.close());
          return Future.failedFuture(err);
        });
  }

  /**
   * Backups when enabled (the default): read the target and recover change logs before any engine starts, so that
   * an engine's first write finds its log where the last process left it.
   */
  private static Future<Backups> openBackups(Vertx vertx, EngramConfig config, java.util.Map<String, String> env,
                                             PrometheusMeterRegistry registry) {
    if (!config.backup().enabled()) return Future.succeededFuture(null);
    return vertx.executeBlocking(() -> Backups.open(config, env, registry));
  }

  private static Future<Void> deploy(Vertx vertx, List<String> deployments, io.vertx.core.Deployable verticle) {
    return vertx.deployVerticle(verticle).map(id -> {
      deployments.add(id);
      return null;
    });
  }

  /**
   * Puts a tenant on one of the configured plans (an operator's or billing's change) and makes this node's quota
   * checks use it at once; other nodes pick it up within {@code quota.plan_cache_seconds}.
   */
  public Future<Void> setTenantPlan(String tenantId, String plan) {
    if (!plans.exists(plan)) {
      return Future.failedFuture(new IllegalArgumentException("no plan named '" + plan + "'"));
    }
    return controlPlane.setTenantPlan(tenantId, plan).map(found -> {
      if (!found) throw new IllegalArgumentException("no tenant " + tenantId);
      vertx.eventBus().publish(Addresses.PLAN_CHANGED, new PlanChanged(tenantId),
          new DeliveryOptions().setLocalOnly(true));
      return null;
    });
  }

  /**
   * Stops in reverse order: the HTTP servers first (new connections refused at once, requests in flight finish
   * within {@code shutdown.grace_seconds}), then the engines (pending writes commit, WALs are checkpointed),
   * metering (the spool's last fold), quota, auth; then the control plane, Vert.x, and the spans still to export.
   * Once only: later calls return the same future.
   */
  public synchronized Future<Void> close() {
    if (closing != null) return closing;
    List<String> reversed = new ArrayList<>(deployments);
    Collections.reverse(reversed);
    Future<Void> chain = Future.succeededFuture();
    for (String id : reversed) {
      chain = chain.transform(ignored -> vertx.undeploy(id));
    }
    closing = chain
        .transform(ignored -> controlPlane.close())
        .transform(ignored -> vertx.close())
        .andThen(ignored -> tracing.close());
    return closing;
  }
}
