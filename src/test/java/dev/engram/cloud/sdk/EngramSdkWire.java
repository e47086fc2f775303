package dev.engram.cloud.sdk;

import dev.engram.cloud.testing.Api;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What Engram's own SDKs put on the wire, written from reading them (github.com/limaronaldo/engram,
 * {@code sdks/typescript/src/index.ts} 0.3.0 and {@code sdks/python/engram_client/client.py}, engram-client 0.4.0);
 * no SDK code is copied here. Both SDKs make every call a JSON-RPC {@code tools/call} with id 1 on
 * {@code POST <base>/v1/mcp}, without an MCP session or protocol header, with the headers their code sets:
 * {@code Authorization: Bearer <key>}, {@code X-Tenant-Slug: <tenant>} and {@code Content-Type: application/json},
 * and no {@code Accept}. The Python flavour adds what httpx adds by default ({@code Accept: *}{@code /*}, its
 * encodings and user agent), so the server is tried both with no Accept header and with the catch-all one.
 *
 * <p>Answers are read as the SDKs read them: a non-2xx status throws ({@code HTTP <status>: <text>} in TypeScript,
 * {@code raise_for_status} in Python); a JSON-RPC {@code error} throws its {@code message}; otherwise the call
 * returns {@code result} unchanged (the MCP envelope: {@code content[0].text} and {@code structuredContent}),
 * whether or not the tool reported {@code isError}.
 */
final class EngramSdkWire {

  enum Flavour { TYPESCRIPT, PYTHON }

  /** What an SDK method throws (EngramError in both SDKs, or the HTTP error before it). */
  static final class SdkError extends RuntimeException {
    final int httpStatus;

    SdkError(int httpStatus, String message) {
      super(message);
      this.httpStatus = httpStatus;
    }
  }

  private final Api api;
  private final Flavour flavour;
  private final String apiKey;
  private final String tenant;

  EngramSdkWire(Api api, Flavour flavour, String apiKey, String tenant) {
    this.api = api;
    this.flavour = flavour;
    this.apiKey = apiKey;
    this.tenant = tenant;
  }

  String tenant() {
    return tenant;
  }

  /** One SDK method's call: the tool and the arguments the SDK builds. Returns {@code result} as the SDK does. */
  JsonObject call(String tool, JsonObject arguments) {
    JsonObject payload = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call")
        .put("params", new JsonObject().put("name", tool).put("arguments", arguments));
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Authorization", "Bearer " + apiKey);
    headers.put("X-Tenant-Slug", tenant);
    if (flavour == Flavour.PYTHON) {
      headers.put("Accept", "*/*");
      headers.put("Accept-Encoding", "gzip, deflate");
      headers.put("User-Agent", "python-httpx/0.27.0");
    }
    Api.Response r = api.send("POST", "/v1/mcp", headers, payload.encode(), "application/json");
    if (r.status() < 200 || r.status() >= 300) throw new SdkError(r.status(), "HTTP " + r.status());
    JsonObject body;
    try {
      body = new JsonObject(r.body());
    } catch (DecodeException e) {
      throw new AssertionError(flavour + " SDK cannot parse the answer to " + tool + ": " + r.body(), e);
    }
    if (body.containsKey("error")) {
      String message = body.getJsonObject("error").getString("message");
      throw new SdkError(r.status(), message == null ? "Unknown error" : message);
    }
    JsonObject result = body.getJsonObject("result");
    if (result == null) {
      if (flavour == Flavour.TYPESCRIPT) throw new AssertionError("no result for " + tool + ": " + r.body());
      return new JsonObject();
    }
    return result;
  }

  /** The data a user of the SDK reads from a result: the JSON text of its first content item. */
  static JsonObject data(JsonObject result) {
    JsonArray content = result.getJsonArray("content");
    JsonObject text = content.getJsonObject(0);
    if (!"text".equals(text.getString("type"))) throw new AssertionError("not a text result: " + result.encode());
    JsonObject parsed = new JsonObject(text.getString("text"));
    if (!parsed.equals(result.getJsonObject("structuredContent"))) {
      throw new AssertionError("text and structuredContent differ: " + result.encode());
    }
    return parsed;
  }

  /** A call that must succeed as a tool (no isError), read as the SDK's user reads it. */
  JsonObject ok(String tool, JsonObject arguments) {
    JsonObject result = call(tool, arguments);
    if (result.getBoolean("isError", false)) throw new AssertionError(tool + " → " + result.encode());
    return data(result);
  }

  // ---- the SDK methods exercised, with the arguments each builds (defaults as in the SDKs) ----

  JsonObject create(String content, List<String> tags) {
    JsonObject p = new JsonObject().put("content", content).put("memory_type", "note");
    if (tags != null && !tags.isEmpty()) p.put("tags", new JsonArray(tags));
    return ok("memory_create", p);
  }

  JsonObject get(long id) {
    return ok("memory_get", new JsonObject().put("id", id));
  }

  JsonObject update(long id, String content, Double importance) {
    JsonObject p = new JsonObject().put("id", id);
    if (content != null) p.put("content", content);
    if (importance != null) p.put("importance", importance);
    return ok("memory_update", p);
  }

  JsonObject delete(long id) {
    return ok("memory_delete", new JsonObject().put("id", id));
  }

  /** list(limit=50, offset=0, ...): both SDKs always send limit and offset. */
  JsonObject list(int limit, int offset) {
    return ok("memory_list", new JsonObject().put("limit", limit).put("offset", offset));
  }

  JsonObject search(String query) {
    return ok("memory_search", new JsonObject().put("query", query).put("limit", 10));
  }

  JsonObject stats() {
    return ok("memory_stats", new JsonObject());
  }

  JsonObject link(long from, long to) {
    return ok("memory_link", new JsonObject().put("from_id", from).put("to_id", to).put("edge_type", "related_to"));
  }

  JsonObject related(long id) {
    return ok("memory_related", new JsonObject().put("id", id));
  }

  JsonObject createDaily(String content) {
    return ok("memory_create_daily", new JsonObject().put("content", content).put("ttl_seconds", 86400));
  }

  JsonObject buildContext(String query) {
    return ok("memory_build_context", new JsonObject().put("query", query).put("strategy", "balanced")
        .put("token_budget", 4096));
  }

  JsonObject compressForContext(List<Long> ids, int tokenBudget) {
    return ok("memory_compress_for_context", new JsonObject().put("memory_ids", new JsonArray(ids))
        .put("token_budget", tokenBudget));
  }

  JsonObject tokenEstimate(String content) {
    return ok("memory_token_estimate", new JsonObject().put("content", content));
  }

  JsonObject blockCreate(String blockType, String label, String content) {
    return ok("memory_block_create", new JsonObject().put("block_type", blockType).put("label", label)
        .put("content", content).put("max_tokens", 2048));
  }

  JsonObject blockEdit(String blockType, String label, String content, String reason) {
    return ok("memory_block_edit", new JsonObject().put("block_type", blockType).put("label", label)
        .put("content", content).put("reason", reason));
  }

  JsonObject blockGet(String blockType, String label) {
    return ok("memory_block_get", new JsonObject().put("block_type", blockType).put("label", label));
  }

  JsonObject createIdentity(String canonicalId, String displayName, List<String> aliases) {
    JsonObject p = new JsonObject().put("canonical_id", canonicalId).put("display_name", displayName);
    if (aliases != null && !aliases.isEmpty()) p.put("aliases", new JsonArray(aliases));
    return ok("identity_create", p);
  }

  JsonObject resolveIdentity(String alias) {
    return ok("identity_resolve", new JsonObject().put("alias", alias));
  }

  JsonObject feedback(String query, long memoryId, String signal) {
    return ok("memory_feedback", new JsonObject().put("query", query).put("memory_id", memoryId).put("signal", signal));
  }

  JsonObject feedbackStats() {
    return ok("memory_feedback_stats", new JsonObject());
  }

  JsonObject blockList() {
    return ok("memory_block_list", new JsonObject());
  }
}
