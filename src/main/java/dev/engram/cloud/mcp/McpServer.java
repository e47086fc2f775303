package dev.engram.cloud.mcp;

import dev.engram.cloud.auth.Permission;
import dev.engram.cloud.auth.Permissions;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.engine.EngineMessages.Get;
import dev.engram.cloud.engine.EngineMessages.ListMemories;
import dev.engram.cloud.engine.EngineMessages.Stats;
import dev.engram.cloud.engine.EngineMessages.WorkspaceStats;
import dev.engram.cloud.model.Workspaces;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JSON-RPC side of MCP, free of HTTP: one request in, one response (or nothing, for a notification) out.
 * The transport has already checked the credential, the session and the headers.
 */
public final class McpServer {

  public static final String SERVER_NAME = "engram-cloud";
  private static final String SERVER_VERSION = "0.1.0";
  private static final String INSTRUCTIONS = "Engram Cloud stores memories for agents. Use memory_search before "
      + "answering from memory, memory_create to remember decisions, facts and preferences, and workspaces to keep "
      + "projects apart.";
  /** Methods whose results clients may cache (2026-07-28 caching hints). */
  private static final Set<String> CACHEABLE = Set.of("tools/list", "prompts/list", "resources/list",
      "resources/templates/list", "resources/read", "server/discover");
  /** Methods the stateless revision removed. */
  private static final Set<String> HANDSHAKE_ONLY = Set.of("initialize", "ping", "logging/setLevel");
  private static final Pattern MEMORY_URI = Pattern.compile("engram://memory/([0-9]{1,18})");
  private static final Pattern WORKSPACE_URI = Pattern.compile("engram://workspace/([^/?#]{1,64})");

  private final Map<String, Tool> tools = new LinkedHashMap<>();
  private final Map<String, Permission> permissions = new LinkedHashMap<>();
  private final int toolsPageSize;

  /**
   * Refuses a tool that the permission table ({@link Permissions}) does not list, or lists with another scope than
   * the tool declares: no tool is served without a permission.
   */
  public McpServer(MemoryTools memoryTools, int toolsPageSize) {
    for (Tool tool : memoryTools.all()) {
      Permission permission = Permissions.forTool(tool.name()).orElseThrow(() -> new IllegalStateException(
          "MCP tool " + tool.name() + " has no entry in auth/Permissions"));
      if (permission.scope() != tool.scope()) {
        throw new IllegalStateException("MCP tool " + tool.name() + " declares scope " + tool.scope()
            + " but auth/Permissions gives it " + permission);
      }
      tools.put(tool.name(), tool);
      permissions.put(tool.name(), permission);
    }
    this.toolsPageSize = toolsPageSize;
  }

  /**
   * Answers one JSON-RPC message. Returns null for a notification or a client response; protocol failures become
   * JSON-RPC error responses, except those the transport must answer with an HTTP status (thrown McpError).
   */
  public Future<JsonObject> handle(ToolCall call, JsonObject message, String version) {
    if (!message.containsKey("method")) return Future.succeededFuture(); // a response to us: nothing to answer
    Object id = message.getValue("id");
    boolean notification = !message.containsKey("id");
    if (notification) return Future.succeededFuture();
    String method = message.getValue("method") instanceof String m ? m : null;
    if (method == null || !"2.0".equals(message.getValue("jsonrpc"))) {
      return Future.succeededFuture(McpErrors.rpcErrorResponse(id, new McpError(McpError.INVALID_REQUEST,
          "Invalid Request", 400), call.requestId()));
    }
    Object rawParams = message.getValue("params");
    if (rawParams != null && !(rawParams instanceof JsonObject)) {
      return Future.succeededFuture(McpErrors.rpcErrorResponse(id, McpError.invalidParams("params must be an object"),
          call.requestId()));
    }
    JsonObject params = rawParams == null ? new JsonObject() : (JsonObject) rawParams;
    Future<JsonObject> result;
    try {
      result = dispatch(call, method, params, version);
    } catch (ApiException e) {
      result = Future.failedFuture(e);
    }
    return result.map(r -> {
      if (McpVersions.stateless(version)) {
        r.put("resultType", "complete");
        if (CACHEABLE.contains(method)) r.put("ttlMs", 0).put("cacheScope", "private");
      }
      return new JsonObject().put("jsonrpc", "2.0").put("id", id).put("result", r);
    }).recover(err -> {
      if (err instanceof McpError e && e.httpStatus() != 200) return Future.failedFuture(new IdentifiedError(e, id));
      return Future.succeededFuture(McpErrors.rpcErrorResponse(id, ApiException.from(err), call.requestId()));
    });
  }

