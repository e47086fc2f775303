package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Typo correction for a workspace-restricted key draws only on its workspaces' words: given "layoffs" in workspace
 * hr and "layout" in public, a key restricted to public that types "layofs" is offered "layout", never "layoffs",
 * through REST and MCP search (every strategy, with explain), and spelling suggestions.
 */
@Timeout(60)
class RestrictedKeyCorrectionTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;
  static String owner;
  static String publicKey;
  static String publicAndHrKey;

  @BeforeAll
  static void given_words_in_two_workspaces() {
    api = server.api();
    owner = api.signup().apiKey();
    api.createMemory(owner, new JsonObject().put("content", "Planned layoffs and salary changes for next quarter")
        .put("workspace", "hr"));
    api.createMemory(owner, new JsonObject().put("content", "The new layout of the public roadmap page")
        .put("workspace", "public"));
    publicKey = key(List.of("public"));
    publicAndHrKey = key(List.of("public", "hr"));
  }

  @Test
  void the_owner_is_corrected_from_every_workspace() {
    assertEquals("layoffs", suggest(owner, "layofs").getString("suggestion"));
    assertEquals("layoffs roadmap", api.search(owner, new JsonObject().put("query", "layofs roadmap")
        .put("strategy", "hybrid")).getString("corrected_query"));
  }

  @Test
  void a_key_restricted_to_public_learns_no_word_of_hr() {
    for (String strategy : List.of("hybrid", "auto", "keyword", "semantic")) {
      JsonObject request = new JsonObject().put("query", "layofs salery").put("strategy", strategy).put("explain", true);
      Api.Response rest = api.post("/v1/search", publicKey, request);
      assertEquals(200, rest.status(), rest.body());
      assertNoHrWord(rest.body());
      JsonObject mcp = mcp(publicKey, "memory_search", request);
      assertNoHrWord(mcp.encode());
      if (strategy.equals("hybrid") || strategy.equals("auto")) {
        assertEquals("layout salery", rest.json().getString("corrected_query"), rest.body());
        assertEquals("layout salery", mcp.getString("corrected_query"), mcp.encode());
      }
    }
    JsonObject rest = suggest(publicKey, "layofs salery");
    assertEquals("layout salery", rest.getString("suggestion"), rest.encode());
    assertNoHrWord(rest.encode());
    JsonObject mcp = mcp(publicKey, "memory_search_suggest", new JsonObject().put("query", "layofs salery"));
    assertEquals(rest, mcp, "REST and MCP agree");
  }

  @Test
  void a_word_only_hr_holds_is_not_revealed_by_being_left_alone() {
    // "layoffs" matches a memory in hr; for a key that cannot see hr it is an unknown word like any other
    JsonObject s = suggest(publicKey, "layoffs");
    assertEquals(new JsonArray(), s.getJsonArray("corrections"), s.encode());
    JsonObject r = api.search(publicKey, new JsonObject().put("query", "layoffs").put("strategy", "hybrid"));
    assertEquals(0, r.getJsonArray("results").stream().map(JsonObject.class::cast)
        .filter(m -> m.getJsonObject("memory").getString("workspace").equals("hr")).count());
  }

  @Test
  void ties_are_broken_by_counts_in_the_keys_workspaces_not_the_tenants() {
    // "cabel" is one edit from both "cable" and "label"; the tenant holds "cable" most, public holds "label" most
    String owner2 = api.signup().apiKey();
    for (int i = 0; i < 5; i++) api.createMemory(owner2, new JsonObject().put("content", "cable " + i).put("workspace", "hr"));
    api.createMemory(owner2, new JsonObject().put("content", "a cable").put("workspace", "public"));
    api.createMemory(owner2, new JsonObject().put("content", "a label").put("workspace", "public"));
    api.createMemory(owner2, new JsonObject().put("content", "the label").put("workspace", "public"));
    Api.Response created = api.post("/v1/api-keys", owner2, new JsonObject().put("name", "agent")
        .put("workspaces", new JsonArray().add("public")));
    String restricted = created.json().getString("key");
    assertEquals("cable", suggest(owner2, "cabel").getString("suggestion"));
    assertEquals("label", suggest(restricted, "cabel").getString("suggestion"));
  }

  @Test
  void a_key_with_several_workspaces_is_corrected_from_all_of_them() {
    assertEquals("layoffs salary", suggest(publicAndHrKey, "layofs salery").getString("suggestion"));
    assertEquals("layoffs salary", api.search(publicAndHrKey, new JsonObject().put("query", "layofs salery")
        .put("strategy", "hybrid")).getString("corrected_query"));
  }

  private static void assertNoHrWord(String body) {
    assertFalse(body.contains("layoffs"), body);
    assertFalse(body.contains("salary"), body);
  }

  private static JsonObject suggest(String key, String query) {
    Api.Response r = api.post("/v1/search/suggest", key, new JsonObject().put("query", query));
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  private static String key(List<String> workspaces) {
    Api.Response created = api.post("/v1/api-keys", owner, new JsonObject().put("name", "agent")
        .put("workspaces", new JsonArray(workspaces)));
    assertEquals(201, created.status(), created.body());
    return created.json().getString("key");
  }

  /** MCP tools/call without a session; the tool's structured result, which must not be a tool error. */
  private static JsonObject mcp(String key, String tool, JsonObject arguments) {
    JsonObject message = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call")
        .put("params", new JsonObject().put("name", tool).put("arguments", arguments));
    Api.Response r = api.send("POST", "/v1/mcp", Map.of("Authorization", "Bearer " + key,
        "Accept", "application/json, text/event-stream"), message.encode(), "application/json");
    assertEquals(200, r.status(), r.body());
    JsonObject result = r.json().getJsonObject("result");
    assertFalse(result.getBoolean("isError", false), tool + ": " + result.encode());
    assertTrue(result.containsKey("structuredContent"), result.encode());
    return result.getJsonObject("structuredContent");
  }
}
