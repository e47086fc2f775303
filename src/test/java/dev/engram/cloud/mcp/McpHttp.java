package dev.engram.cloud.mcp;

import dev.engram.cloud.testing.Api;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;

/** Raw JSON-RPC over HTTP to /v1/mcp, with full control of the headers. */
final class McpHttp {

  private final Api api;
  private int nextId = 1;

  McpHttp(Api api) {
    this.api = api;
  }

  Api.Response post(String key, JsonObject message, Map<String, String> extraHeaders) {
    Map<String, String> headers = new HashMap<>(extraHeaders);
    if (key != null) headers.put("Authorization", "Bearer " + key);
    headers.putIfAbsent("Accept", "application/json, text/event-stream");
    return api.send("POST", "/v1/mcp", headers, message.encode(), "application/json");
  }

  Api.Response post(String key, JsonObject message) {
    return post(key, message, Map.of());
  }

  JsonObject request(String method, JsonObject params) {
    return new JsonObject().put("jsonrpc", "2.0").put("id", nextId++).put("method", method).put("params", params);
  }

  /** tools/call without a session (as Engram's SDKs do); returns the JSON-RPC result. */
  JsonObject call(String key, String tool, JsonObject arguments) {
    Api.Response r = post(key, request("tools/call", new JsonObject().put("name", tool).put("arguments", arguments)));
    if (r.status() != 200) throw new AssertionError("tools/call " + tool + " → HTTP " + r.status() + ": " + r.body());
    JsonObject body = r.json();
    if (body.containsKey("error")) throw new AssertionError("tools/call " + tool + " → " + body.encode());
    return body.getJsonObject("result");
  }

  /** A successful tool call's structured result. */
  JsonObject ok(String key, String tool, JsonObject arguments) {
    JsonObject result = call(key, tool, arguments);
    if (result.getBoolean("isError", false)) throw new AssertionError(tool + " failed: " + result.encode());
    return result.getJsonObject("structuredContent");
  }

  static Map<String, String> stateless(String method, String name) {
    Map<String, String> headers = new HashMap<>();
    headers.put("MCP-Protocol-Version", "2026-07-28");
    headers.put("Mcp-Method", method);
    if (name != null) headers.put("Mcp-Name", name);
    return headers;
  }

  static JsonObject meta() {
    return new JsonObject().put("io.modelcontextprotocol/protocolVersion", "2026-07-28")
        .put("io.modelcontextprotocol/clientCapabilities", new JsonObject())
        .put("io.modelcontextprotocol/clientInfo", new JsonObject().put("name", "test").put("version", "1"));
  }
}
