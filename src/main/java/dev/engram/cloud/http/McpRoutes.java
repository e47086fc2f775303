package dev.engram.cloud.http;

import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.mcp.McpError;
import dev.engram.cloud.mcp.McpServer;
import dev.engram.cloud.mcp.McpSessions;
import dev.engram.cloud.mcp.McpSessions.Session;
import dev.engram.cloud.mcp.McpVersions;
import dev.engram.cloud.mcp.ToolCall;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * MCP Streamable HTTP at {@code /v1/mcp} and {@code /mcp}: checks the origin, protocol version, session and routing
 * headers, hands each JSON-RPC message to {@link McpServer}, and writes the answer as JSON or as an SSE stream.
 */
final class McpRoutes {

  static final String SESSION_HEADER = "Mcp-Session-Id";
  static final String VERSION_HEADER = "MCP-Protocol-Version";
  private static final String PARSED_BODY = "mcp.body";
  static final String METADATA_PATH = "/.well-known/oauth-protected-resource";
  private static final String META_VERSION = "io.modelcontextprotocol/protocolVersion";
  private static final String META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
  /** Headers Engram's own SDKs send to name the tenant; they may only repeat the credential's tenant. */
  private static final List<String> TENANT_HEADERS = List.of("X-Tenant-Slug", "X-Engram-Tenant");
  private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

  private final McpServer server;
  private final McpSessions sessions;
  private final EngineClient engines;
  private final EngramConfig.Mcp config;
  private final String authorizationServer;

  McpRoutes(McpServer server, McpSessions sessions, EngineClient engines, EngramConfig.Mcp config,
            String authorizationServer) {
    this.server = server;
    this.sessions = sessions;
    this.engines = engines;
    this.config = config;
    this.authorizationServer = authorizationServer;
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

  /**
   * Parses the body once (kept for {@link #post}) and chooses the authenticator: a memory_search call counts against
   * the plan's monthly searches.
   */
  static Handler<RoutingContext> authenticate(Authenticator plain, Authenticator searching) {
    return ctx -> {
      Object body;
      try {
        body = parse(ctx.body().buffer());
      } catch (McpError e) {
        body = e;
      }
      ctx.put(PARSED_BODY, body);
      (isSearch(body) ? searching : plain).handle(ctx);
    };
  }

  void post(RoutingContext ctx) {
    Principal principal = Authenticator.principal(ctx);
    checkTenantHeaders(ctx.request(), principal);
    Object body = ctx.get(PARSED_BODY);
    if (body instanceof McpError e) {
      answerError(ctx, null, e);
      return;
    }
    String headerVersion = trimmed(ctx.request().getHeader(VERSION_HEADER));
    if (headerVersion != null && !McpVersions.supported(headerVersion)) {
      answerError(ctx, idOf(body), McpError.unsupportedVersion(headerVersion));
      return;
    }
    ToolCall call = new ToolCall(principal, MemoryRoutes.caps(ctx), engines);
    Future<Object> answer;
    try {
      answer = body instanceof JsonArray batch ? batch(ctx, call, batch, headerVersion)
          : single(ctx, call, (JsonObject) body, headerVersion);
    } catch (McpError e) {
      answerError(ctx, idOf(body), e);
      return;
    }
    answer.onSuccess(response -> {
      Authenticator.countCreated(ctx, call.created());
      if (call.searches() > 0) Authenticator.countSearch(ctx);
      write(ctx, response);
    }).onFailure(err -> {
      if (err instanceof McpServer.IdentifiedError e) {
        answerError(ctx, e.id(), e);
      } else if (err instanceof McpError e) {
        answerError(ctx, idOf(body), e);
      } else {
        ctx.fail(err);
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

  private Future<Object> single(RoutingContext ctx, ToolCall call, JsonObject message, String headerVersion) {
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

  private Future<Object> batch(RoutingContext ctx, ToolCall call, JsonArray batch, String headerVersion) {
    String version = legacyVersion(ctx, call.principal(), headerVersion);
    if (!McpVersions.allowsBatch(version)) {
      throw new McpError(McpError.INVALID_REQUEST, "JSON-RPC batches are not part of protocol " + version, 400);
    }
    if (batch.isEmpty()) throw new McpError(McpError.INVALID_REQUEST, "Empty batch", 400);
    List<Future<JsonObject>> answers = new ArrayList<>();
    for (Object item : batch) {
      if (!(item instanceof JsonObject message) || "initialize".equals(message.getValue("method"))) {
        answers.add(Future.succeededFuture(new JsonObject().put("jsonrpc", "2.0").putNull("id").put("error",
            new McpError(McpError.INVALID_REQUEST, "Invalid Request in batch", 400).toJson())));
      } else {
        answers.add(server.handle(call, message, version).recover(err -> err instanceof McpError e
            ? Future.succeededFuture(new JsonObject().put("jsonrpc", "2.0").put("id", message.getValue("id"))
                .put("error", e.toJson()))
            : Future.failedFuture(err)));
      }
    }
    return Future.all(answers).map(done -> {
      JsonArray responses = new JsonArray();
      answers.forEach(a -> {
        if (a.result() != null) responses.add(a.result());
      });
      return responses.isEmpty() ? null : responses;
    });
  }

  /** The revision of a handshake-era request: its session's, else the header's, else the transport default. */
  private String legacyVersion(RoutingContext ctx, Principal principal, String headerVersion) {
    String sessionId = trimmed(ctx.request().getHeader(SESSION_HEADER));
    if (sessionId == null) return headerVersion != null ? headerVersion : McpVersions.DEFAULT_WITHOUT_HEADER;
    Optional<Session> session = sessions.find(sessionId, principal);
    if (session.isEmpty()) throw new McpError(-32001, "Session not found", 404);
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

  private static void answerError(RoutingContext ctx, Object id, McpError e) {
    JsonObject body = new JsonObject().put("jsonrpc", "2.0").put("id", id).put("error", e.toJson());
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

  private static boolean isSearch(Object body) {
    Iterable<?> messages = body instanceof JsonArray batch ? batch : List.of(body);
    for (Object m : messages) {
      if (m instanceof JsonObject message && "tools/call".equals(message.getValue("method"))
          && message.getValue("params") instanceof JsonObject p && "memory_search".equals(p.getValue("name"))) {
        return true;
      }
    }
    return false;
  }

  private static void checkTenantHeaders(HttpServerRequest request, Principal principal) {
    for (String header : TENANT_HEADERS) {
      String named = trimmed(request.getHeader(header));
      if (named != null && !named.equals(principal.tenantId())) {
        throw ApiException.forbidden("tenant_mismatch", header + " names a tenant other than the credential's.");
      }
    }
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

  private String baseUrl(HttpServerRequest request) {
    if (!config.publicUrl().isEmpty()) return config.publicUrl().replaceAll("/+$", "");
    String host = request.authority() != null ? request.authority().toString() : "localhost";
    return (request.isSSL() ? "https" : "http") + "://" + host;
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
