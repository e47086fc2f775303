package dev.engram.cloud.http;

import dev.engram.cloud.auth.JwtTokens;
import dev.engram.cloud.auth.Scope;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.mcp.McpServer;
import dev.engram.cloud.mcp.McpSessions;
import dev.engram.cloud.observability.OperatorMetrics;
import dev.engram.cloud.projectcontext.ScanParser;
import dev.engram.cloud.quota.ClientAddress;
import dev.engram.cloud.quota.QuotaMessages.PublicLimit;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.util.concurrent.TimeUnit;

/** The ingress: routes, bodies and their limits, authentication, problem+json. Deployed once per core. */
public final class HttpVerticle extends VerticleBase {

  private static final String LIVE = new JsonObject().put("status", "UP").encode();

  private final EngramConfig config;
  private final ControlPlane controlPlane;
  private final JwtTokens tokens;
  private final PrometheusMeterRegistry registry;
  private final McpSessions mcpSessions;
  private final UploadSlots uploads;
  private HttpServer server;

  /** {@code mcpSessions} and {@code uploads} are the node's, shared by every instance. */
  public HttpVerticle(EngramConfig config, ControlPlane controlPlane, JwtTokens tokens, PrometheusMeterRegistry registry,
                      McpSessions mcpSessions, UploadSlots uploads) {
    this.config = config;
    this.controlPlane = controlPlane;
    this.tokens = tokens;
    this.registry = registry;
    this.mcpSessions = mcpSessions;
    this.uploads = uploads;
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer(new HttpServerOptions().setIdleTimeout(120)).requestHandler(router());
    return server.listen(config.port(), config.server().host());
  }

  /**
   * Stops accepting at once and lets the requests in flight finish, for up to {@code shutdown.grace_seconds}; a
   * connection is closed once its current request is answered.
   */
  @Override
  public Future<?> stop() {
    return server.shutdown(config.server().shutdownGraceSeconds(), TimeUnit.SECONDS);
  }

