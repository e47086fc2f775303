package dev.engram.cloud.http;

import dev.engram.cloud.auth.JwtTokens;
import dev.engram.cloud.auth.Permission;
import dev.engram.cloud.auth.Permissions;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.mcp.McpServer;
import dev.engram.cloud.mcp.McpSessions;
import dev.engram.cloud.projectcontext.ScanParser;
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
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;

/** The ingress: routes, bodies and their limits, authentication, problem+json. Deployed once per core. */
public final class HttpVerticle extends VerticleBase {

  private static final String LIVE = new JsonObject().put("status", "UP").encode();

  private final EngramConfig config;
  private final ControlPlane controlPlane;
  private final JwtTokens tokens;
  private final PrometheusMeterRegistry registry;
  private final McpSessions mcpSessions;
  private final UploadSlots uploads;

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
    ScanParser scanParser = new ScanParser(vertx);
    ProjectContextRoutes projectContext = new ProjectContextRoutes(engines, scanParser);
    ClientAddress clients = ClientAddress.behind(config.http().trustedProxies());
    Origins origins = new Origins(clients);
    AccountRoutes accounts = new AccountRoutes(vertx, origins, config.auth());
    TeamRoutes teams = new TeamRoutes(vertx, origins);
    AuditRoutes audit = new AuditRoutes(controlPlane, origins);
    OperatorRoutes operator = new OperatorRoutes(vertx, config.operator(), origins);
    Authenticator authenticator = new Authenticator(vertx);
    Bodies bodies = new Bodies(config.http());

