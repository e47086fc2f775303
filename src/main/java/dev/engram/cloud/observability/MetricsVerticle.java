package dev.engram.cloud.observability;

import dev.engram.cloud.config.EngramConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;

/**
 * {@code GET /metrics} on a port of its own ({@code metrics.port}), so that the scraper reaches it on a private
 * port while the public listener does not serve it. Deployed only when that port is set.
 */
public final class MetricsVerticle extends VerticleBase {

  private final EngramConfig.Server config;
  private final PrometheusMeterRegistry registry;

  public MetricsVerticle(EngramConfig.Server config, PrometheusMeterRegistry registry) {
    this.config = config;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    return vertx.createHttpServer().requestHandler(router).listen(config.metricsPort(), config.host());
  }
}
