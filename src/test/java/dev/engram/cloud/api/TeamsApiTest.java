package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Api.Member;
import dev.engram.cloud.testing.Commands;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Members and invites over REST, on the embedded control plane ({@link TeamsPostgresApiTest}: the same on
 * PostgreSQL): the walk of the issue (invite, accept, write, demote, refused, remove, revoked, audited, verified,
 * tampered with, caught), the plan's member cap, several tenants per user, and the password change.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TeamsApiTest {

  TestServer server;
  Api api;

  JsonObject overrides() {
    return new JsonObject();
  }

  @BeforeAll
  void start() {
    server = TestServer.start(overrides());
    api = server.api();
  }

  @AfterAll
  void stop() {
    server.close();
  }

  /** Runs {@code audit verify} on this server's control plane, as the command line would. */
  Commands.Outcome verify() {
    return Commands.audit(List.of("verify", "--data-dir", server.dataDir().toString()), Map.of());
  }

  /** Changes one audit entry past the server, as someone with the database file (or a superuser) could. */
  void editAuditEntry(long id) throws Exception {
    try (Connection conn = DriverManager.getConnection("jdbc:sqlite:" + server.dataDir().resolve("control.db"));
         Statement s = conn.createStatement()) {
      s.execute("PRAGMA busy_timeout=5000");
      s.executeUpdate("UPDATE audit_log SET actor = 'someone-else' WHERE id = " + id);
    }
  }

  private static String code(Api.Response r) {
    return r.json().getString("code");
  }

  @Test
  void invite_accept_write_demote_remove_then_the_audit_log_holds_and_names_a_hand_edit() throws Exception {
    Account owner = api.signup();
    server.setTenantPlan(owner.tenantId(), "team");
    String email = "walk-" + java.util.UUID.randomUUID() + "@example.com";

    Api.Response invite = api.post("/v1/invites", owner.apiKey(), new JsonObject().put("email", email)
        .put("role", "member"));
    assertEquals(201, invite.status(), invite.body());
    JsonObject inv = invite.json();
    assertTrue(inv.getString("token").startsWith("eki_"));
    assertEquals(List.of("member", "pending"), List.of(inv.getString("role"), inv.getString("state")));
    assertEquals(List.of(inv.getString("id")), api.get("/v1/invites", owner.apiKey()).json().getJsonArray("data")
        .stream().map(i -> ((JsonObject) i).getString("id")).toList());

    Api.Response accepted = api.post("/v1/invites/accept", null, new JsonObject().put("token", inv.getString("token"))
        .put("email", email).put("password", "member password"));
    assertEquals(200, accepted.status(), accepted.body());
    assertEquals(owner.tenantId(), accepted.json().getString("tenant_id"));
    assertEquals("member", accepted.json().getString("role"));
    String memberId = accepted.json().getString("user_id");
    assertEquals("invite_used", code(api.post("/v1/invites/accept", null, new JsonObject()
        .put("token", inv.getString("token")).put("email", email).put("password", "member password"))));

    String token = api.signIn(email, "member password", null);
    assertEquals(201, api.post("/v1/memories", token, new JsonObject().put("content", "a member writes")).status());
    JsonArray members = api.get("/v1/members", owner.apiKey()).json().getJsonArray("data");
    assertEquals(List.of("owner", "member"), members.stream().map(m -> ((JsonObject) m).getString("role")).toList());
    assertEquals(email, members.getJsonObject(1).getString("email"));

    Api.Response demoted = api.patch("/v1/members/" + memberId, owner.apiKey(), new JsonObject().put("role", "viewer"));
    assertEquals(200, demoted.status(), demoted.body());
    Api.Response refused = api.post("/v1/memories", token, new JsonObject().put("content", "a viewer may not"));
    assertEquals(403, refused.status(), "the same token, at once");
    assertEquals("insufficient_role", code(refused));
    assertEquals(200, api.get("/v1/memories", token).status(), "a viewer reads");

    assertEquals(204, api.delete("/v1/members/" + memberId, owner.apiKey()).status());
    Api.Response gone = api.get("/v1/memories", token);
    assertEquals(401, gone.status(), "a removed member's token stops at once");
    assertEquals("token_revoked", code(gone));
    assertEquals(401, api.post("/v1/auth/token", null, new JsonObject().put("email", email)
        .put("password", "member password")).status(), "and the account, in no tenant now, is gone");

    JsonArray log = api.get("/v1/audit-log?limit=5", owner.apiKey()).json().getJsonArray("data");
    assertEquals(List.of("member.removed", "member.role_changed", "auth.sign_in", "invite.accepted",
        "invite.created"), log.stream().map(e -> ((JsonObject) e).getString("action")).toList());
    JsonObject removal = log.getJsonObject(0);
    assertEquals(memberId, removal.getString("target"));
    assertTrue(removal.getString("actor").startsWith("ek_live_"), "the owner's key, by its prefix");
    assertEquals("127.0.0.1", removal.getString("ip"));
    assertTrue(removal.getString("request_id").startsWith("req_"));
    assertEquals("ok", removal.getString("outcome"));
    assertEquals(log.getJsonObject(1).getString("hash"), removal.getString("prev_hash"), "chained");
    assertEquals(memberId, log.getJsonObject(2).getString("actor"), "the sign-in was the member's");

    Commands.Outcome clean = verify();
    assertEquals(0, clean.exit(), clean.out() + clean.err());
    assertTrue(clean.out().contains("every chain holds"), clean.out());

    long edited = log.getJsonObject(1).getLong("id");
    editAuditEntry(edited);
    Commands.Outcome broken = verify();
    assertEquals(1, broken.exit(), broken.out() + broken.err());
    assertTrue(broken.out().contains("tenant " + owner.tenantId() + ": entry " + edited + " "), broken.out());
  }

  @Test
  void the_member_cap_of_the_plan_is_402_on_invite_and_on_accept() {
    Account owner = api.signup();
    Api.Response free = api.post("/v1/invites", owner.apiKey(), new JsonObject().put("email", "x@example.com")
        .put("role", "viewer"));
    assertEquals(402, free.status(), "the free plan has one member: its owner");
    assertEquals(List.of("plan_limit_exceeded", "members", "1"), List.of(code(free),
        free.json().getString("cap"), String.valueOf(free.json().getLong("limit"))));

    server.setTenantPlan(owner.tenantId(), "team");
    JsonObject inv = api.post("/v1/invites", owner.apiKey(), new JsonObject().put("email", "late@example.com")
        .put("role", "viewer")).json();
    server.setTenantPlan(owner.tenantId(), "pro");
    Api.Response accept = api.post("/v1/invites/accept", null, new JsonObject().put("token", inv.getString("token"))
        .put("email", "late@example.com").put("password", "a password"));
    assertEquals(402, accept.status(), "the plan shrank before the invite was accepted");
    assertEquals("pro", accept.json().getString("plan"));
    assertEquals(401, api.post("/v1/auth/token", null, new JsonObject().put("email", "late@example.com")
        .put("password", "a password")).status(), "no account was made");

    assertEquals(204, api.delete("/v1/invites/" + inv.getString("id"), owner.apiKey()).status());
    assertTrue(api.get("/v1/invites", owner.apiKey()).json().getJsonArray("data").isEmpty());
  }

  @Test
  void a_user_of_several_tenants_lists_them_and_picks_one_by_slug_or_id() {
    Account first = api.signup();
    Account second = api.signup();
    server.setTenantPlan(second.tenantId(), "team");
    String invite = api.post("/v1/invites", second.apiKey(), new JsonObject().put("email", first.email())
        .put("role", "admin")).json().getString("token");
    String firstToken = api.signIn(first.email(), first.password(), null);
    Api.Response wrongPassword = api.post("/v1/invites/accept", null, new JsonObject().put("token", invite)
        .put("email", first.email()).put("password", "not the password"));
    assertEquals(401, wrongPassword.status(), "an existing account joins only with its password");
    Api.Response joined = api.send("POST", "/v1/invites/accept", Map.of("Authorization", "Bearer " + firstToken),
        new JsonObject().put("token", invite).encode(), "application/json");
    assertEquals(200, joined.status(), joined.body());
    assertEquals("admin", joined.json().getString("role"));

    JsonObject me = api.get("/v1/me", firstToken).json();
    assertEquals(List.of(first.tenantId(), second.tenantId()), me.getJsonArray("tenants").stream()
        .map(t -> ((JsonObject) t).getString("tenant_id")).toList());
    String secondSlug = me.getJsonArray("tenants").getJsonObject(1).getString("tenant_slug");

    String intoSecond = api.signIn(first.email(), first.password(), secondSlug);
    JsonObject tenant = api.get("/v1/tenant", intoSecond).json();
    assertEquals(List.of(second.tenantId(), "admin"), List.of(tenant.getString("id"), tenant.getString("role")));
    Api.Response switched = api.send("GET", "/v1/tenant", Map.of("Authorization", "Bearer " + firstToken,
        "X-Engram-Tenant", second.tenantId()), null, null);
    assertEquals(second.tenantId(), switched.json().getString("id"), "a user's token may name another of its tenants");
    Api.Response stranger = api.send("GET", "/v1/tenant", Map.of("Authorization", "Bearer " + intoSecond,
        "X-Tenant-Slug", api.signup().tenantId()), null, null);
    assertEquals(403, stranger.status());
    assertEquals("tenant_mismatch", code(stranger));
  }

  @Test
  void a_password_change_needs_the_current_password_and_stops_every_other_session() {
    Account owner = api.signup();
    String session = api.signIn(owner.email(), owner.password(), null);
    String other = api.signIn(owner.email(), owner.password(), null);
    Api.Response wrong = api.post("/v1/me/password", session, new JsonObject().put("current_password", "nope nope")
        .put("new_password", "a new password"));
    assertEquals(403, wrong.status());
    assertEquals("invalid_password", code(wrong));
    Api.Response changed = api.post("/v1/me/password", session, new JsonObject()
        .put("current_password", owner.password()).put("new_password", "a new password"));
    assertEquals(200, changed.status(), changed.body());
    String fresh = changed.json().getString("access_token");
    assertNotEquals(session, fresh);
    assertEquals(401, api.get("/v1/memories", other).status(), "another session stops");
    assertEquals(401, api.get("/v1/memories", session).status(), "and so does the one that asked");
    assertEquals(200, api.get("/v1/memories", fresh).status());
    assertEquals(200, api.get("/v1/memories", owner.apiKey()).status(), "API keys are not sessions");
    api.signIn(owner.email(), "a new password", null);
    assertEquals(403, api.post("/v1/me/password", owner.apiKey(), new JsonObject()
        .put("current_password", "a new password").put("new_password", "another one")).status(),
        "an API key changes no password");
  }

  @Test
  void ownership_is_transferred_by_the_owner_only_and_the_owner_cannot_be_removed() {
    Account owner = api.signup();
    server.setTenantPlan(owner.tenantId(), "team");
    Member admin = api.join(owner.apiKey(), "admin");
    String ownerId = owner.userId();
    assertEquals("owner_role", code(api.delete("/v1/members/" + ownerId, admin.token())));
    assertEquals("owner_role", code(api.patch("/v1/members/" + admin.userId(), owner.apiKey(),
        new JsonObject().put("role", "owner"))));
    assertEquals(403, api.post("/v1/tenant/transfer", admin.token(), new JsonObject().put("user_id", ownerId))
        .status(), "an admin cannot take ownership");
    assertEquals(204, api.post("/v1/tenant/transfer", owner.apiKey(), new JsonObject()
        .put("user_id", admin.userId())).status());
    assertEquals("owner", api.get("/v1/tenant", admin.token()).json().getString("role"), "at once");
    assertEquals(403, api.delete("/v1/tenant", owner.apiKey()).status(), "the former owner's key acts as an admin");
    assertNull(api.get("/v1/members", admin.token()).json().getJsonArray("data").stream()
        .map(m -> (JsonObject) m).filter(m -> m.getString("user_id").equals(ownerId) && m.getString("role")
            .equals("owner")).findFirst().orElse(null));
  }
}
