package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.RunningServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tenant can never see or touch another tenant's data, whatever ids it names. */
class TenantIsolationTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.withDefaults();
  static Api api;
  static Account a;
  static Account b;
  static List<Long> aIds = new ArrayList<>();

  @BeforeAll
  static void given_two_tenants_where_a_has_more_memories_than_b() {
    api = server.api();
    a = api.signup();
    b = api.signup();
    for (int i = 0; i < 5; i++) {
      aIds.add(api.createMemory(a.apiKey(), new JsonObject()
          .put("content", "alpha secret number " + i).put("tags", new JsonArray().add("alpha"))).getLong("id"));
    }
    api.createMemory(b.apiKey(), new JsonObject().put("content", "bravo note"));
  }

  @Test
  void b_gets_404_for_a_ids_it_does_not_have_on_get_patch_and_delete() {
    // B owns one memory (id 1 in its own database); A's ids 2..5 do not exist for B.
    for (long id : aIds.subList(1, aIds.size())) {
      assertEquals(404, api.get("/v1/memories/" + id, b.apiKey()).status());
      assertEquals(404, api.patch("/v1/memories/" + id, b.apiKey(), new JsonObject().put("content", "pwned")).status());
      assertEquals(404, api.delete("/v1/memories/" + id, b.apiKey()).status());
    }
    for (long id : aIds) {
      JsonObject m = api.get("/v1/memories/" + id, a.apiKey()).json();
      assertTrue(m.getString("content").startsWith("alpha secret"), "A's memory is untouched: " + m);
      assertEquals(1, m.getInteger("version"));
    }
  }

  @Test
  void an_id_both_tenants_have_returns_each_tenant_its_own_memory() {
    JsonObject seenByB = api.get("/v1/memories/1", b.apiKey()).json();
    assertEquals("bravo note", seenByB.getString("content"));
    JsonObject seenByA = api.get("/v1/memories/1", a.apiKey()).json();
    assertEquals("alpha secret number 0", seenByA.getString("content"));
  }

  @Test
  void b_sees_none_of_a_memories_in_list_search_or_stats() {
    JsonArray listed = api.get("/v1/memories?limit=100", b.apiKey()).json().getJsonArray("data");
    assertEquals(1, listed.size());
    assertEquals("bravo note", listed.getJsonObject(0).getString("content"));

    for (String strategy : List.of("keyword", "semantic", "hybrid")) {
      JsonObject search = api.post("/v1/search", b.apiKey(), new JsonObject().put("query", "alpha secret")
          .put("strategy", strategy)).json();
      assertTrue(Api.contents(search).stream().noneMatch(c -> c.startsWith("alpha")), strategy + ": " + search);
    }
    assertEquals(0, api.post("/v1/search", b.apiKey(), new JsonObject().put("query", "alpha secret")
        .put("strategy", "keyword")).json().getLong("total"));

    JsonObject tagged = api.get("/v1/memories?tags=alpha", b.apiKey()).json();
    assertTrue(tagged.getJsonArray("data").isEmpty());

    assertEquals(1, api.get("/v1/stats", b.apiKey()).json().getLong("total_memories"));
    assertEquals(5, api.get("/v1/stats", a.apiKey()).json().getLong("total_memories"));
  }

  @Test
  void b_cannot_list_or_revoke_a_keys() {
    JsonObject created = api.post("/v1/api-keys", a.apiKey(), new JsonObject().put("name", "a-agent")).json();
    String aKeyId = created.getString("id");

    JsonArray bKeys = api.get("/v1/api-keys", b.apiKey()).json().getJsonArray("data");
    for (Object k : bKeys) {
      assertFalse(((JsonObject) k).getString("id").equals(aKeyId), "B must not see A's key");
    }
    assertEquals(404, api.delete("/v1/api-keys/" + aKeyId, b.apiKey()).status());
    assertEquals(200, api.get("/v1/stats", created.getString("key")).status(), "A's key still works");
  }

  @Test
  void b_cannot_read_move_or_link_a_memories_through_the_organizing_routes() {
    long aOnly = aIds.get(aIds.size() - 1);
    assertEquals(404, api.get("/v1/memories/" + aOnly + "/versions", b.apiKey()).status());
    assertEquals(404, api.get("/v1/memories/" + aOnly + "/related", b.apiKey()).status());
    assertEquals(404, api.post("/v1/memories/" + aOnly + "/move", b.apiKey(),
        new JsonObject().put("workspace", "stolen")).status());
    // Links only ever join memories of the caller's own database: A's ids do not exist for B.
    assertEquals(404, api.post("/v1/links", b.apiKey(),
        new JsonObject().put("from_id", 1).put("to_id", aOnly)).status());
    assertEquals(200, api.post("/v1/links", a.apiKey(),
        new JsonObject().put("from_id", aIds.get(0)).put("to_id", aIds.get(1))).status());
    assertEquals(404, api.send("DELETE", "/v1/links?from_id=" + aIds.get(0) + "&to_id=" + aIds.get(1), b.apiKey(),
        null).status());
    assertEquals(1, api.get("/v1/memories/" + aIds.get(0) + "/related", a.apiKey()).json().getJsonArray("related")
        .size(), "A's link is untouched");
    assertEquals(0, api.get("/v1/memories/1/related", b.apiKey()).json().getJsonArray("related").size(),
        "B's memory 1 does not see A's link from A's memory 1");
    JsonObject aMemory = api.get("/v1/memories/" + aOnly, a.apiKey()).json();
    assertEquals("default", aMemory.getString("workspace"));
    assertEquals(1, aMemory.getInteger("version"));

    JsonArray bTags = api.get("/v1/tags", b.apiKey()).json().getJsonArray("tags");
    assertTrue(bTags.isEmpty(), "B sees none of A's tags: " + bTags.encode());
    assertEquals(1, api.get("/v1/activity", b.apiKey()).json().getInteger("count"));
    JsonArray bWorkspaces = api.get("/v1/workspaces", b.apiKey()).json().getJsonArray("workspaces");
    assertEquals(1, bWorkspaces.size());
    assertEquals(1, bWorkspaces.getJsonObject(0).getLong("memory_count"));
    JsonObject bExport = api.get("/v1/export", b.apiKey()).json();
    assertEquals(1, bExport.getInteger("memory_count"));
    assertEquals("bravo note", bExport.getJsonArray("memories").getJsonObject(0).getString("content"));
  }

  @Test
  void an_import_lands_only_in_the_importing_tenant() {
    Account c = api.signup();
    JsonObject doc = new JsonObject().put("memories", new JsonArray().add(new JsonObject().put("content", "charlie")));
    assertEquals(1, api.post("/v1/import", c.apiKey(), doc).json().getInteger("imported"));
    assertEquals(1, api.get("/v1/stats", c.apiKey()).json().getLong("total_memories"));
    assertEquals(1, api.get("/v1/stats", b.apiKey()).json().getLong("total_memories"));
    assertEquals(5, api.get("/v1/stats", a.apiKey()).json().getLong("total_memories"));
  }

  @Test
  void tenant_headers_cannot_switch_the_tenant() {
    var r = api.send("GET", "/v1/memories?limit=100", java.util.Map.of(
        "Authorization", "Bearer " + b.apiKey(),
        "X-Engram-Tenant", a.tenantId(),
        "X-Tenant-Slug", a.tenantId()), null, null);
    assertEquals(403, r.status());
    assertEquals("tenant_mismatch", r.json().getString("code"));
    var own = api.send("GET", "/v1/memories?limit=100", java.util.Map.of(
        "Authorization", "Bearer " + b.apiKey(), "X-Tenant-Slug", b.tenantId()), null, null);
    assertEquals(200, own.status(), "the credential's own tenant may be named");
    assertEquals(1, own.json().getJsonArray("data").size());
  }
}