    router.route().handler(AccessLog::handle).handler(Bodies::hold);
    router.get("/health/live").handler(ctx ->
        ctx.response().putHeader("Content-Type", "application/json").end(LIVE));
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(readiness()));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    router.get("/.well-known/jwks.json").handler(ctx -> AccountRoutes.json(ctx, 200, tokens.jwks()));

    Handler<RoutingContext> body = bodies.read(config.http().bodyLimitBytes());
    Handler<RoutingContext> signUps = authenticator.throttleAnonymous(PublicLimit.SIGN_UP_PER_ADDRESS, clients);
    Handler<RoutingContext> signIns = authenticator.throttleAnonymous(PublicLimit.SIGN_IN_PER_ADDRESS, clients);
    open(router.post("/v1/signup"), body, signUps, accounts::signup);
    open(router.post("/v1/auth/token"), body, signIns, accounts::token);
    open(router.post("/v1/invites/accept"), body, signUps, teams::acceptInvite);
    TenantRoutes api = new TenantRoutes(body, authenticator, audit);
    api.route(router.post("/v1/memories"), memories::create);
    api.route(router.get("/v1/memories"), memories::list);
    api.route(router.get("/v1/memories/:id"), memories::get);
    api.route(router.patch("/v1/memories/:id"), memories::update);
    api.route(router.delete("/v1/memories/:id"), memories::delete);
    new TenantRoutes(body, authenticator.searching(), audit).route(router.post("/v1/search"), memories::search);
    api.route(router.post("/v1/search/suggest"), memories::suggest);
    api.route(router.get("/v1/stats"), memories::stats);
    api.route(router.get("/v1/tags"), organize::tags);
    api.route(router.get("/v1/memories/:id/versions"), organize::versions);
    api.route(router.get("/v1/activity"), organize::activity);
    api.route(router.get("/v1/workspaces"), organize::workspaces);
    api.route(router.get("/v1/workspaces/:name"), organize::workspace);
    api.route(router.post("/v1/memories/:id/move"), organize::move);
    api.route(router.post("/v1/links"), organize::link);
    api.route(router.delete("/v1/links"), organize::unlink);
    api.route(router.get("/v1/memories/:id/related"), organize::related);
    api.route(router.get("/v1/export"), transfers::export);
    // Import and scan take large bodies (import also multipart uploads, spooled to disk and removed when the
    // request ends); a large one waits for a slot, which bounds how many are in memory at once.
    Handler<RoutingContext> importBody = bodies.readWithUploads(config.http().importBodyLimitBytes(),
        config.dataDir().resolve("uploads").toString());
    Route importRoute = router.post("/v1/import");
    importRoute.handler(AccessLog.named(importRoute.getPath())).handler(Bodies::requireJsonOrMultipart)
        .handler(authenticator).handler(Authenticator.require(permission(importRoute)))
        .handler(api.audited(importRoute)).handler(uploads::acquire).handler(importBody)
        .handler(transfers::importDocument);
    // A scan carries whole files (up to 1 MiB each, 8 MiB in all), so it takes the import's body limit.
    Handler<RoutingContext> scanBody = bodies.read(config.http().importBodyLimitBytes());
    Route scanRoute = router.post("/v1/project-context/scan");
    scanRoute.handler(AccessLog.named(scanRoute.getPath())).handler(Bodies::requireJson).handler(authenticator)
        .handler(Authenticator.require(permission(scanRoute))).handler(uploads::acquire).handler(scanBody)
        .handler(projectContext::scan);
    api.route(router.get("/v1/project-context"), projectContext::get);
    api.route(router.post("/v1/api-keys"), accounts::createKey);
    api.route(router.get("/v1/api-keys"), accounts::listKeys);
    api.route(router.delete("/v1/api-keys/:id"), accounts::revokeKey);
    api.route(router.post("/v1/api-keys/:id/rotate"), accounts::rotateKey);
    api.route(router.get("/v1/usage"), accounts::usage);
    api.route(router.get("/v1/members"), teams::listMembers);
    api.route(router.patch("/v1/members/:user_id"), teams::changeMember);
    api.route(router.delete("/v1/members/:user_id"), teams::removeMember);
    api.route(router.post("/v1/invites"), teams::createInvite);
    api.route(router.get("/v1/invites"), teams::listInvites);
    api.route(router.delete("/v1/invites/:id"), teams::revokeInvite);
    api.route(router.get("/v1/tenant"), teams::getTenant);
    api.route(router.patch("/v1/tenant"), teams::updateTenant);
    api.route(router.delete("/v1/tenant"), teams::deleteTenant);
    api.route(router.post("/v1/tenant/transfer"), teams::transfer);
    api.route(router.get("/v1/me"), teams::me);
    api.route(router.post("/v1/me/password"), teams::changePassword);
    api.route(router.get("/v1/audit-log"), audit::list);
    api.route(router.get("/v1/audit-log/export"), audit::export);
    operator(router.get("/v1/operator/tenants"), body, signIns, operator, operator::list);
    operator(router.get("/v1/operator/tenants/:ref"), body, signIns, operator, operator::get);
    operator(router.post("/v1/operator/tenants/:ref/plan"), body, signIns, operator, operator::setPlan);
    operator(router.post("/v1/operator/tenants/:ref/suspend"), body, signIns, operator, operator::suspend);
    operator(router.post("/v1/operator/tenants/:ref/resume"), body, signIns, operator, operator::resume);
    mcp(router, body, authenticator, engines, scanParser, audit);

    router.route().failureHandler(Problems::handle);
    for (int status : new int[] {400, 404, 405, 408, 413, 415, 417, 500}) {
      router.errorHandler(status, Problems::handle);
    }
    return router;
  }

  /**
   * What the permission table ({@link Permissions}) says a route needs; a route it does not list stops the server
   * from starting, so none can be added without a permission.
   */
  static Permission permission(Route route) {
    String method = route.methods().iterator().next().name();
    return Permissions.forRoute(method, route.getPath()).orElseThrow(() -> new IllegalStateException(
        "route " + method + " " + route.getPath() + " has no entry in auth/Permissions"));
  }

  private static Route expect(Route route, Permission expected) {
    if (permission(route) != expected) {
      throw new IllegalStateException("route " + route.getPath() + " is " + permission(route) + ", not " + expected);
    }
    return route;
  }

  /**
   * A public route: media type and a per-client rate limit from the headers, then the body, then the handler. One
   * route per endpoint (not shared prefix routes), so metrics and logs name the endpoint's own path.
   */
  private static void open(Route route, Handler<RoutingContext> body, Handler<RoutingContext> throttle,
                           Handler<RoutingContext> handler) {
    expect(route, Permission.PUBLIC).handler(AccessLog.named(route.getPath())).handler(Bodies::requireJson)
        .handler(throttle).handler(body).handler(handler);
  }

  /** An operator's route: a per-address limit on attempts, the operator token, then the body and the handler. */
  private static void operator(Route route, Handler<RoutingContext> body, Handler<RoutingContext> throttle,
                               OperatorRoutes operator, Handler<RoutingContext> handler) {
    expect(route, Permission.OPERATOR).handler(AccessLog.named(route.getPath())).handler(Bodies::requireJson)
        .handler(throttle).handler(operator::authenticate).handler(body).handler(handler);
  }

  /** How tenant routes are built: the same gate for every one, with the route's own permission. */
  private record TenantRoutes(Handler<RoutingContext> body, Authenticator authenticator, AuditRoutes audit) {

    /**
     * A tenant route: media type, authentication, rate limit and the route's permission, all from the headers, so
     * the body is read only for a caller who may make this request; then the body and the handler.
     */
    void route(Route route, Handler<RoutingContext> handler) {
      route.handler(AccessLog.named(route.getPath())).handler(Bodies::requireJson)
          .handler(authenticator).handler(Authenticator.require(permission(route))).handler(audited(route))
          .handler(body).handler(handler);
    }

    /** For a route the table audits: its success is appended to the audit log once the answer is sent. */
    Handler<RoutingContext> audited(Route route) {
      String operation = route.methods().iterator().next().name() + " " + route.getPath();
      return Permissions.auditAction(operation).<Handler<RoutingContext>>map(action -> ctx -> {
        JsonObject details = new JsonObject().put("via", "rest");
        String workspace = ctx.queryParams().get("workspace");
        if (workspace != null) details.put("workspace", workspace);
        ctx.addBodyEndHandler(v -> audit.record(ctx, action, details));
        ctx.next();
      }).orElse(RoutingContext::next);
    }
  }

  /**
   * MCP at {@code /v1/mcp} and its alias {@code /mcp}. The origin guard runs first; the credential is checked from
   * the headers before the body is read, and each JSON-RPC message is then admitted (rate limit, plan caps) and its
   * tool's scope checked on its own.
   */
  private void mcp(Router router, Handler<RoutingContext> body, Authenticator authenticator, EngineClient engines,
                   ScanParser scanParser, AuditRoutes audit) {
    EngramConfig.External external = config.auth().external();
    McpRoutes routes = new McpRoutes(new McpServer(config.memories(), config.mcp().toolsPageSize(), scanParser),
        mcpSessions, engines, authenticator, config.mcp(), config.port(), external.enabled() ? external.issuer() : null,
        audit);
    Handler<RoutingContext> anyCredential = Authenticator.require(Permission.MCP);
    for (String path : new String[] {"/v1/mcp", "/mcp"}) {
      expect(router.post(path), Permission.MCP).handler(AccessLog.named(path)).handler(Bodies::requireJson)
          .handler(routes::guard).handler(authenticator::identifyOnly).handler(anyCredential).handler(body)
          .handler(routes::post);
      expect(router.get(path), Permission.MCP).handler(AccessLog.named(path)).handler(routes::guard)
          .handler(authenticator).handler(anyCredential).handler(routes::get);
      expect(router.delete(path), Permission.MCP).handler(AccessLog.named(path)).handler(routes::guard)
          .handler(authenticator).handler(anyCredential).handler(routes::delete);
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
