package dev.engram.cloud.http;

import dev.engram.cloud.api.Contract;
import dev.engram.cloud.api.ContextRequests;
import dev.engram.cloud.api.MemoryRequests;
import dev.engram.cloud.api.OrganizeRequests;
import dev.engram.cloud.api.ProjectRequests;
import dev.engram.cloud.api.TransferRequests;
import dev.engram.cloud.auth.JwtTokens;
import dev.engram.cloud.auth.Permission;
import dev.engram.cloud.auth.Permissions;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.console.DocsSite;
import dev.engram.cloud.console.WebPages;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.mcp.McpServer;
import dev.engram.cloud.mcp.McpSessions;
import dev.engram.cloud.metering.UsageSpool;
import dev.engram.cloud.billing.BillingService;
import dev.engram.cloud.mcp.MemoryTools;
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
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.util.HashSet;
import java.util.Set;
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
  private final UsageSpool spool;
  private final BillingService billing;
  private HttpServer server;

  /** {@code mcpSessions}, {@code uploads}, {@code spool} and {@code billing} are the node's, shared by all instances. */
  public HttpVerticle(EngramConfig config, ControlPlane controlPlane, JwtTokens tokens, PrometheusMeterRegistry registry,
                      McpSessions mcpSessions, UploadSlots uploads, UsageSpool spool, BillingService billing) {
    this.config = config;
    this.controlPlane = controlPlane;
    this.tokens = tokens;
    this.registry = registry;
    this.mcpSessions = mcpSessions;
    this.uploads = uploads;
    this.spool = spool;
    this.billing = billing;
  }

  @Override
  public Future<?> start() {
    String self = config.mcp().publicUrl().isEmpty() ? "http://localhost:" + config.port()
        : config.mcp().publicUrl().replaceAll("/+$", "");
    return Contract.load(vertx, config, self).compose(contract -> vertx
        .executeBlocking(() -> DocsSite.load(contract.document()))
        .compose(docs -> {
          Router router = router(contract);
          new WebPages(config, self, docs).mount(router);
          server = vertx.createHttpServer(new HttpServerOptions().setIdleTimeout(120)).requestHandler(router);
          return server.listen(config.port(), config.server().host());
        }));
  }

  /**
   * Stops accepting at once and lets the requests in flight finish, for up to {@code shutdown.grace_seconds}; a
   * connection is closed once its current request is answered.
   */
  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.shutdown(config.server().shutdownGraceSeconds(),
        TimeUnit.SECONDS);
  }

  /**
   * The routes of openapi.yaml (created from the document by vertx-web-openapi-router, one route per operation, so
   * that every documented route exists and metrics and logs name its own path), then MCP and the failure handlers.
   * Each operation's handlers run in the order of {@link #api}.
   */
  Router router(Contract contract) {
    EngineClient engines = new EngineClient(vertx);
    MemoryRequests memoryRequests = new MemoryRequests(contract, config.memories());
    MemoryRoutes memories = new MemoryRoutes(engines, memoryRequests);
    OrganizeRoutes organize = new OrganizeRoutes(engines, new OrganizeRequests(contract));
    TransferRequests transferRequests = new TransferRequests(config.memories());
    TransferRoutes transfers = new TransferRoutes(engines, transferRequests, contract.input("importMemories"));
    ScanParser scanParser = new ScanParser(vertx);
    ProjectRequests projectRequests = new ProjectRequests();
    ProjectContextRoutes projectContext = new ProjectContextRoutes(engines, scanParser, projectRequests,
        contract.input("scanProject"));
    ContextRoutes context = new ContextRoutes(engines, new ContextRequests());
    ClientAddress clients = ClientAddress.behind(config.http().trustedProxies());
    Origins origins = new Origins(clients);
    AccountRoutes accounts = new AccountRoutes(vertx, origins, config.auth());
    TeamRoutes teams = new TeamRoutes(vertx, origins);
    AuditRoutes audit = new AuditRoutes(controlPlane, origins);
    OperatorRoutes operator = new OperatorRoutes(vertx, config.operator(), origins);
    Authenticator authenticator = new Authenticator(vertx, spool);
    Bodies bodies = new Bodies(config.http());
    Routes routes = new Routes(RouterBuilder.create(vertx, contract.openApi()), contract, authenticator,
        bodies.read(config.http().bodyLimitBytes()), audit);
    routes.builder.rootHandler(AccessLog::handle).rootHandler(new OperatorMetrics(registry).watch())
        .rootHandler(Bodies::hold);

    Handler<RoutingContext> signUps = authenticator.throttleAnonymous(PublicLimit.SIGN_UP_PER_ADDRESS, clients);
    Handler<RoutingContext> signIns = authenticator.throttleAnonymous(PublicLimit.SIGN_IN_PER_ADDRESS, clients);
    routes.open("signup", signUps, accounts::signup);
    routes.open("createToken", signIns, accounts::token);
    routes.open("acceptInvite", signUps, teams::acceptInvite);
    routes.api("createMemory", memories::create);
    routes.api("listMemories", memories::list);
    routes.api("getMemory", memories::get);
    routes.api("updateMemory", memories::update);
    routes.api("deleteMemory", memories::delete);
    routes.api("search", authenticator.searching(), memories::search);
    routes.api("suggest", memories::suggest);
    routes.api("getStats", memories::stats);
    routes.api("listTags", organize::tags);
    routes.api("listVersions", organize::versions);
    routes.api("recentActivity", organize::activity);
    routes.api("listWorkspaces", organize::workspaces);
    routes.api("getWorkspace", organize::workspace);
    routes.api("moveMemory", organize::move);
    routes.api("link", organize::link);
    routes.api("unlink", organize::unlink);
    routes.api("listRelated", organize::related);
    routes.api("exportMemories", transfers::export);
    // Import and scan take large bodies (import also multipart uploads, spooled to disk and removed when the
    // request ends); a large one waits for a slot, which bounds how many are in memory at once. Their bodies are
    // checked against the contract on a worker, by the route.
    routes.upload("importMemories", Bodies::requireJsonOrMultipart, bodies.readWithUploads(
        config.http().importBodyLimitBytes(), config.dataDir().resolve("uploads").toString()),
        transfers::importDocument);
    // A scan carries whole files (up to 1 MiB each, 8 MiB in all), so it takes the import's body limit.
    routes.upload("scanProject", Bodies::requireJson, bodies.read(config.http().importBodyLimitBytes()),
        projectContext::scan);
    routes.api("getProjectContext", projectContext::get);
    routes.api("createDailyMemory", memories::createDaily);
    routes.api("buildContext", authenticator.searching(), context::build);
    routes.api("compressForContext", authenticator.searching(), context::compress);
    routes.api("estimateTokens", context::estimate);
    routes.api("createBlock", context::createBlock);
    routes.api("listBlocks", context::listBlocks);
    routes.api("getBlock", context::getBlock);
    routes.api("editBlock", context::editBlock);
    IdentityRoutes identities = new IdentityRoutes(engines);
    routes.api("createIdentity", identities::create);
    routes.api("resolveIdentity", identities::resolve);
    routes.api("recordFeedback", identities::recordFeedback);
    routes.api("feedbackStats", identities::feedbackStats);
    routes.api("createApiKey", accounts::createKey);
    routes.api("listApiKeys", accounts::listKeys);
    routes.api("revokeApiKey", accounts::revokeKey);
    routes.api("rotateApiKey", accounts::rotateKey);
    routes.api("getUsage", accounts::usage);
    routes.api("listBackups", accounts::backups);
    routes.api("listMembers", teams::listMembers);
    routes.api("updateMember", teams::changeMember);
    routes.api("removeMember", teams::removeMember);
    routes.api("createInvite", teams::createInvite);
    routes.api("listInvites", teams::listInvites);
    routes.api("revokeInvite", teams::revokeInvite);
    routes.api("getTenant", teams::getTenant);
    routes.api("updateTenant", teams::updateTenant);
    routes.api("deleteTenant", teams::deleteTenant);
    routes.api("transferOwnership", teams::transfer);
    routes.api("getMe", teams::me);
    routes.api("changePassword", teams::changePassword);
    routes.api("listAuditLog", audit::list);
    routes.api("exportAuditLog", audit::export);
    // The operator's routes: a per-address limit on attempts (like sign-in), then the operator token.
    routes.operator("operatorListTenants", signIns, operator, operator::list);
    routes.operator("operatorGetTenant", signIns, operator, operator::get);
    routes.operator("operatorSetPlan", signIns, operator, operator::setPlan);
    routes.operator("operatorSuspendTenant", signIns, operator, operator::suspend);
    routes.operator("operatorResumeTenant", signIns, operator, operator::resume);
    BillingRoutes billingRoutes = new BillingRoutes(billing);
    routes.api("getBilling", billingRoutes::status);
    routes.api("createCheckout", billingRoutes::checkout);
    routes.api("createPortal", billingRoutes::portal);
    routes.signed("stripeWebhook", billingRoutes::webhook);
    routes.service("live", ctx -> ctx.response().putHeader("Content-Type", "application/json").end(LIVE));
    routes.service("ready", HealthCheckHandler.createWithHealthChecks(readiness()));
    routes.service("jwks", ctx -> AccountRoutes.json(ctx, 200, tokens.jwks()));
    String json = contract.document().encode();
    routes.service("openapiJson", ctx -> ctx.response().putHeader("Content-Type", "application/json").end(json));
    routes.service("openapiYaml", ctx -> ctx.response().putHeader("Content-Type", "application/yaml")
        .end(contract.yaml()));

    routes.checkEveryOperationIsServed();
    Router router = routes.builder.createRouter();
    // With metrics.port set, /metrics is served there only (observability/MetricsVerticle).
    if (config.server().metricsPort() == 0) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    }
    mcp(router, routes.body, authenticator, engines, scanParser, contract, audit);
    router.route().failureHandler(Problems::handle);
    for (int status : new int[] {400, 404, 405, 408, 413, 415, 417, 500}) {
      router.errorHandler(status, Problems::handle);
    }
    return router;
  }

  /**
   * Adds each operation's handlers to its route of the contract, in the one order every route follows, with the
   * permission the table ({@link Permissions}) gives the operation.
   */
  private final class Routes {
    final RouterBuilder builder;
    final Contract contract;
    final Authenticator authenticator;
    final Handler<RoutingContext> body;
    final AuditRoutes audit;
    final Set<String> served = new HashSet<>();

    Routes(RouterBuilder builder, Contract contract, Authenticator authenticator, Handler<RoutingContext> body,
           AuditRoutes audit) {
      this.builder = builder;
      this.contract = contract;
      this.authenticator = authenticator;
      this.body = body;
      this.audit = audit;
    }

    /**
     * A public route: media type and a per-client rate limit from the headers, then the body, then its check
     * against the contract, then the handler.
     */
    void open(String operationId, Handler<RoutingContext> throttle, Handler<RoutingContext> handler) {
      expect(operationId, Permission.PUBLIC);
      route(operationId).addHandler(Bodies::requireJson).addHandler(throttle).addHandler(body)
          .addHandler(RequestInput.check(contract.input(operationId))).addHandler(handler);
    }

    /**
     * A tenant route: media type, authentication, rate limit and the operation's permission (role and scope), all
     * from the headers, so the body is read only for a caller who may make this request; then the body, its check
     * against the contract, and the handler. An operation the table audits is appended to the audit log once its
     * answer is sent.
     */
    void api(String operationId, Handler<RoutingContext> handler) {
      api(operationId, authenticator, handler);
    }

    void api(String operationId, Authenticator gate, Handler<RoutingContext> handler) {
      route(operationId).addHandler(Bodies::requireJson).addHandler(gate(operationId, gate))
          .addHandler(Authenticator.require(permission(operationId))).addHandler(audited(operationId))
          .addHandler(body).addHandler(RequestInput.check(contract.input(operationId))).addHandler(handler);
    }

    /**
     * An operator's route: media type, a per-address limit on attempts, the operator token (not a tenant's
     * credential), then the body, its check against the contract, and the handler.
     */
    void operator(String operationId, Handler<RoutingContext> throttle, OperatorRoutes operator,
                  Handler<RoutingContext> handler) {
      expect(operationId, Permission.OPERATOR);
      route(operationId).addHandler(Bodies::requireJson).addHandler(throttle).addHandler(operator::authenticate)
          .addHandler(body).addHandler(RequestInput.check(contract.input(operationId))).addHandler(handler);
    }

    /** A tenant route with a large body: as {@link #api}, plus an upload slot; the route checks the body itself. */
    void upload(String operationId, Handler<RoutingContext> mediaType, Handler<RoutingContext> largeBody,
                Handler<RoutingContext> handler) {
      route(operationId).addHandler(mediaType).addHandler(gate(operationId, authenticator))
          .addHandler(Authenticator.require(permission(operationId))).addHandler(audited(operationId))
          .addHandler(uploads::acquire)
          .addHandler(largeBody).addHandler(RequestInput.checkParameters(contract.input(operationId)))
          .addHandler(handler);
    }

    /** The gate of a tenant route: an operation that changes memories is admitted as a write. */
    private Authenticator gate(String operationId, Authenticator gate) {
      return permission(operationId) == Permission.WRITE ? gate.writing() : gate;
    }

    /** A call signed by its sender (Stripe's webhook): media type, body, then the handler that checks the signature. */
    void signed(String operationId, Handler<RoutingContext> handler) {
      expect(operationId, Permission.PUBLIC);
      route(operationId).addHandler(Bodies::requireJson).addHandler(body).addHandler(handler);
    }

    /** Health, keys and the contract: no credential, no body. */
    void service(String operationId, Handler<RoutingContext> handler) {
      expect(operationId, Permission.PUBLIC);
      route(operationId).addHandler(handler);
    }

    private OpenAPIRoute route(String operationId) {
      if (!served.add(operationId)) throw new IllegalStateException(operationId + " is routed twice");
      OpenAPIRoute route = builder.getRoute(operationId);
      // Validation and security run as this server's own handlers, after authentication (see api()).
      route.setDoValidation(false).setDoSecurity(false);
      return route.addHandler(AccessLog.named(route.getOperation().getOpenAPIPath().replaceAll("\\{([^}]+)}", ":$1")));
    }

    /**
     * What the permission table gives a tenant operation; the server does not start when the table lacks it, or when
     * the scope the document's security requirement names is not the table's (the document shows the scope, the
     * table decides, and they cannot drift apart).
     */
    private Permission permission(String operationId) {
      Permission permission = Permissions.forOperation(operationId).orElseThrow(() -> new IllegalStateException(
          operationId + " has no entry in auth/Permissions"));
      if (!permission.tenant()) throw new IllegalStateException(operationId + " is " + permission + ", not a tenant route");
      String documented = contract.scope(operationId);
      if (documented == null || !documented.equals(permission.scope().value())) {
        throw new IllegalStateException(operationId + ": openapi.yaml names scope " + documented
            + " but auth/Permissions gives " + permission + " (scope " + permission.scope().value() + ")");
      }
      return permission;
    }

    private void expect(String operationId, Permission expected) {
      Permission permission = Permissions.forOperation(operationId).orElse(null);
      if (permission != expected) {
        throw new IllegalStateException(operationId + " is " + permission + " in auth/Permissions, routed as " + expected);
      }
    }

    /** For an operation the table audits: its success is appended to the audit log once the answer is sent. */
    private Handler<RoutingContext> audited(String operationId) {
      return Permissions.auditAction(operationId).<Handler<RoutingContext>>map(action -> ctx -> {
        JsonObject details = new JsonObject().put("via", "rest");
        String workspace = ctx.queryParams().get("workspace");
        if (workspace != null) details.put("workspace", workspace);
        ctx.addBodyEndHandler(v -> audit.record(ctx, action, details));
        ctx.next();
      }).orElse(RoutingContext::next);
    }

    /** Every operation of the document is routed here: none is documented and left unserved. */
    void checkEveryOperationIsServed() {
      for (var operation : contract.openApi().operations()) {
        if (!served.contains(operation.getOperationId())) {
          throw new IllegalStateException(operation.getOperationId() + " is in openapi.yaml but not routed");
        }
      }
    }
  }

  /**
   * MCP at {@code /v1/mcp} and its alias {@code /mcp}. The origin guard runs first; the credential is checked from
   * the headers before the body is read, and each JSON-RPC message is then admitted (rate limit, plan caps) and its
   * tool's scope checked on its own.
   */
  private void mcp(Router router, Handler<RoutingContext> body, Authenticator authenticator, EngineClient engines,
                   ScanParser scanParser, Contract contract, AuditRoutes audit) {
    EngramConfig.External external = config.auth().external();
    McpRoutes routes = new McpRoutes(new McpServer(new MemoryTools(contract, config.memories(), scanParser),
        config.mcp().toolsPageSize()),
        mcpSessions, engines, authenticator, config.mcp(), config.port(), external.enabled() ? external.issuer() : null,
        audit);
    Handler<RoutingContext> anyCredential = Authenticator.require(Permission.MCP);
    for (String path : new String[] {"/v1/mcp", "/mcp"}) {
      router.post(path).handler(AccessLog.named(path)).handler(Bodies::requireJson).handler(routes::guard)
          .handler(authenticator::identifyOnly).handler(anyCredential).handler(body).handler(routes::post);
      router.get(path).handler(AccessLog.named(path)).handler(routes::guard).handler(authenticator)
          .handler(anyCredential).handler(routes::get);
      router.delete(path).handler(AccessLog.named(path)).handler(routes::guard).handler(authenticator)
          .handler(anyCredential).handler(routes::delete);
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
