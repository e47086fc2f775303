package dev.engram.cloud.http;

import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.mcp.McpError;
import dev.engram.cloud.mcp.McpErrors;
import dev.engram.cloud.mcp.McpServer;
import dev.engram.cloud.mcp.McpSessions;
import dev.engram.cloud.mcp.McpSessions.Session;
import dev.engram.cloud.mcp.McpVersions;
import dev.engram.cloud.mcp.ToolCall;
import dev.engram.cloud.quota.QuotaMessages.Usage;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.util.ArrayList;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * MCP Streamable HTTP at {@code /v1/mcp} and {@code /mcp}: checks the origin, protocol version, session and routing
 * headers, admits each JSON-RPC message (one call, a search for memory_search) and hands it to {@link McpServer}, and
 * writes the answer as JSON or as an SSE stream.
 *
 * <p>Metering and limits count messages, not HTTP requests, so that a batch costs what its messages would cost sent
 * one by one: each message is one rate-limit token and one API call (and one search for {@code memory_search});
 * a message refused by its admission gets its own JSON-RPC error in the batch answer ({@link McpErrors#rpcError}), and
 * a request none of whose messages is admitted is answered as REST would be (429 or 402). A request refused whole
 * (unparseable, empty or over-long batch, bad headers) is one call, like a REST request answered 400.
 */
final class McpRoutes {

  static final String SESSION_HEADER = "Mcp-Session-Id";
  static final String VERSION_HEADER = "MCP-Protocol-Version";
  static final String METADATA_PATH = "/.well-known/oauth-protected-resource";
  private static final String META_VERSION = "io.modelcontextprotocol/protocolVersion";
  private static final String META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
  private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]", "::1");
  private static final Pattern LOOPBACK_V4 = Pattern.compile("127(\\.[0-9]{1,3}){3}");

  private final McpServer server;
  private final McpSessions sessions;
  private final EngineClient engines;
  private final Authenticator authenticator;
  private final EngramConfig.Mcp config;
  private final int port;
  private final String authorizationServer;
  private final AuditRoutes audit;

  McpRoutes(McpServer server, McpSessions sessions, EngineClient engines, Authenticator authenticator,
            EngramConfig.Mcp config, int port, String authorizationServer, AuditRoutes audit) {
    this.server = server;
    this.sessions = sessions;
    this.engines = engines;
    this.authenticator = authenticator;
    this.config = config;
    this.port = port;
    this.authorizationServer = authorizationServer;
    this.audit = audit;
  }

  /**
   * Runs before authentication: refuses browser origins outside the allow-list (DNS rebinding), and makes a 401
   * point MCP clients at the resource metadata.
   */
  void guard(RoutingContext ctx) {
    String origin = ctx.request().getHeader("Origin");
    if (origin != null && !originAllowed(origin)) {
      ctx.fail(ApiException.forbidden("origin_not_allowed", "Origin '" + origin + "' may not call this server."));
      return;
    }
    ctx.addHeadersEndHandler(v -> {
      if (ctx.response().getStatusCode() == 401) {
        String previous = ctx.response().headers().get("WWW-Authenticate");
        String error = previous != null && previous.contains("invalid_token") ? ", error=\"invalid_token\"" : "";
        ctx.response().putHeader("WWW-Authenticate", "Bearer resource_metadata=\"" + baseUrl(ctx.request())
            + METADATA_PATH + ctx.normalizedPath() + "\"" + error);
      }
    });
    ctx.next();
  }

  void post(RoutingContext ctx) {
    Principal principal = Authenticator.principal(ctx);
    Object body = null;
    String headerVersion = trimmed(ctx.request().getHeader(VERSION_HEADER));
    String batchVersion = null;
    try {
      body = parse(ctx.body().buffer());
      if (headerVersion != null && !McpVersions.supported(headerVersion)) {
        throw McpError.unsupportedVersion(headerVersion);
      }
      if (body instanceof JsonArray batch) batchVersion = checkBatch(ctx, principal, batch, headerVersion);
    } catch (ApiException e) {
      Object id = idOf(body);
      authenticator.admit(ctx, Usage.CALL).onSuccess(d -> {
        if (e instanceof McpError error) answerError(ctx, id, error);
        else ctx.fail(e);
      }).onFailure(ctx::fail);
      return;
    }
    ToolCall call = new ToolCall(principal, MemoryRoutes.caps(ctx), engines, RequestIds.get(ctx));
    Future<Object> answer = body instanceof JsonArray batch ? batch(ctx, call, batch, batchVersion)
        : single(ctx, call, (JsonObject) body, headerVersion);
    Object id = idOf(body);
    answer.onSuccess(response -> {
      Authenticator.countCreated(ctx, call.created());
      Authenticator.countSearches(ctx, call.searches());
      for (String action : call.audited()) {
        ctx.addBodyEndHandler(v -> audit.record(ctx, action, new JsonObject().put("via", "mcp")));
      }
      write(ctx, response);
    }).onFailure(err -> {
      if (err instanceof McpServer.IdentifiedError e) {
        answerError(ctx, e.id(), e);
      } else if (err instanceof McpError e) {
        answerError(ctx, id, e);
      } else {
        ctx.fail(err); // a refused admission (429, 402) or an unexpected failure, as problem+json
      }
    });
  }

  /** No server-initiated stream is offered. */
  void get(RoutingContext ctx) {
    ctx.response().putHeader("Allow", "POST, DELETE");
    ctx.fail(new ApiException(405, "method_not_allowed", "This server offers no GET stream; POST JSON-RPC messages."));
  }

  void delete(RoutingContext ctx) {
    String id = ctx.request().getHeader(SESSION_HEADER);
    if (id == null) throw ApiException.badRequest("missing_session", "Send the Mcp-Session-Id to end.");
    if (!sessions.close(id.trim(), Authenticator.principal(ctx))) {
      throw ApiException.notFound("No such MCP session.");
    }
    ctx.response().setStatusCode(204).end();
  }

  /** RFC 9728 metadata for the MCP endpoint; the resource is the path the metadata URL names (default /v1/mcp). */
  void resourceMetadata(RoutingContext ctx) {
    String base = baseUrl(ctx.request());
    String endpoint = ctx.normalizedPath().substring(METADATA_PATH.length());
    JsonObject doc = new JsonObject()
        .put("resource", base + (endpoint.isEmpty() ? "/v1/mcp" : endpoint))
        .put("authorization_servers", new JsonArray().add(authorizationServer != null ? authorizationServer : base))
        .put("bearer_methods_supported", new JsonArray().add("header"))
        .put("scopes_supported", new JsonArray().add("memories:read").add("memories:write").add("admin"))
        .put("resource_name", "Engram Cloud MCP")
        .put("resource_documentation", base + "/docs");
    ctx.response().putHeader("Content-Type", "application/json").end(doc.encode());
  }

  // ---- one message or a batch ----

  /** One message: admitted, then answered. */
  private Future<Object> single(RoutingContext ctx, ToolCall call, JsonObject message, String headerVersion) {
    return authenticator.admit(ctx, usage(message)).compose(admitted -> answer(ctx, call, message, headerVersion));
  }

  private Future<Object> answer(RoutingContext ctx, ToolCall call, JsonObject message, String headerVersion) {
    String method = message.getValue("method") instanceof String m ? m : null;
    JsonObject params = message.getValue("params") instanceof JsonObject p ? p : new JsonObject();
    if (isStateless(headerVersion, method, params)) {
      checkStateless(ctx.request(), headerVersion, method, params);
      return server.handle(call, message, McpVersions.V2026_07_28).map(r -> r);
    }
    if ("initialize".equals(method)) {
      return server.handle(call, message, null).map(response -> {
        JsonObject result = response == null ? null : response.getJsonObject("result");
        if (result != null) {
          sessions.open(call.principal(), result.getString("protocolVersion"))
              .ifPresent(session -> ctx.response().putHeader(SESSION_HEADER, session.id()));
        }
        return response;
      });
    }
    return server.handle(call, message, legacyVersion(ctx, call.principal(), headerVersion)).map(r -> r);
  }

  /** What makes a batch acceptable as a whole; the protocol revision it runs under. */
  private String checkBatch(RoutingContext ctx, Principal principal, JsonArray batch, String headerVersion) {
    String version = legacyVersion(ctx, principal, headerVersion);
    if (!McpVersions.allowsBatch(version)) {
      throw new McpError(McpError.INVALID_REQUEST, "JSON-RPC batches are not part of protocol " + version, 400);
    }
    if (batch.isEmpty()) throw new McpError(McpError.INVALID_REQUEST, "Empty batch", 400);
    if (batch.size() > config.maxBatch()) {
      throw new McpError(McpError.INVALID_REQUEST, "A batch may hold at most " + config.maxBatch() + " messages; this "
          + "one holds " + batch.size() + ".", 413, new JsonObject().put("max_batch", config.maxBatch())
          .put("messages", batch.size()));
    }
    return version;
  }

  /**
   * Runs a batch one message at a time: each is admitted on its own and run once admitted, a refused one is answered
   * with its refusal, and once the answers hold {@code mcp.max_batch_response_bytes} the rest are answered without
   * running (nor being charged), so a batch holds at most that budget plus one message's answer. When no message is
   * admitted, the whole request fails with the first refusal, as a single message would.
   */
  private Future<Object> batch(RoutingContext ctx, ToolCall call, JsonArray batch, String version) {
    BatchAnswer answer = new BatchAnswer();
    Future<Void> done = Future.succeededFuture();
    for (Object item : batch) done = done.compose(v -> next(ctx, call, item, version, answer));
    return done.compose(v -> answer.ran == 0 && answer.firstRefusal != null
        ? Future.failedFuture(answer.firstRefusal)
        : Future.succeededFuture(answer.responses.isEmpty() ? null : answer.responses));
  }

  private Future<Void> next(RoutingContext ctx, ToolCall call, Object item, String version, BatchAnswer answer) {
    if (answer.bytes >= config.maxBatchResponseBytes()) {
      answer.add(isRequest(item) ? errorAnswer(ctx, idOf(item), new McpError(McpError.SERVER_ERROR, "Not run: the "
          + "batch's answer reached its size limit; send this message again.", 200,
          new JsonObject().put("max_batch_response_bytes", config.maxBatchResponseBytes()))) : null);
      return Future.succeededFuture();
    }
    return authenticator.admit(ctx, usage(item)).transform(admission -> {
      if (admission.failed()) {
        if (answer.firstRefusal == null) answer.firstRefusal = admission.cause();
        answer.add(isRequest(item) ? errorAnswer(ctx, idOf(item), ApiException.from(admission.cause())) : null);
        return Future.succeededFuture();
      }
      answer.ran++;
      return run(ctx, call, item, version).map(response -> {
        answer.add(response);
        return null;
      });
    });
  }

  /** A batch's answers so far, their size, and what its admissions said. */
  private static final class BatchAnswer {
    final JsonArray responses = new JsonArray();
    long bytes;
    int ran;
    Throwable firstRefusal;

    void add(JsonObject response) {
      if (response == null) return;
      responses.add(response);
      bytes += response.toBuffer().length();
    }
  }

  /** One admitted message of a batch; protocol errors become its answer, other failures fail the request. */
  private Future<JsonObject> run(RoutingContext ctx, ToolCall call, Object item, String version) {
    if (!(item instanceof JsonObject message) || "initialize".equals(message.getValue("method"))) {
      return Future.succeededFuture(errorAnswer(ctx, null,
          new McpError(McpError.INVALID_REQUEST, "Invalid Request in batch", 400)));
    }
    return server.handle(call, message, version).recover(err -> err instanceof McpError e
        ? Future.succeededFuture(errorAnswer(ctx, message.getValue("id"), e))
        : Future.failedFuture(err));
  }

  /** The revision of a handshake-era request: its session's, else the header's, else the transport default. */
  private String legacyVersion(RoutingContext ctx, Principal principal, String headerVersion) {
    String sessionId = trimmed(ctx.request().getHeader(SESSION_HEADER));
    if (sessionId == null) return headerVersion != null ? headerVersion : McpVersions.DEFAULT_WITHOUT_HEADER;
    Optional<Session> session = sessions.find(sessionId, principal);
    if (session.isEmpty()) throw new McpError(McpError.SESSION_NOT_FOUND, "Session not found", 404);
    if (headerVersion != null && !headerVersion.equals(session.get().protocolVersion())) {
      throw new McpError(McpError.INVALID_REQUEST, "MCP-Protocol-Version " + headerVersion
          + " does not match the session's " + session.get().protocolVersion(), 400);
    }
    return session.get().protocolVersion();
  }

  private static boolean isStateless(String headerVersion, String method, JsonObject params) {
    JsonObject meta = params.getValue("_meta") instanceof JsonObject m ? m : null;
    return McpVersions.stateless(headerVersion) || "server/discover".equals(method)
        || (meta != null && meta.containsKey(META_VERSION));
  }

  /** 2026-07-28: the version header, {@code _meta}, {@code Mcp-Method} and {@code Mcp-Name} must agree with the body. */
  private static void checkStateless(HttpServerRequest request, String headerVersion, String method, JsonObject params) {
    if (headerVersion == null) throw mismatch("Missing MCP-Protocol-Version header");
    JsonObject meta = params.getValue("_meta") instanceof JsonObject m ? m : new JsonObject();
    if (!meta.containsKey(META_VERSION) || !meta.containsKey(META_CAPABILITIES)) {
      throw new McpError(McpError.INVALID_PARAMS, "Invalid params: _meta needs " + META_VERSION + " and "
          + META_CAPABILITIES, 400);
    }
    Object metaVersion = meta.getValue(META_VERSION);
    if (!headerVersion.equals(metaVersion)) throw mismatch("MCP-Protocol-Version header does not match _meta");
    String methodHeader = trimmed(request.getHeader("Mcp-Method"));
    if (methodHeader == null) throw mismatch("Missing Mcp-Method header");
    if (!methodHeader.equals(method)) throw mismatch("Mcp-Method header does not match the body's method");
    Object named = params.getValue("name") != null ? params.getValue("name") : params.getValue("uri");
    String nameHeader = trimmed(request.getHeader("Mcp-Name"));
    if (named instanceof String name) {
      if (nameHeader == null) throw mismatch("Missing Mcp-Name header");
      if (!nameHeader.equals(name)) throw mismatch("Mcp-Name header does not match the body");
    } else if (nameHeader != null) {
      throw mismatch("Mcp-Name header given but the body names nothing");
    }
  }

  private static McpError mismatch(String message) {
    return new McpError(McpError.HEADER_MISMATCH, message, 400);
  }

  // ---- writing ----

  private static void write(RoutingContext ctx, Object response) {
    HttpServerResponse http = ctx.response();
    if (response == null) {
      http.setStatusCode(202).end();
      return;
    }
    String json = Json.encode(response);
    if (wantsEventStream(ctx.request())) {
      http.putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache")
          .end("event: message\ndata: " + json + "\n\n");
    } else {
      http.putHeader("Content-Type", "application/json").end(json);
    }
  }

  private static JsonObject errorAnswer(RoutingContext ctx, Object id, ApiException e) {
    return McpErrors.rpcErrorResponse(id, e, RequestIds.get(ctx));
  }

  private static void answerError(RoutingContext ctx, Object id, McpError e) {
    JsonObject body = errorAnswer(ctx, id, e);
    ctx.response().setStatusCode(e.httpStatus() == 200 ? 200 : e.httpStatus())
        .putHeader("Content-Type", "application/json").end(body.encode());
  }

  /** SSE only when the client cannot take plain JSON; plain JSON is cheaper for both sides. */
  private static boolean wantsEventStream(HttpServerRequest request) {
    String accept = request.getHeader("Accept");
    if (accept == null) return false;
    String a = accept.toLowerCase(Locale.ROOT);
    return a.contains("text/event-stream") && !a.contains("application/json") && !a.contains("*/*");
  }

  // ---- checks ----

  private static Object parse(Buffer buffer) {
    if (buffer == null || buffer.length() == 0) throw new McpError(McpError.PARSE_ERROR, "Parse error: empty body", 400);
    Object value;
    try {
      value = Json.decodeValue(buffer);
    } catch (DecodeException e) {
      throw new McpError(McpError.PARSE_ERROR, "Parse error: the body is not valid JSON", 400);
    }
    if (!(value instanceof JsonObject) && !(value instanceof JsonArray)) {
      throw new McpError(McpError.INVALID_REQUEST, "Invalid Request: send a JSON-RPC object", 400);
    }
    return value;
  }

  /** The tools that run a search, so count as one (as their REST routes do). */
  private static final java.util.Set<String> SEARCHING_TOOLS = java.util.Set.of("memory_search",
      "memory_build_context", "memory_compress_for_context");

  /** What a message counts as: a search for a searching tool, else one call. */
  private static Usage usage(Object message) {
    return message instanceof JsonObject m && "tools/call".equals(m.getValue("method"))
        && m.getValue("params") instanceof JsonObject p && SEARCHING_TOOLS.contains(p.getValue("name"))
        ? Usage.SEARCH : Usage.CALL;
  }

  /** Requests and invalid messages get an answer; notifications and responses do not. */
  private static boolean isRequest(Object message) {
    return !(message instanceof JsonObject m) || (m.containsKey("method") && m.containsKey("id"));
  }

  private boolean originAllowed(String origin) {
    try {
      URI uri = URI.create(origin);
      if (uri.getHost() != null && LOOPBACK.contains(uri.getHost().toLowerCase(Locale.ROOT))) return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
    return config.allowedOrigins().contains(origin);
  }

  /**
   * This server's base URL, for the resource metadata and the 401 challenge: the configured public URL (required in
   * production); in the embedded default, the request's Host only when it names a loopback address (the client's own
   * machine), else localhost on the configured port. The Host header is the client's to choose: a foreign one must
   * never become a URL this server publishes as its authorization server.
   */
  private String baseUrl(HttpServerRequest request) {
    if (!config.publicUrl().isEmpty()) return config.publicUrl().replaceAll("/+$", "");
    HostAndPort authority = request.authority();
    if (authority != null && isLoopback(authority.host())) {
      String host = authority.host().contains(":") && !authority.host().startsWith("[")
          ? "[" + authority.host() + "]" : authority.host();
      return "http://" + host + (authority.port() >= 0 ? ":" + authority.port() : "");
    }
    return "http://localhost:" + port;
  }

  private static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return LOOPBACK.contains(h) || LOOPBACK_V4.matcher(h).matches();
  }

  private static Object idOf(Object body) {
    return body instanceof JsonObject o ? o.getValue("id") : null;
  }

  private static String trimmed(String value) {
    if (value == null) return null;
    String t = value.trim();
    return t.isEmpty() ? null : t;
  }
}