  private Future<JsonObject> dispatch(ToolCall call, String method, JsonObject params, String version) {
    if (McpVersions.stateless(version) && HANDSHAKE_ONLY.contains(method)) {
      throw new McpError(McpError.METHOD_NOT_FOUND, "Method not found: " + method
          + " (protocol " + version + " has no handshake)", 404);
    }
    switch (method) {
      case "initialize":
        return Future.succeededFuture(initialize(params));
      case "server/discover":
        return Future.succeededFuture(discover());
      case "ping":
      case "logging/setLevel":
        return Future.succeededFuture(new JsonObject());
      case "tools/list":
        return Future.succeededFuture(listTools(params, McpVersions.hasOutputSchema(version)));
      case "tools/call":
        return callTool(call, params, version);
      case "resources/list":
        return Future.succeededFuture(new JsonObject().put("resources", new JsonArray().add(new JsonObject()
            .put("uri", "engram://stats").put("name", "stats").put("title", "Memory statistics")
            .put("description", "Counts of memories by workspace, type and tier.").put("mimeType", "application/json"))));
      case "resources/templates/list":
        return Future.succeededFuture(new JsonObject().put("resourceTemplates", new JsonArray()
            .add(template("engram://memory/{id}", "memory", "One memory by id."))
            .add(template("engram://workspace/{name}", "workspace", "A workspace's counts and newest memories."))));
      case "resources/read":
        return readResource(call, params);
      case "prompts/list":
        return Future.succeededFuture(new JsonObject().put("prompts", new JsonArray()));
      default:
        throw new McpError(McpError.METHOD_NOT_FOUND, "Method not found: " + method,
            McpVersions.stateless(version) ? 404 : 200);
    }
  }

  private JsonObject initialize(JsonObject params) {
    if (!(params.getValue("protocolVersion") instanceof String requested)) {
      throw McpError.invalidParams("initialize needs params.protocolVersion");
    }
    return new JsonObject()
        .put("protocolVersion", McpVersions.negotiate(requested))
        .put("capabilities", capabilities(true))
        .put("serverInfo", serverInfo())
        .put("instructions", INSTRUCTIONS);
  }

  private JsonObject discover() {
    JsonObject info = serverInfo();
    return new JsonObject()
        .put("supportedVersions", new JsonArray(McpVersions.SUPPORTED))
        .put("capabilities", capabilities(false))
        .put("serverInfo", info)
        .put("instructions", INSTRUCTIONS)
        .put("_meta", new JsonObject().put("io.modelcontextprotocol/serverInfo", info));
  }

  private static JsonObject capabilities(boolean logging) {
    JsonObject caps = new JsonObject()
        .put("tools", new JsonObject().put("listChanged", false))
        .put("resources", new JsonObject().put("subscribe", false).put("listChanged", false))
        .put("prompts", new JsonObject().put("listChanged", false));
    if (logging) caps.put("logging", new JsonObject());
    return caps;
  }

  private static JsonObject serverInfo() {
    return new JsonObject().put("name", SERVER_NAME).put("title", "Engram Cloud").put("version", SERVER_VERSION);
  }

  private JsonObject listTools(JsonObject params, boolean withOutputSchema) {
    int start = params.getValue("cursor") == null ? 0 : decodeCursor(params.getValue("cursor"));
    List<Tool> all = List.copyOf(tools.values());
    JsonArray page = new JsonArray();
    int end = Math.min(all.size(), start + toolsPageSize);
    for (int i = start; i < end; i++) page.add(all.get(i).describe(withOutputSchema));
    JsonObject result = new JsonObject().put("tools", page);
    if (end < all.size()) {
      result.put("nextCursor", Base64.getUrlEncoder().withoutPadding()
          .encodeToString(("tools:" + end).getBytes(StandardCharsets.UTF_8)));
    }
    return result;
  }

  private int decodeCursor(Object raw) {
    try {
      String decoded = new String(Base64.getUrlDecoder().decode((String) raw), StandardCharsets.UTF_8);
      int start = Integer.parseInt(decoded.substring("tools:".length()));
      if (decoded.startsWith("tools:") && start >= 0 && start < tools.size()) return start;
    } catch (RuntimeException ignored) {
      // fall through
    }
    throw McpError.invalidParams("Invalid cursor");
  }

