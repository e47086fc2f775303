package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Engram's list arguments (offset, sort_by, sort_order, tier, workspaces) on both doors: the same page for the same
 * arguments, and the same refusals (a cursor with another order or an offset, an offset past the maximum).
 */
class EngramListArgumentsTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;
  static String key;
  static long low;
  static long high;
  static long daily;
  static long other;

  @BeforeAll
  static void given_memories_of_different_importance_tiers_and_workspaces() {
    api = server.api();
    key = api.signup().apiKey();
    low = api.createMemory(key, new JsonObject().put("content", "low").put("importance", 0.1)).getLong("id");
    high = api.createMemory(key, new JsonObject().put("content", "high").put("importance", 0.9)).getLong("id");
    daily = api.createMemory(key, new JsonObject().put("content", "daily").put("ttl_seconds", 3600)
        .put("importance", 0.5)).getLong("id");
    other = api.createMemory(key, new JsonObject().put("content", "other").put("workspace", "elsewhere")
        .put("importance", 0.7)).getLong("id");
  }

  @Test
  void the_same_arguments_give_the_same_page_on_both_doors() {
    Map<String, List<Long>> cases = Map.of(
        "sort_by=importance&sort_order=desc", List.of(high, other, daily, low),
        "sort_by=importance&sort_order=asc&offset=1&limit=2", List.of(daily, other),
        "offset=1&limit=2", List.of(daily, high),
        "tier=daily", List.of(daily),
        "workspaces=elsewhere,default&sort_by=created_at&sort_order=asc", List.of(low, high, daily, other),
        "workspaces=elsewhere", List.of(other),
        "sort_by=updated_at&tier=permanent&workspaces=default", List.of(high, low));
    cases.forEach((query, expected) -> {
      JsonObject rest = ok(api.get("/v1/memories?" + query, key));
      assertEquals(expected, ids(rest.getJsonArray("data")), "REST " + query);
      JsonObject mcp = tool("memory_list", arguments(query));
      assertEquals(expected, ids(mcp.getJsonArray("memories")), "MCP " + query);
    });
  }

  @Test
  void only_the_default_order_pages_by_cursor() {
    JsonObject first = ok(api.get("/v1/memories?limit=2", key));
    String cursor = first.getString("next_cursor");
    assertEquals(List.of(high, low), ids(ok(api.get("/v1/memories?limit=2&cursor=" + cursor, key)).getJsonArray("data")));
    assertEquals(List.of(high, low), ids(ok(api.get("/v1/memories?limit=2&offset=2", key)).getJsonArray("data")));
    assertNull(ok(api.get("/v1/memories?limit=2&sort_by=importance", key)).getString("next_cursor"),
        "another order pages by offset");
    for (String bad : List.of("cursor=" + cursor + "&offset=1", "cursor=" + cursor + "&sort_order=asc",
        "cursor=" + cursor + "&sort_by=importance", "offset=10001", "workspace=default&workspaces=default")) {
      Api.Response r = api.get("/v1/memories?" + bad, key);
      assertEquals(400, r.status(), bad + " → " + r.body());
      JsonObject result = call("memory_list", arguments(bad));
      assertTrue(result.getBoolean("isError"), bad);
      assertEquals(r.json().getString("code"), result.getJsonObject("structuredContent").getString("code"), bad);
    }
  }

  /** A query string as tool arguments (lists as arrays, numbers as numbers). */
  private static JsonObject arguments(String query) {
    JsonObject args = new JsonObject();
    for (String pair : query.split("&")) {
      String[] kv = pair.split("=", 2);
      switch (kv[0]) {
        case "offset", "limit" -> args.put(kv[0], Integer.parseInt(kv[1]));
        case "workspaces" -> args.put(kv[0], new JsonArray(List.of((Object[]) kv[1].split(","))));
        default -> args.put(kv[0], kv[1]);
      }
    }
    return args;
  }

  private static List<Long> ids(JsonArray memories) {
    return memories.stream().map(m -> ((JsonObject) m).getLong("id")).toList();
  }

  private static JsonObject ok(Api.Response r) {
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  private static JsonObject tool(String name, JsonObject arguments) {
    JsonObject result = call(name, arguments);
    assertTrue(!result.getBoolean("isError"), result.encode());
    return result.getJsonObject("structuredContent");
  }

  private static JsonObject call(String name, JsonObject arguments) {
    Api.Response r = api.send("POST", "/v1/mcp", Map.of("Authorization", "Bearer " + key), new JsonObject()
        .put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call")
        .put("params", new JsonObject().put("name", name).put("arguments", arguments)).encode(), "application/json");
    assertEquals(200, r.status(), r.body());
    return r.json().getJsonObject("result");
  }
}
