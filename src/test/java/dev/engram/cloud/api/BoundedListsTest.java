package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every list is paged or bounded, the same on both doors: versions page with a cursor, tags, workspaces and links
 * stop at {@code limit} and say {@code truncated}; a workspace-restricted key's page is full of what it may see.
 */
class BoundedListsTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;
  static String key;
  static long memory;

  @BeforeAll
  static void given_a_memory_with_versions_tags_links_and_workspaces() {
    api = server.api();
    key = api.signup().apiKey();
    memory = api.createMemory(key, new JsonObject().put("content", "v1").put("workspace", "alpha")
        .put("tags", new JsonArray().add("a").add("b").add("c"))).getLong("id");
    for (int v = 2; v <= 5; v++) {
      assertEquals(200, api.patch("/v1/memories/" + memory, key, new JsonObject().put("content", "v" + v)).status());
    }
    for (String workspace : List.of("beta", "gamma")) {
      long other = api.createMemory(key, new JsonObject().put("content", "in " + workspace).put("workspace", workspace))
          .getLong("id");
      assertEquals(200, api.post("/v1/links", key, new JsonObject().put("from_id", memory).put("to_id", other)).status());
    }
    long third = api.createMemory(key, new JsonObject().put("content", "third link").put("workspace", "alpha"))
        .getLong("id");
    assertEquals(200, api.post("/v1/links", key, new JsonObject().put("from_id", third).put("to_id", memory)).status());
  }

  @Test
  void versions_page_newest_first_with_a_cursor_over_rest_and_mcp() {
    List<Integer> seen = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject page = ok(api.get("/v1/memories/" + memory + "/versions?limit=2"
          + (cursor == null ? "" : "&cursor=" + cursor), key));
      assertTrue(page.getJsonArray("versions").size() <= 2, page.encode());
      page.getJsonArray("versions").forEach(v -> seen.add(((JsonObject) v).getInteger("version")));
      cursor = page.getString("next_cursor");
    } while (cursor != null);
    assertEquals(List.of(5, 4, 3, 2, 1), seen);

    JsonObject first = tool("memory_versions", new JsonObject().put("id", memory).put("limit", 2));
    assertEquals(2, first.getJsonArray("versions").size());
    JsonObject second = tool("memory_versions", new JsonObject().put("id", memory).put("limit", 2)
        .put("cursor", first.getString("next_cursor")));
    assertEquals(3, second.getJsonArray("versions").getJsonObject(0).getInteger("version"));
  }

  @Test
  void tags_workspaces_and_links_stop_at_the_limit_and_say_so() {
    JsonObject tags = ok(api.get("/v1/tags?limit=2", key));
    assertEquals(2, tags.getJsonArray("tags").size());
    assertTrue(tags.getBoolean("truncated"));
    assertFalse(ok(api.get("/v1/tags?limit=3", key)).getBoolean("truncated"));

    JsonObject workspaces = ok(api.get("/v1/workspaces?limit=2", key));
    assertEquals(2, workspaces.getJsonArray("workspaces").size());
    assertEquals(2, workspaces.getInteger("count"));
    assertTrue(workspaces.getBoolean("truncated"));

    JsonObject related = ok(api.get("/v1/memories/" + memory + "/related?limit=2", key));
    assertEquals(2, related.getJsonArray("related").size());
    assertTrue(related.getBoolean("truncated"));

    JsonObject overMcp = tool("workspace_list", new JsonObject().put("limit", 2));
    assertEquals(workspaces.getJsonArray("workspaces"), overMcp.getJsonArray("workspaces"));
    assertTrue(tool("memory_tags", new JsonObject().put("limit", 1)).getBoolean("truncated"));
    assertTrue(tool("memory_related", new JsonObject().put("id", memory).put("limit", 1)).getBoolean("truncated"));
  }

  @Test
  void a_restricted_keys_page_holds_only_what_it_may_see_and_is_full() {
    String restricted = api.post("/v1/api-keys", key, new JsonObject().put("name", "ab")
        .put("workspaces", new JsonArray().add("alpha").add("gamma"))).json().getString("key");
    JsonObject page = ok(api.get("/v1/workspaces?limit=2", restricted));
    assertEquals(List.of("alpha", "gamma"), page.getJsonArray("workspaces").stream()
        .map(w -> ((JsonObject) w).getString("workspace")).sorted().toList());
    assertFalse(page.getBoolean("truncated"));

    // links to beta are left out by the query: a page of 2 holds the gamma link and the alpha one
    JsonObject related = ok(api.get("/v1/memories/" + memory + "/related?limit=2", restricted));
    assertEquals(2, related.getJsonArray("related").size(), related.encode());
    assertFalse(related.getBoolean("truncated"), related.encode());
  }

  @Test
  void a_limit_over_the_maximum_is_refused_on_both_doors() {
    Api.Response r = api.get("/v1/tags?limit=101", key);
    assertEquals(400, r.status(), r.body());
    assertEquals("invalid_parameter", r.json().getString("code"));
    JsonObject result = call("memory_tags", new JsonObject().put("limit", 101));
    assertEquals(Boolean.TRUE, result.getBoolean("isError"));
    assertEquals("invalid_parameter", result.getJsonObject("structuredContent").getString("code"));
  }

  private static JsonObject ok(Api.Response r) {
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  private static JsonObject tool(String name, JsonObject arguments) {
    JsonObject result = call(name, arguments);
    assertFalse(result.getBoolean("isError"), result.encode());
    return result.getJsonObject("structuredContent");
  }

  private static JsonObject call(String name, JsonObject arguments) {
    Api.Response r = api.send("POST", "/v1/mcp", Map.of("Authorization", "Bearer " + key), new JsonObject()
        .put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call")
        .put("params", new JsonObject().put("name", name).put("arguments", arguments)).encode(), "application/json");
    assertEquals(200, r.status(), r.body());
    JsonObject result = r.json().getJsonObject("result");
    assertNull(r.json().getValue("error"), r.body());
    return result;
  }
}