  private Future<JsonObject> callTool(ToolCall call, JsonObject params, String version) {
    if (!(params.getValue("name") instanceof String name)) throw McpError.invalidParams("tools/call needs params.name");
    Tool tool = tools.get(name);
    if (tool == null) throw unknownTool(name);
    Object rawArgs = params.getValue("arguments");
    if (rawArgs != null && !(rawArgs instanceof JsonObject)) throw McpError.invalidParams("arguments must be an object");
    JsonObject args = rawArgs == null ? new JsonObject() : (JsonObject) rawArgs;
    Future<JsonObject> outcome;
    try {
      // The one permission table decides, as on REST (every tool has an entry: see the constructor).
      Permissions.check(call.principal(), permissions.get(name));
      outcome = tool.handler().call(call, tool.input(args));
    } catch (ApiException e) {
      outcome = Future.failedFuture(e);
    }
    return outcome.map(result -> {
          Permissions.auditAction(name).ifPresent(call::audit);
          return toolResult(result);
        })
        .recover(err -> {
          ApiException e = ApiException.from(err);
          if (!McpErrors.isToolError(e)) return Future.failedFuture(e);
          return Future.succeededFuture(McpErrors.toolError(e, call.requestId()));
        });
  }

  /**
   * An Engram tool this hosted server does not offer is named as such (Engram's SDKs can call 200 tools, most of them
   * for a local engine); any other name is unknown. Both are JSON-RPC errors (-32602), as the SDKs expect.
   */
  private static McpError unknownTool(String name) {
    JsonObject data = new JsonObject().put("tool", name).put("engram_tool", EngramToolNames.ALL.contains(name));
    if (EngramToolNames.ALL.contains(name)) {
      return new McpError(McpError.INVALID_PARAMS, "Tool '" + name + "' is an Engram tool that this server does not "
          + "offer; tools/list names the ones it does.", 200, data.put("code", "tool_not_offered"));
    }
    return new McpError(McpError.INVALID_PARAMS, "Unknown tool: " + name + " (tools/list names this server's tools).",
        200, data.put("code", "unknown_tool"));
  }

  /**
   * The result as text and as {@code structuredContent}, on every revision: older clients ignore the field, and
   * Engram's SDK integrations read the parsed data from it.
   */
  private static JsonObject toolResult(JsonObject value) {
    return new JsonObject()
        .put("content", new JsonArray().add(new JsonObject().put("type", "text").put("text", value.encode())))
        .put("structuredContent", value)
        .put("isError", false);
  }

  private Future<JsonObject> readResource(ToolCall call, JsonObject params) {
    if (!(params.getValue("uri") instanceof String uri)) throw McpError.invalidParams("resources/read needs params.uri");
    if (!call.principal().has(dev.engram.cloud.auth.Scope.MEMORIES_READ)) {
      throw new McpError(McpError.INVALID_REQUEST, "This credential lacks the 'memories:read' scope.", 200);
    }
    Future<JsonObject> body;
    Matcher memory = MEMORY_URI.matcher(uri);
    Matcher workspace = WORKSPACE_URI.matcher(uri);
    if (uri.equals("engram://stats")) {
      body = call.json(new Stats());
    } else if (memory.matches()) {
      body = call.json(new Get(Long.parseLong(memory.group(1))));
    } else if (workspace.matches()) {
      String name = Workspaces.normalize(workspace.group(1));
      body = call.json(new WorkspaceStats(name)).compose(stats ->
          call.json(new ListMemories(name, null, null, 20, null))
              .map(page -> stats.copy().put("memories", page.getJsonArray("data"))));
    } else {
      body = Future.failedFuture(ApiException.notFound("Unknown resource"));
    }
    return body.map(json -> new JsonObject().put("contents", new JsonArray().add(new JsonObject()
            .put("uri", uri).put("mimeType", "application/json").put("text", json.encode()))))
        .recover(err -> {
          ApiException e = ApiException.from(err);
          if (e.status() == 404 || e.status() == 400) {
            return Future.failedFuture(new McpError(McpError.INVALID_PARAMS, "Resource not found: " + uri, 200,
                new JsonObject().put("uri", uri)));
          }
          return Future.failedFuture(err);
        });
  }

  private static JsonObject template(String uriTemplate, String name, String description) {
    return new JsonObject().put("uriTemplate", uriTemplate).put("name", name).put("description", description)
        .put("mimeType", "application/json");
  }

  /** Carries the JSON-RPC id with an error that the transport answers with an HTTP status. */
  public static final class IdentifiedError extends McpError {
    private final Object id;

    IdentifiedError(McpError e, Object id) {
      super(e.rpcCode(), e.getMessage(), e.httpStatus(), e.extensions());
      this.id = id;
    }

    public Object id() {
      return id;
    }
  }
}