  Router router() {
    Router router = Router.router(vertx);
    EngineClient engines = new EngineClient(vertx);
    MemoryRoutes memories = new MemoryRoutes(engines, config.memories());
    OrganizeRoutes organize = new OrganizeRoutes(engines, config.memories());
    TransferRoutes transfers = new TransferRoutes(engines, config.memories());
    ScanParser scanParser = new ScanParser(vertx);
    ProjectContextRoutes projectContext = new ProjectContextRoutes(engines, scanParser);
    AccountRoutes accounts = new AccountRoutes(vertx);
    Authenticator authenticator = new Authenticator(vertx);
    Bodies bodies = new Bodies(config.http());

    router.route().handler(AccessLog::handle).handler(new OperatorMetrics(registry).watch()).handler(Bodies::hold);
    router.get("/health/live").handler(ctx ->
        ctx.response().putHeader("Content-Type", "application/json").end(LIVE));
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(readiness()));
    // With metrics.port set, /metrics is served there only (observability/MetricsVerticle).
    if (config.server().metricsPort() == 0) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    }
    router.get("/.well-known/jwks.json").handler(ctx -> AccountRoutes.json(ctx, 200, tokens.jwks()));

    Handler<RoutingContext> body = bodies.read(config.http().bodyLimitBytes());
    ClientAddress clients = ClientAddress.behind(config.http().trustedProxies());
    open(router.post("/v1/signup"), body, authenticator.throttleAnonymous(PublicLimit.SIGN_UP_PER_ADDRESS, clients),
        accounts::signup);
    open(router.post("/v1/auth/token"), body,
        authenticator.throttleAnonymous(PublicLimit.SIGN_IN_PER_ADDRESS, clients), accounts::token);
    api(router.post("/v1/memories"), body, authenticator, Scope.MEMORIES_WRITE, memories::create);
    api(router.get("/v1/memories"), body, authenticator, Scope.MEMORIES_READ, memories::list);
    api(router.get("/v1/memories/:id"), body, authenticator, Scope.MEMORIES_READ, memories::get);
    api(router.patch("/v1/memories/:id"), body, authenticator, Scope.MEMORIES_WRITE, memories::update);
    api(router.delete("/v1/memories/:id"), body, authenticator, Scope.MEMORIES_WRITE, memories::delete);
    api(router.post("/v1/search"), body, authenticator.searching(), Scope.MEMORIES_READ, memories::search);
    api(router.post("/v1/search/suggest"), body, authenticator, Scope.MEMORIES_READ, memories::suggest);
    api(router.get("/v1/stats"), body, authenticator, Scope.MEMORIES_READ, memories::stats);
    api(router.get("/v1/tags"), body, authenticator, Scope.MEMORIES_READ, organize::tags);
    api(router.get("/v1/memories/:id/versions"), body, authenticator, Scope.MEMORIES_READ, organize::versions);
    api(router.get("/v1/activity"), body, authenticator, Scope.MEMORIES_READ, organize::activity);
    api(router.get("/v1/workspaces"), body, authenticator, Scope.MEMORIES_READ, organize::workspaces);
    api(router.get("/v1/workspaces/:name"), body, authenticator, Scope.MEMORIES_READ, organize::workspace);
    api(router.post("/v1/memories/:id/move"), body, authenticator, Scope.MEMORIES_WRITE, organize::move);
    api(router.post("/v1/links"), body, authenticator, Scope.MEMORIES_WRITE, organize::link);
    api(router.delete("/v1/links"), body, authenticator, Scope.MEMORIES_WRITE, organize::unlink);
    api(router.get("/v1/memories/:id/related"), body, authenticator, Scope.MEMORIES_READ, organize::related);
    api(router.get("/v1/export"), body, authenticator, Scope.MEMORIES_READ, transfers::export);
    // Import and scan take large bodies (import also multipart uploads, spooled to disk and removed when the
    // request ends); a large one waits for a slot, which bounds how many are in memory at once.
    Handler<RoutingContext> importBody = bodies.readWithUploads(config.http().importBodyLimitBytes(),
        config.dataDir().resolve("uploads").toString());
    Route importRoute = router.post("/v1/import");
    importRoute.handler(AccessLog.named(importRoute.getPath())).handler(Bodies::requireJsonOrMultipart)
        .handler(authenticator).handler(Authenticator.require(Scope.MEMORIES_WRITE)).handler(uploads::acquire)
        .handler(importBody).handler(transfers::importDocument);
    // A scan carries whole files (up to 1 MiB each, 8 MiB in all), so it takes the import's body limit.
    Handler<RoutingContext> scanBody = bodies.read(config.http().importBodyLimitBytes());
    Route scanRoute = router.post("/v1/project-context/scan");
    scanRoute.handler(AccessLog.named(scanRoute.getPath())).handler(Bodies::requireJson).handler(authenticator)
        .handler(Authenticator.require(Scope.MEMORIES_WRITE)).handler(uploads::acquire).handler(scanBody)
        .handler(projectContext::scan);
    api(router.get("/v1/project-context"), body, authenticator, Scope.MEMORIES_READ, projectContext::get);
    api(router.post("/v1/api-keys"), body, authenticator, Scope.ADMIN, accounts::createKey);
    api(router.get("/v1/api-keys"), body, authenticator, Scope.ADMIN, accounts::listKeys);
    api(router.delete("/v1/api-keys/:id"), body, authenticator, Scope.ADMIN, accounts::revokeKey);
    api(router.get("/v1/usage"), body, authenticator, Scope.ADMIN, accounts::usage);
    mcp(router, body, authenticator, engines, scanParser);

    router.route().failureHandler(Problems::handle);
    for (int status : new int[] {400, 404, 405, 408, 413, 415, 417, 500}) {
      router.errorHandler(status, Problems::handle);
    }
    return router;
  }

  /**
   * A public route: media type and a per-client rate limit from the headers, then the body, then the handler. One
   * route per endpoint (not shared prefix routes), so metrics and logs name the endpoint's own path.
   */
  private static void open(Route route, Handler<RoutingContext> body, Handler<RoutingContext> throttle,
                           Handler<RoutingContext> handler) {
    route.handler(AccessLog.named(route.getPath())).handler(Bodies::requireJson).handler(throttle).handler(body)
        .handler(handler);
  }

  /**
   * A tenant route: media type, authentication, rate limit and scope, all from the headers, so the body is read
   * only for a caller who may make this request; then the body and the handler.
   */
  private static void api(Route route, Handler<RoutingContext> body, Authenticator authenticator, Scope scope,
                          Handler<RoutingContext> handler) {
    route.handler(AccessLog.named(route.getPath())).handler(Bodies::requireJson)
        .handler(authenticator).handler(Authenticator.require(scope)).handler(body).handler(handler);
  }

  /**
   * MCP at {@code /v1/mcp} and its alias {@code /mcp}. The origin guard runs first; the credential is checked from
   * the headers before the body is read, and each JSON-RPC message is then admitted (rate limit, plan caps) and its
   * tool's scope checked on its own.
   */
  private void mcp(Router router, Handler<RoutingContext> body, Authenticator authenticator, EngineClient engines,
                   ScanParser scanParser) {
    EngramConfig.External external = config.auth().external();
    McpRoutes routes = new McpRoutes(new McpServer(config.memories(), config.mcp().toolsPageSize(), scanParser),
        mcpSessions, engines, authenticator, config.mcp(), config.port(), external.enabled() ? external.issuer() : null);
    for (String path : new String[] {"/v1/mcp", "/mcp"}) {
      router.post(path).handler(AccessLog.named(path)).handler(Bodies::requireJson).handler(routes::guard)
          .handler(authenticator::identifyOnly).handler(body).handler(routes::post);
      router.get(path).handler(AccessLog.named(path)).handler(routes::guard).handler(authenticator)
          .handler(routes::get);
      router.delete(path).handler(AccessLog.named(path)).handler(routes::guard).handler(authenticator)
          .handler(routes::delete);
      router.get(McpRoutes.METADATA_PATH + path).handler(routes::resourceMetadata);
    }
    router.get(McpRoutes.METADATA_PATH).handler(routes::resourceMetadata);
  }

  private HealthChecks readiness() {
    return HealthChecks.create(vertx)
        .register("control-plane", 2000, promise -> controlPlane.ping()
            .onSuccess(v -> promise.complete(Status.OK()))
            .onFailure(err -> promise.complete(Status.KO())));
  }
}
