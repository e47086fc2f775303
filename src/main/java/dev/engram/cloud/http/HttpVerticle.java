package dev.engram.cloud.http;

import dev.engram.cloud.auth.JwtTokens;
import dev.engram.cloud.auth.Scope;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.mcp.McpServer;
import dev.engram.cloud.mcp.McpSessions;
import dev.engram.cloud.quota.ClientAddress;
import dev.engram.cloud.quota.QuotaMessages.PublicLimit;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;

/** The ingress: routes, body limits, authentication, problem+json. Deployed once per core. */
public final class HttpVerticle extends VerticleBase {

  private static final String LIVE = new JsonObject().put("status", "UP").encode();

  private final EngramConfig config;
  private final ControlPlane controlPlane;
  private final JwtTokens tokens;
  private final PrometheusMeterRegistry registry;
  private final McpSessions mcpSessions;

  public HttpVerticle(EngramConfig config, ControlPlane controlPlane, JwtTokens tokens, PrometheusMeterRegistry registry,
                      McpSessions mcpSessions) {
    this.config = config;
    this.controlPlane = controlPlane;
    this.tokens = tokens;
    this.registry = registry;
    this.mcpSessions = mcpSessions;
  }

  @Override
  public Future<?> start() {
    return vertx.createHttpServer(new HttpServerOptions().setIdleTimeout(120))
        .requestHandler(router())
        .listen(config.port());
  }

  Router router() {
    Router router = Router.router(vertx);
    EngineClient engines = new EngineClient(vertx);
    MemoryRoutes memories = new MemoryRoutes(engines, config.memories());
    OrganizeRoutes organize = new OrganizeRoutes(engines, config.memories());
    TransferRoutes transfers = new TransferRoutes(engines, config.memories());
    ProjectContextRoutes projectContext = new ProjectContextRoutes(engines);
    AccountRoutes accounts = new AccountRoutes(vertx);
    Authenticator authenticator = new Authenticator(vertx);

    router.route().handler(AccessLog::handle);
    router.get("/health/live").handler(ctx ->
        ctx.response().putHeader("Content-Type", "application/json").end(LIVE));
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(readiness()));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    router.get("/.well-known/jwks.json").handler(ctx -> AccountRoutes.json(ctx, 200, tokens.jwks()));

    BodyHandler body = BodyHandler.create(false).setBodyLimit(config.http().bodyLimitBytes());
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
    // Import alone takes large bodies and multipart uploads (spooled to disk, removed when the request ends).
    BodyHandler importBody = BodyHandler.create(config.dataDir().resolve("uploads").toString())
        .setBodyLimit(config.http().importBodyLimitBytes())
        .setMergeFormAttributes(false)
        .setDeleteUploadedFilesOnEnd(true);
    Route importRoute = router.post("/v1/import");
    importRoute.handler(importBody).handler(AccessLog.named(importRoute.getPath())).handler(authenticator)
        .handler(Authenticator.require(Scope.MEMORIES_WRITE)).handler(transfers::importDocument);
    // A scan carries whole files (up to 1 MiB each, 8 MiB in all), so it takes the import's body limit.
    BodyHandler scanBody = BodyHandler.create(false).setBodyLimit(config.http().importBodyLimitBytes());
    api(router.post("/v1/project-context/scan"), scanBody, authenticator, Scope.MEMORIES_WRITE, projectContext::scan);
    api(router.get("/v1/project-context"), body, authenticator, Scope.MEMORIES_READ, projectContext::get);
    api(router.post("/v1/api-keys"), body, authenticator, Scope.ADMIN, accounts::createKey);
    api(router.get("/v1/api-keys"), body, authenticator, Scope.ADMIN, accounts::listKeys);
    api(router.delete("/v1/api-keys/:id"), body, authenticator, Scope.ADMIN, accounts::revokeKey);
    api(router.get("/v1/usage"), body, authenticator, Scope.ADMIN, accounts::usage);
    mcp(router, body, authenticator, engines);

    router.route().failureHandler(Problems::handle);
    for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
      router.errorHandler(status, Problems::handle);
    }
    return router;
  }

  /**
   * A public route: body limit, JSON check and a per-client rate limit, then the handler. One route per endpoint
   * (not shared prefix routes), so metrics and logs name the endpoint's own path.
   */
  private static void open(Route route, BodyHandler body, Handler<RoutingContext> throttle,
                           Handler<RoutingContext> handler) {
    route.handler(body).handler(AccessLog.named(route.getPath())).handler(HttpVerticle::requireJsonBody)
        .handler(throttle).handler(handler);
  }

  /** A tenant route: as {@link #open}, plus authentication, rate limit and the scope it needs. */
  private static void api(Route route, BodyHandler body, Authenticator authenticator, Scope scope,
                          Handler<RoutingContext> handler) {
    route.handler(body).handler(AccessLog.named(route.getPath())).handler(HttpVerticle::requireJsonBody)
        .handler(authenticator).handler(Authenticator.require(scope)).handler(handler);
  }

  /**
   * MCP at {@code /v1/mcp} and its alias {@code /mcp}. Tool scopes are checked per call, so the route only needs a
   * valid credential; the origin guard runs before authentication.
   */
  private void mcp(Router router, BodyHandler body, Authenticator authenticator, EngineClient engines) {
    EngramConfig.External external = config.auth().external();
    McpRoutes routes = new McpRoutes(new McpServer(config.memories(), config.mcp().toolsPageSize()), mcpSessions,
        engines, config.mcp(), external.enabled() ? external.issuer() : null);
    Handler<RoutingContext> authenticate = McpRoutes.authenticate(authenticator, authenticator.searching());
    for (String path : new String[] {"/v1/mcp", "/mcp"}) {
      router.post(path).handler(body).handler(AccessLog.named(path)).handler(HttpVerticle::requireJsonBody)
          .handler(routes::guard).handler(authenticate).handler(routes::post);
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

  /** Bodies must be JSON: any other declared content type is a 415 (a body without one is parsed as JSON). */
  private static void requireJsonBody(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    boolean hasBody = ctx.body() != null && ctx.body().length() > 0;
    if (hasBody && type != null && !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      ctx.fail(new ApiException(415, "unsupported_media_type", "Send the body as application/json."));
      return;
    }
    ctx.next();
  }
}
