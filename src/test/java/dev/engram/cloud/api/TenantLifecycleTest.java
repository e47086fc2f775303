package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Api.Member;
import dev.engram.cloud.testing.Commands;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tenant's life: its slug (chosen or derived, changed by its owner, accepted by both doors under one rule), the
 * operator's controls (HTTP and command line), suspension, deletion, and the audit of exports and imports.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TenantLifecycleTest {

  private static final String OPERATOR_TOKEN = "operator-" + UUID.randomUUID() + UUID.randomUUID();

  TestServer server;
  Api api;

  @BeforeAll
  void start() {
    // The operator token comes from the environment in production (ENGRAM_OPERATOR_TOKEN); tests set it directly.
    server = TestServer.start(new JsonObject().put("operator", new JsonObject().put("token", OPERATOR_TOKEN))
        .put("auth", new JsonObject().put("key_cache_seconds", 1)
            .put("throttle", TestServer.withoutThrottles().getJsonObject("auth").getJsonObject("throttle")))
        .put("quota", new JsonObject().put("plan_cache_seconds", 1)));
    api = server.api();
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private Api.Response signup(String name, String slug) {
    JsonObject body = new JsonObject().put("email", "s-" + UUID.randomUUID() + "@example.com")
        .put("password", "a good password").put("tenant_name", name);
    if (slug != null) body.put("tenant_slug", slug);
    return api.post("/v1/signup", null, body);
  }

  private Api.Response rest(String credential, Map<String, String> tenantHeaders) {
    Map<String, String> headers = new java.util.HashMap<>(tenantHeaders);
    headers.put("Authorization", "Bearer " + credential);
    return api.send("GET", "/v1/memories?limit=1", headers, null, null);
  }

  private Api.Response mcp(String credential, Map<String, String> tenantHeaders, String tool, JsonObject args) {
    // As Engram's SDKs send it: tools/call without a session, no Accept header.
    Map<String, String> headers = new java.util.HashMap<>(tenantHeaders);
    headers.put("Authorization", "Bearer " + credential);
    return api.send("POST", "/v1/mcp", headers, new JsonObject().put("jsonrpc", "2.0").put("id", 1)
        .put("method", "tools/call").put("params", new JsonObject().put("name", tool).put("arguments", args))
        .encode(), "application/json");
  }

  private Api.Response operator(String method, String path, JsonObject body) {
    return api.send(method, path, Map.of("Authorization", "Bearer " + OPERATOR_TOKEN),
        body == null ? null : body.encode(), body == null ? null : "application/json");
  }

  @Test
  void a_slug_is_chosen_or_derived_and_both_doors_take_it_or_the_id_under_one_rule() {
    String chosen = "acme-" + UUID.randomUUID().toString().substring(0, 8);
    Api.Response made = signup("Acme", chosen);
    assertEquals(201, made.status(), made.body());
    assertEquals(chosen, made.json().getString("tenant_slug"));
    assertEquals("slug_taken", signup("Other", chosen).json().getString("code"));
    assertEquals("invalid_slug", signup("Other", "Not_A_Slug").json().getString("code"));
    String unique = UUID.randomUUID().toString().substring(0, 6);
    assertEquals("ecole-" + unique + "-labs", signup("École " + unique + " Labs!", null).json()
        .getString("tenant_slug"), "derived from the name");
    String again = signup("École " + unique + " Labs!", null).json().getString("tenant_slug");
    assertTrue(again.matches("ecole-" + unique + "-labs-[a-z0-9]{4}"), "made unique: " + again);

    String key = made.json().getString("api_key");
    String tenantId = made.json().getString("tenant_id");
    Account stranger = api.signup();
    for (String header : List.of("X-Tenant-Slug", "X-Engram-Tenant")) {
      for (String name : List.of(chosen, tenantId)) {
        assertEquals(200, rest(key, Map.of(header, name)).status(), header + ": " + name);
        Api.Response viaMcp = mcp(key, Map.of(header, name), "memory_list", new JsonObject());
        assertEquals(200, viaMcp.status(), viaMcp.body());
        assertFalse(viaMcp.json().getJsonObject("result").getBoolean("isError"), viaMcp.body());
      }
      String other = api.get("/v1/tenant", stranger.apiKey()).json().getString("slug");
      for (String name : List.of(other, stranger.tenantId(), "no-such-tenant")) {
        Api.Response viaRest = rest(key, Map.of(header, name));
        Api.Response viaMcp = mcp(key, Map.of(header, name), "memory_list", new JsonObject());
        for (Api.Response r : List.of(viaRest, viaMcp)) {
          assertEquals(403, r.status(), header + ": " + name);
          assertEquals("tenant_mismatch", r.json().getString("code"), "the same refusal on both doors");
        }
      }
    }
  }

  @Test
  void the_owner_changes_the_slug_and_the_old_one_names_nothing_any_more() {
    Account owner = api.signup();
    server.setTenantPlan(owner.tenantId(), "team");
    Member admin = api.join(owner.apiKey(), "admin");
    String old = api.get("/v1/tenant", owner.apiKey()).json().getString("slug");
    String renamed = "renamed-" + UUID.randomUUID().toString().substring(0, 8);
    assertEquals(403, api.patch("/v1/tenant", admin.token(), new JsonObject().put("slug", renamed)).status(),
        "the slug is the owner's");
    Api.Response changed = api.patch("/v1/tenant", owner.apiKey(), new JsonObject().put("slug", renamed));
    assertEquals(200, changed.status(), changed.body());
    assertEquals(renamed, changed.json().getString("slug"));
    assertEquals("tenant_mismatch", rest(owner.apiKey(), Map.of("X-Tenant-Slug", old)).json().getString("code"));
    assertEquals(200, rest(owner.apiKey(), Map.of("X-Tenant-Slug", renamed)).status());
    assertEquals(renamed, api.post("/v1/auth/token", null, new JsonObject().put("email", owner.email())
        .put("password", owner.password())).json().getString("tenant_slug"));
    JsonObject entry = api.get("/v1/audit-log?action=tenant.slug_changed", owner.apiKey()).json()
        .getJsonArray("data").getJsonObject(0);
    assertEquals(List.of(old, renamed), List.of(entry.getJsonObject("details").getString("from"),
        entry.getJsonObject("details").getString("to")));
  }

  @Test
  void a_deleted_tenant_stops_answering_at_once_its_files_go_and_its_audit_chain_stays() throws Exception {
    Account owner = api.signup();
    server.setTenantPlan(owner.tenantId(), "team");
    Member member = api.join(owner.apiKey(), "member");
    api.createMemory(owner.apiKey(), new JsonObject().put("content", "soon gone"));
    assertTrue(Files.exists(server.dataDir().resolve("tenants").resolve(owner.tenantId())));
    String slug = api.get("/v1/tenant", owner.apiKey()).json().getString("slug");

    assertEquals(403, api.send("DELETE", "/v1/tenant", Map.of("Authorization", "Bearer " + member.token()),
        new JsonObject().put("confirm", slug).encode(), "application/json").status(), "the owner's only");
    Api.Response wrong = api.send("DELETE", "/v1/tenant", Map.of("Authorization", "Bearer " + owner.apiKey()),
        new JsonObject().put("confirm", "not-" + slug).encode(), "application/json");
    assertEquals("confirmation_mismatch", wrong.json().getString("code"));
    Api.Response deleted = api.send("DELETE", "/v1/tenant", Map.of("Authorization", "Bearer " + owner.apiKey()),
        new JsonObject().put("confirm", slug).encode(), "application/json");
    assertEquals(204, deleted.status(), deleted.body());

    assertEquals(401, api.get("/v1/memories", owner.apiKey()).status(), "its keys, at once");
    assertEquals(401, api.get("/v1/memories", member.token()).status(), "its members' sessions, at once");
    assertEquals(401, mcp(owner.apiKey(), Map.of(), "memory_list", new JsonObject()).status());
    assertFalse(Files.exists(server.dataDir().resolve("tenants").resolve(owner.tenantId())), "its data files");
    assertEquals(201, api.post("/v1/signup", null, new JsonObject().put("email", owner.email())
        .put("password", owner.password()).put("tenant_name", "again").put("tenant_slug", slug)).status(),
        "its owner's email and its slug are free again");

    assertEquals(List.of("tenant.deleted", owner.apiKey().substring(0, 12)), lastAudit(owner.tenantId()));
    JsonObject tombstone = operator("GET", "/v1/operator/tenants/" + owner.tenantId(), null).json();
    assertEquals("deleted", tombstone.getString("status"));
    Commands.Outcome verify = Commands.audit(List.of("verify", "--data-dir", server.dataDir().toString()), Map.of());
    assertEquals(0, verify.exit(), verify.out() + verify.err());
  }

  /** The action and actor of a tenant's last audit entry, read from the control plane's file. */
  private List<String> lastAudit(String tenantId) throws Exception {
    try (Connection conn = DriverManager.getConnection("jdbc:sqlite:" + server.dataDir().resolve("control.db"));
         PreparedStatement ps = conn.prepareStatement(
             "SELECT action, actor FROM audit_log WHERE tenant_id = ? ORDER BY id DESC LIMIT 1")) {
      ps.setString(1, tenantId);
      ResultSet rs = ps.executeQuery();
      assertTrue(rs.next());
      return List.of(rs.getString(1), rs.getString(2));
    }
  }

  @Test
  void the_operator_lists_finds_replans_suspends_and_resumes_a_tenant() {
    Account owner = api.signup();
    String slug = api.get("/v1/tenant", owner.apiKey()).json().getString("slug");
    api.createMemory(owner.apiKey(), new JsonObject().put("content", "kept while suspended"));
    assertEquals(401, api.send("GET", "/v1/operator/tenants", Map.of("Authorization", "Bearer " + owner.apiKey()),
        null, null).status(), "a tenant's key is no operator token");
    assertEquals(401, api.send("GET", "/v1/operator/tenants", Map.of(), null, null).status());

    List<String> ids = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject page = operator("GET", "/v1/operator/tenants?limit=5" + (cursor == null ? "" : "&cursor=" + cursor),
          null).json();
      page.getJsonArray("data").forEach(t -> ids.add(((JsonObject) t).getString("id")));
      cursor = page.getString("next_cursor");
    } while (cursor != null);
    assertTrue(ids.contains(owner.tenantId()), "listed, paged");
    assertEquals(owner.tenantId(), operator("GET", "/v1/operator/tenants/" + slug, null).json().getString("id"));
    assertEquals(404, operator("GET", "/v1/operator/tenants/tn-nobody-here", null).status());

    assertEquals(402, api.post("/v1/invites", owner.apiKey(), new JsonObject().put("email", "x@example.com")
        .put("role", "viewer")).status(), "free: one member");
    assertEquals("unknown_plan", operator("POST", "/v1/operator/tenants/" + slug + "/plan",
        new JsonObject().put("plan", "platinum")).json().getString("code"));
    Api.Response planned = operator("POST", "/v1/operator/tenants/" + slug + "/plan", new JsonObject().put("plan",
        "team"));
    assertEquals("team", planned.json().getString("plan"), planned.body());
    assertEquals(201, api.post("/v1/invites", owner.apiKey(), new JsonObject().put("email", "x@example.com")
        .put("role", "viewer")).status(), "quota sees the plan at once");

    assertEquals("suspended", operator("POST", "/v1/operator/tenants/" + owner.tenantId() + "/suspend", null).json()
        .getString("status"));
    Api.Response viaRest = api.get("/v1/memories", owner.apiKey());
    Api.Response viaMcp = mcp(owner.apiKey(), Map.of(), "memory_list", new JsonObject());
    Api.Response signIn = api.post("/v1/auth/token", null, new JsonObject().put("email", owner.email())
        .put("password", owner.password()));
    for (Api.Response r : List.of(viaRest, viaMcp, signIn)) {
      assertEquals(403, r.status(), r.body());
      assertEquals("tenant_suspended", r.json().getString("code"));
    }
    assertEquals("active", operator("POST", "/v1/operator/tenants/" + slug + "/resume", null).json()
        .getString("status"));
    assertEquals(1, api.get("/v1/memories", owner.apiKey()).json().getJsonArray("data").size(), "its data kept");

    List<String> operatorActions = api.get("/v1/audit-log?actor=operator", owner.apiKey()).json().getJsonArray("data")
        .stream().map(e -> ((JsonObject) e).getString("action")).toList();
    assertEquals(List.of("tenant.resumed", "tenant.suspended", "tenant.plan_changed"), operatorActions);
  }

  @Test
  void the_admin_command_does_the_same_on_the_embedded_control_plane() {
    Account owner = api.signup();
    String slug = api.get("/v1/tenant", owner.apiKey()).json().getString("slug");
    String dir = server.dataDir().toString();
    Commands.Outcome listed = Commands.admin(List.of("tenants", "--data-dir", dir), Map.of());
    assertEquals(0, listed.exit(), listed.err());
    assertTrue(listed.out().contains(owner.tenantId() + "\t" + slug + "\tplan=free\tstatus=active"), listed.out());

    assertEquals(0, Commands.admin(List.of("set-plan", slug, "pro", "--data-dir", dir), Map.of()).exit());
    assertEquals(0, Commands.admin(List.of("suspend", owner.tenantId(), "--data-dir", dir), Map.of()).exit());
    Eventually.until(Duration.ofSeconds(10), "the running server sees the suspension within key_cache_seconds",
        () -> api.get("/v1/memories", owner.apiKey()).status() == 403);
    assertEquals("tenant_suspended", api.get("/v1/memories", owner.apiKey()).json().getString("code"));
    Commands.Outcome resumed = Commands.admin(List.of("resume", slug, "--data-dir", dir), Map.of());
    assertTrue(resumed.out().contains("plan=pro\tstatus=active"), resumed.out());
    Eventually.until(Duration.ofSeconds(10), "and the resumption", () -> api.get("/v1/memories", owner.apiKey())
        .status() == 200);

    assertEquals(1, Commands.admin(List.of("tenant", "tn-nobody-here", "--data-dir", dir), Map.of()).exit());
    assertEquals(1, Commands.admin(List.of("set-plan", slug, "platinum", "--data-dir", dir), Map.of()).exit());
    assertEquals(2, Commands.admin(List.of("frobnicate", "--data-dir", dir), Map.of()).exit());
    assertEquals(2, Commands.admin(List.of("tenants", "--data-dir", dir + "/nowhere"), Map.of()).exit(),
        "no control plane there: nothing is made");
  }

  @Test
  void exports_and_imports_are_audited_on_both_doors_and_the_log_exports_as_json_lines() {
    Account owner = api.signup();
    api.createMemory(owner.apiKey(), new JsonObject().put("content", "exported"));
    assertEquals(200, api.get("/v1/export", owner.apiKey()).status());
    assertEquals(200, mcp(owner.apiKey(), Map.of(), "memory_export", new JsonObject()).status());
    assertEquals(200, api.post("/v1/import", owner.apiKey(), new JsonObject().put("memories",
        new JsonArray().add(new JsonObject().put("content", "imported")))).status());
    Eventually.until(Duration.ofSeconds(10), "the three are audited", () -> api.get("/v1/audit-log?limit=10",
        owner.apiKey()).json().getJsonArray("data").stream().filter(e -> ((JsonObject) e).getString("action")
        .startsWith("memories.")).count() == 3);
    List<String> vias = api.get("/v1/audit-log?action=memories.exported", owner.apiKey()).json().getJsonArray("data")
        .stream().map(e -> ((JsonObject) e).getJsonObject("details").getString("via")).sorted().toList();
    assertEquals(List.of("mcp", "rest"), vias);

    Api.Response lines = api.get("/v1/audit-log/export", owner.apiKey());
    assertEquals(200, lines.status());
    assertTrue(lines.header("Content-Type").startsWith("application/x-ndjson"));
    List<JsonObject> entries = lines.body().lines().map(JsonObject::new).toList();
    assertEquals("tenant.created", entries.get(0).getString("action"), "oldest first");
    for (int i = 1; i < entries.size(); i++) {
      assertEquals(entries.get(i - 1).getString("hash"), entries.get(i).getString("prev_hash"), "a whole chain");
    }
    assertEquals("audit_log.exported", entries.get(entries.size() - 1).getString("action"),
        "the export itself is on record, before its first line goes out");
  }
}
