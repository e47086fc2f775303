package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory blocks, contexts, identities and feedback: their refusals (the same code on both doors), budgets, and what a
 * workspace-restricted key and another tenant can reach.
 */
class ContextApiTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;

  @BeforeAll
  static void given_the_server() {
    api = server.api();
  }

  @Test
  void blocks_are_unique_versioned_and_held_to_their_size_on_both_doors() {
    String key = api.signup().apiKey();
    JsonObject block = new JsonObject().put("block_type", "persona").put("label", "assistant").put("content", "Terse.")
        .put("max_tokens", 4);
    assertEquals(201, api.post("/v1/blocks", key, block).status());
    Api.Response again = api.post("/v1/blocks", key, block);
    assertEquals(409, again.status());
    assertEquals("block_exists", again.json().getString("code"));
    JsonObject tool = call(key, "memory_block_create", block);
    assertTrue(tool.getBoolean("isError"));
    assertEquals("block_exists", tool.getJsonObject("structuredContent").getString("code"));

    Api.Response tooLarge = api.patch("/v1/blocks/persona/assistant", key, new JsonObject()
        .put("content", "Far more than sixteen characters."));
    assertEquals(400, tooLarge.status());
    assertEquals("block_too_large", tooLarge.json().getString("code"));
    assertEquals(1, api.get("/v1/blocks/persona/assistant", key).json().getInteger("version"), "nothing changed");
    assertEquals(404, api.get("/v1/blocks/persona/nobody", key).status());
    assertEquals(404, api.get("/v1/blocks/persona/assistant?workspace=elsewhere", key).status());
  }

  @Test
  void a_context_stays_within_its_budget_and_a_restricted_key_sees_only_its_workspaces() {
    Api.Account owner = api.signup();
    String key = owner.apiKey();
    api.post("/v1/blocks", key, new JsonObject().put("block_type", "persona").put("label", "a")
        .put("content", "Secret persona of the default workspace."));
    for (int i = 0; i < 30; i++) {
      api.createMemory(key, new JsonObject().put("content", "Deploy note " + i + ": " + "details ".repeat(20))
          .put("workspace", i % 2 == 0 ? "alpha" : "default"));
    }
    JsonObject context = api.post("/v1/context", key, new JsonObject().put("query", "deploy note")
        .put("token_budget", 200)).json();
    assertTrue(context.getInteger("token_estimate") <= 200, context.encode());
    assertTrue(context.getString("prompt").startsWith("Secret persona"), context.getString("prompt"));
    assertTrue(context.getInteger("omitted") > 0);

    String restricted = api.post("/v1/api-keys", key, new JsonObject().put("name", "alpha only")
        .put("workspaces", new JsonArray().add("alpha"))).json().getString("key");
    JsonObject narrow = api.post("/v1/context", restricted, new JsonObject().put("query", "deploy note")
        .put("token_budget", 4000)).json();
    assertFalse(narrow.getString("prompt").contains("Secret persona"), "the default workspace's block");
    for (Object m : narrow.getJsonArray("memories")) {
      long id = ((JsonObject) m).getLong("id");
      assertEquals("alpha", api.get("/v1/memories/" + id, key).json().getString("workspace"));
    }
    Api.Response identity = api.post("/v1/identities", restricted, new JsonObject().put("canonical_id", "x")
        .put("display_name", "X"));
    assertEquals(403, identity.status());
    assertEquals("workspace_restricted", identity.json().getString("code"));
  }

  @Test
  void feedback_and_compression_reach_only_the_callers_own_memories() {
    String mine = api.signup().apiKey();
    String theirs = api.signup().apiKey();
    long their = api.createMemory(theirs, new JsonObject().put("content", "their note")).getLong("id");
    Api.Response mark = api.post("/v1/feedback", mine, new JsonObject().put("query", "note").put("memory_id", their)
        .put("signal", "useful"));
    assertEquals(404, mark.status());
    JsonObject compressed = api.post("/v1/context/compress", mine, new JsonObject()
        .put("memory_ids", new JsonArray().add(their)).put("token_budget", 100)).json();
    assertEquals(0, compressed.getJsonArray("memories").size());
    assertEquals(0L, api.get("/v1/feedback/stats", theirs).json().getLong("total"));
    Api.Response both = api.post("/v1/context/compress", mine, new JsonObject()
        .put("memory_ids", new JsonArray().add(their)).put("query", "note").put("token_budget", 100));
    assertEquals(400, both.status());
  }

  private static JsonObject call(String key, String name, JsonObject arguments) {
    Api.Response r = api.send("POST", "/v1/mcp", Map.of("Authorization", "Bearer " + key), new JsonObject()
        .put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call")
        .put("params", new JsonObject().put("name", name).put("arguments", arguments)).encode(), "application/json");
    assertEquals(200, r.status(), r.body());
    return r.json().getJsonObject("result");
  }
}
