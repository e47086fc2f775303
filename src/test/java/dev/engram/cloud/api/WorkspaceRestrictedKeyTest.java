package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A key restricted to some workspaces reaches nothing outside them, over REST and over MCP. */
class WorkspaceRestrictedKeyTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;
  static Account owner;
  static String backendKey;
  static long inBackend;
  static long inFrontend;

  @BeforeAll
  static void given_memories_in_two_workspaces_and_a_key_for_one() {
    api = server.api();
    owner = api.signup();
    inBackend = api.createMemory(owner.apiKey(), new JsonObject().put("content", "shared secret backend token")
        .put("workspace", "backend")).getLong("id");
    inFrontend = api.createMemory(owner.apiKey(), new JsonObject().put("content", "shared secret frontend token")
        .put("workspace", "frontend")).getLong("id");
    api.post("/v1/links", owner.apiKey(), new JsonObject().put("from_id", inBackend).put("to_id", inFrontend));
    Api.Response created = api.post("/v1/api-keys", owner.apiKey(), new JsonObject().put("name", "backend agent")
        .put("workspaces", new JsonArray().add("Backend")));
    assertEquals(201, created.status(), created.body());
    assertEquals(new JsonArray().add("backend"), created.json().getJsonArray("workspaces"));
    backendKey = created.json().getString("key");
  }

  @Test
  void rest_reads_and_writes_stay_inside_the_workspace() {
    assertEquals(200, api.get("/v1/memories/" + inBackend, backendKey).status());
    assertEquals(404, api.get("/v1/memories/" + inFrontend, backendKey).status());
    assertEquals(404, api.patch("/v1/memories/" + inFrontend, backendKey, new JsonObject().put("content", "x")).status());
    assertEquals(404, api.delete("/v1/memories/" + inFrontend, backendKey).status());
    assertEquals(404, api.get("/v1/memories/" + inFrontend + "/versions", backendKey).status());
    assertEquals(403, api.post("/v1/memories", backendKey, new JsonObject().put("content", "x")
        .put("workspace", "frontend")).status());
    assertEquals(403, api.post("/v1/memories", backendKey, new JsonObject().put("content", "x")).status(),
        "the default workspace is not the key's");
    assertEquals(201, api.post("/v1/memories", backendKey, new JsonObject().put("content", "mine")
        .put("workspace", "backend")).status());
    JsonArray results = api.post("/v1/search", backendKey, new JsonObject().put("query", "shared secret token"))
        .json().getJsonArray("results");
    assertEquals(inBackend, results.getJsonObject(0).getJsonObject("memory").getLong("id"));
    assertTrue(results.stream().allMatch(r -> ((JsonObject) r).getJsonObject("memory").getString("workspace")
        .equals("backend")), results.encode());
    assertEquals(403, api.post("/v1/search", backendKey, new JsonObject().put("query", "token")
        .put("workspace", "frontend")).status());
    JsonArray listed = api.get("/v1/memories", backendKey).json().getJsonArray("data");
    assertTrue(listed.stream().allMatch(m -> ((JsonObject) m).getString("workspace").equals("backend")));
    assertEquals(403, api.get("/v1/stats", backendKey).status(), "tenant-wide");
    assertEquals(0, api.get("/v1/memories/" + inBackend + "/related", backendKey).json().getJsonArray("related").size(),
        "the link's other end is outside");
    assertEquals(404, api.post("/v1/links", backendKey, new JsonObject().put("from_id", inBackend)
        .put("to_id", inFrontend).put("edge_type", "supersedes")).status());
    Api.Response export = api.get("/v1/export", backendKey);
    assertEquals(200, export.status());
    assertTrue(!export.body().contains("frontend token"), export.body());
    assertEquals("shared secret frontend token", api.get("/v1/memories/" + inFrontend, owner.apiKey()).json()
        .getString("content"), "untouched");
  }

  @Test
  void mcp_tools_are_held_to_the_workspace_whatever_the_arguments_say() {
    Map<String, String> auth = Map.of("Authorization", "Bearer " + backendKey);
    JsonObject get = call(auth, "memory_get", new JsonObject().put("id", inFrontend));
    assertTrue(get.getBoolean("isError"), get.encode());
    JsonObject search = call(auth, "memory_search", new JsonObject().put("query", "shared secret token"));
    assertEquals(1, search.getJsonObject("structuredContent").getJsonArray("results").size());
    JsonObject workspaces = call(auth, "workspace_list", new JsonObject());
    assertEquals(1, workspaces.getJsonObject("structuredContent").getInteger("count"));
    assertTrue(call(auth, "memory_create", new JsonObject().put("content", "x").put("workspace", "frontend"))
        .getBoolean("isError"));
    assertTrue(call(auth, "workspace_move", new JsonObject().put("id", inBackend).put("workspace", "frontend"))
        .getBoolean("isError"));
  }

  @Test
  void a_restricted_key_cannot_mint_a_wider_one() {
    String admin = api.post("/v1/api-keys", owner.apiKey(), new JsonObject().put("scopes", new JsonArray().add("admin"))
        .put("workspaces", new JsonArray().add("backend"))).json().getString("key");
    assertEquals(403, api.post("/v1/api-keys", admin, new JsonObject().put("name", "wider")).status());
    assertEquals(403, api.post("/v1/api-keys", admin, new JsonObject().put("workspaces", new JsonArray()
        .add("frontend"))).status());
    assertEquals(201, api.post("/v1/api-keys", admin, new JsonObject().put("workspaces", new JsonArray()
        .add("backend"))).status());
  }

  private static JsonObject call(Map<String, String> auth, String tool, JsonObject arguments) {
    JsonObject message = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call")
        .put("params", new JsonObject().put("name", tool).put("arguments", arguments));
    Api.Response r = api.send("POST", "/v1/mcp", auth, message.encode(), "application/json");
    assertEquals(200, r.status(), r.body());
    return r.json().getJsonObject("result");
  }
}
