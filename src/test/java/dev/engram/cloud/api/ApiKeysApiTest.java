package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * API keys over REST: a workspace-restricted admin key manages only keys inside its workspaces and sees no
 * tenant-wide view; a tenant holds at most {@code auth.max_active_api_keys} active keys; the listing is paged.
 * On the embedded control plane here, on PostgreSQL in {@link ApiKeysPostgresApiTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ApiKeysApiTest {

  private static final int CAP = 6;

  TestServer server;
  Api api;

  /** Config for this store; the key cap is set low so that the test reaches it. */
  JsonObject overrides() {
    return new JsonObject();
  }

  @BeforeAll
  void start() {
    server = TestServer.start(dev.engram.cloud.config.ConfigLoader.deepMerge(overrides(),
        new JsonObject().put("auth", new JsonObject().put("max_active_api_keys", CAP))));
    api = server.api();
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private JsonObject createKey(String by, JsonObject body) {
    Api.Response r = api.post("/v1/api-keys", by, body);
    assertEquals(201, r.status(), r.body());
    return r.json();
  }

  private static JsonObject restricted(String scope, String... workspaces) {
    return new JsonObject().put("scopes", new JsonArray().add(scope)).put("workspaces", new JsonArray(List.of(workspaces)));
  }

  private List<String> listedIds(String key) {
    Api.Response r = api.get("/v1/api-keys", key);
    assertEquals(200, r.status(), r.body());
    return r.json().getJsonArray("data").stream().map(k -> ((JsonObject) k).getString("id")).toList();
  }

  @Test
  void a_restricted_admin_key_manages_only_keys_inside_its_workspaces_and_reads_no_tenant_wide_view() {
    Account owner = api.signup();
    String ownerKeyId = listedIds(owner.apiKey()).get(0);
    JsonObject admin = createKey(owner.apiKey(), restricted("admin", "backend"));
    JsonObject frontend = createKey(owner.apiKey(), restricted("memories:read", "frontend"));
    JsonObject both = createKey(owner.apiKey(), restricted("memories:read", "backend", "frontend"));
    String restrictedAdmin = admin.getString("key");
    JsonObject own = createKey(restrictedAdmin, restricted("memories:read", "backend"));

    assertEquals(List.of(admin.getString("id"), own.getString("id")), listedIds(restrictedAdmin),
        "not the owner's key, nor keys that reach other workspaces");
    assertEquals(List.of(ownerKeyId, admin.getString("id"), frontend.getString("id"), both.getString("id"),
        own.getString("id")), listedIds(owner.apiKey()), "the owner still sees every key");

    for (String outside : List.of(ownerKeyId, frontend.getString("id"), both.getString("id"))) {
      Api.Response r = api.delete("/v1/api-keys/" + outside, restrictedAdmin);
      assertEquals(404, r.status(), "like a key that does not exist: " + r.body());
      assertEquals("not_found", r.json().getString("code"));
    }
    assertEquals(200, api.get("/v1/stats", owner.apiKey()).status(), "the owner's key still works");
    assertEquals(200, api.get("/v1/memories?workspace=frontend", frontend.getString("key")).status());

    Api.Response usage = api.get("/v1/usage", restrictedAdmin);
    assertEquals(403, usage.status(), usage.body());
    assertEquals("workspace_restricted", usage.json().getString("code"));
    assertEquals(200, api.get("/v1/usage", owner.apiKey()).status());

    assertEquals(204, api.delete("/v1/api-keys/" + own.getString("id"), restrictedAdmin).status(),
        "a key inside its workspaces it may revoke");
    assertEquals(401, api.get("/v1/memories?workspace=backend", own.getString("key")).status());
  }

  @Test
  void a_tenant_holds_at_most_the_cap_of_active_keys_and_revoking_one_makes_room() {
    Account owner = api.signup();
    List<String> ids = new ArrayList<>();
    for (int i = 1; i < CAP; i++) ids.add(createKey(owner.apiKey(), new JsonObject().put("name", "k" + i)).getString("id"));

    Api.Response over = api.post("/v1/api-keys", owner.apiKey(), new JsonObject().put("name", "one too many"));
    assertEquals(409, over.status(), over.body());
    assertTrue(over.header("Content-Type").startsWith("application/problem+json"));
    assertEquals("too_many_api_keys", over.json().getString("code"));
    assertEquals(CAP, over.json().getInteger("limit"));
    assertEquals(CAP, listedIds(owner.apiKey()).size(), "nothing was made");

    assertEquals(204, api.delete("/v1/api-keys/" + ids.get(0), owner.apiKey()).status());
    createKey(owner.apiKey(), new JsonObject().put("name", "in the revoked key's place"));
    assertEquals(CAP + 1, listedIds(owner.apiKey()).size(), "the revoked key is still listed");
    assertEquals(201, api.post("/v1/api-keys", api.signup().apiKey(), new JsonObject()).status(),
        "other tenants have their own cap");
  }

  @Test
  void the_key_list_is_paged_with_a_cursor() {
    Account owner = api.signup();
    List<String> expected = new ArrayList<>(listedIds(owner.apiKey()));
    for (int i = 0; i < 4; i++) expected.add(createKey(owner.apiKey(), new JsonObject().put("name", "p" + i)).getString("id"));

    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Api.Response r = api.get("/v1/api-keys?limit=2" + (cursor == null ? "" : "&cursor=" + cursor), owner.apiKey());
      assertEquals(200, r.status(), r.body());
      JsonArray data = r.json().getJsonArray("data");
      assertTrue(data.size() <= 2);
      data.forEach(k -> seen.add(((JsonObject) k).getString("id")));
      cursor = r.json().getString("next_cursor");
      pages++;
    } while (cursor != null);
    assertEquals(expected, seen, "every key once, oldest first");
    assertEquals(3, pages);
    assertNull(api.get("/v1/api-keys", owner.apiKey()).json().getString("next_cursor"), "5 keys fit the default page");
    assertTrue(api.get("/v1/api-keys", owner.apiKey()).json().containsKey("next_cursor"));

    for (String bad : List.of("limit=0", "limit=101", "limit=x", "cursor=not-a-cursor", "cursor=", "page=2",
        "limit=2&limit=3")) {
      Api.Response r = api.get("/v1/api-keys?" + bad, owner.apiKey());
      assertEquals(400, r.status(), bad + ": " + r.body());
      assertTrue(r.header("Content-Type").startsWith("application/problem+json"), bad);
    }
  }
}
