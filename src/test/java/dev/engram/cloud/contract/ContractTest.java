package dev.engram.cloud.contract;

import dev.engram.cloud.api.Contract;
import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.FakeStripe;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server does what openapi.yaml says: every documented route exists (answered as documented, not 404 or 405,
 * without a credential), every operation answers a real request with a 2xx, and every such answer validates against
 * the schema the document gives for it. The document served at {@code /openapi.json} is openapi.yaml's.
 */
class ContractTest {

  /** The platform operator's token (from the environment in production; tests set it directly). */
  static final String OPERATOR_TOKEN = "operator-" + UUID.randomUUID() + UUID.randomUUID();
  /** Billing on, against the fake Stripe, so that its routes answer too. */
  static final FakeStripe stripe = FakeStripe.start();

  @RegisterExtension
  static final RunningServer server = RunningServer.with(ConfigLoader.deepMerge(TestServer.withoutRateLimits()
      .put("operator", new JsonObject().put("token", OPERATOR_TOKEN)), stripe.config()));
  static Api api;
  static Documented documented;
  static final Set<String> answered2xx = new LinkedHashSet<>();

  @AfterAll
  static void stopStripe() {
    stripe.close();
  }

  @BeforeAll
  static void given_the_document() {
    api = server.api();
    documented = Documented.load(server.config());
  }

  /** Every operation of the document, as (operation id → method and path). */
  static Map<String, String[]> operations() {
    Map<String, String[]> out = new LinkedHashMap<>();
    JsonObject paths = Contract.read().getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (item.getValue(method) instanceof JsonObject op && op.containsKey("operationId")) {
          out.put(op.getString("operationId"), new String[] {method.toUpperCase(), path});
        }
      }
    }
    return out;
  }

  @Test
  void every_documented_route_exists() {
    operations().forEach((operationId, route) -> {
      String id = route[1].startsWith("/v1/api-keys") ? "key_aaaaaaaaaaaaaaaaaaaa"
          : route[1].startsWith("/v1/invites") ? "inv_aaaaaaaaaaaaaaaaaaaa" : "1";
      String path = route[1].replace("{id}", id).replace("{name}", "default")
          .replace("{user_id}", "usr_aaaaaaaaaaaaaaaaaaaa").replace("{ref}", "tn-nobody")
          .replace("{block_type}", "persona").replace("{label}", "assistant");
      Api.Response r = api.send(route[0], path, Map.of(), null, null);
      assertTrue(r.status() != 404 && r.status() != 405, operationId + " " + route[0] + " " + path + " → "
          + r.status() + " " + r.body());
      documented.check(operationId, r, operationId + " without a credential");
    });
  }

  @Test
  void every_operation_answers_a_request_and_its_answer_is_the_documented_one() {
    String email = "contract-" + System.nanoTime() + "@example.com";
    JsonObject signup = ok("signup", api.send("POST", "/v1/signup", Map.of(), new JsonObject().put("email", email)
        .put("password", "correct horse").put("tenant_name", "Contract").encode(), "application/json")).json();
    String key = signup.getString("api_key");
    ok("createToken", api.send("POST", "/v1/auth/token", Map.of(), new JsonObject().put("email", email)
        .put("password", "correct horse").encode(), "application/json"));
    ok("live", api.get("/health/live", null));
    ok("ready", api.get("/health/ready", null));
    ok("jwks", api.get("/.well-known/jwks.json", null));
    JsonObject served = ok("openapiJson", api.get("/openapi.json", null)).json();
    ok("openapiYaml", api.get("/openapi.yaml", null));
    JsonObject written = Contract.read();
    served.remove("servers");
    written.remove("servers");
    assertEquals(written, served, "/openapi.json is openapi.yaml (with this server's URL)");

    long first = ok("createMemory", api.post("/v1/memories", key, new JsonObject()
        .put("content", "Use async/await for I/O-bound work in Rust").put("tags", new JsonArray().add("rust"))
        .put("workspace", "backend").put("metadata", new JsonObject().put("source", "review")))).json().getLong("id");
    long second = ok("createMemory", api.post("/v1/memories", key, new JsonObject()
        .put("content", "Standup moved to 10am").put("ttl_seconds", 3600))).json().getLong("id");
    ok("getMemory", api.get("/v1/memories/" + first, key));
    ok("listMemories", api.get("/v1/memories?limit=1&tags=rust", key));
    ok("updateMemory", api.patch("/v1/memories/" + first, key, new JsonObject().put("importance", 0.9)));
    api.awaitVectors(key);
    for (String strategy : new String[] {"hybrid", "keyword", "semantic"}) {
      JsonObject found = ok("search", api.post("/v1/search", key, new JsonObject().put("query", "async rust")
          .put("strategy", strategy).put("explain", true).put("project", "engram"))).json();
      assertFalse(found.getJsonArray("results").isEmpty(), strategy + " finds the memory: its explain is checked");
    }
    ok("search", api.post("/v1/search", key, new JsonObject().put("query", "asynch rust").put("strategy", "auto")));
    ok("suggest", api.post("/v1/search/suggest", key, new JsonObject().put("query", "asynch awiat rust")));
    ok("getStats", api.get("/v1/stats", key));
    ok("listTags", api.get("/v1/tags?limit=1", key));
    JsonObject versions = ok("listVersions", api.get("/v1/memories/" + first + "/versions?limit=1", key)).json();
    ok("listVersions", api.get("/v1/memories/" + first + "/versions?cursor=" + versions.getString("next_cursor"), key));
    ok("recentActivity", api.get("/v1/activity?timeframe=1h&types=note", key));
    ok("listWorkspaces", api.get("/v1/workspaces?limit=1", key));
    ok("getWorkspace", api.get("/v1/workspaces/backend", key));
    ok("moveMemory", api.post("/v1/memories/" + second + "/move", key, new JsonObject().put("workspace", "archive")));
    ok("link", api.post("/v1/links", key, new JsonObject().put("from_id", second).put("to_id", first)
        .put("edge_type", "supersedes").put("source_context", "the newer note")));
    ok("listRelated", api.get("/v1/memories/" + first + "/related?limit=1", key));
    ok("unlink", api.send("DELETE", "/v1/links?from_id=" + second + "&to_id=" + first + "&edge_type=supersedes", key,
        null));
    ok("exportMemories", api.get("/v1/export", key));
    ok("importMemories", api.post("/v1/import", key, new JsonObject().put("version", "1.0").put("memories",
        new JsonArray().add(new JsonObject().put("content", "Deploys go out on Tuesdays").put("memory_type", "decision")))));
    ok("scanProject", api.post("/v1/project-context/scan", key, new JsonObject().put("project", "my-app")
        .put("files", new JsonArray().add(new JsonObject().put("path", "CLAUDE.md").put("content", "# Style\n\nTabs.")))));
    ok("getProjectContext", api.get("/v1/project-context?project=my-app", key));
    ok("listMemories", api.get("/v1/memories?sort_by=access_count&sort_order=asc&offset=1&tier=permanent"
        + "&workspaces=backend,default", key));
    ok("createDailyMemory", api.post("/v1/memories/daily", key, new JsonObject().put("content", "Today: pairing")));
    ok("createBlock", api.post("/v1/blocks", key, new JsonObject().put("block_type", "persona")
        .put("label", "assistant").put("content", "Terse.")));
    ok("editBlock", api.patch("/v1/blocks/persona/assistant", key, new JsonObject().put("content", "Terse, kind.")
        .put("reason", "tone")));
    ok("getBlock", api.get("/v1/blocks/persona/assistant", key));
    ok("listBlocks", api.get("/v1/blocks?block_type=persona", key));
    ok("buildContext", api.post("/v1/context", key, new JsonObject().put("query", "async rust")
        .put("token_budget", 200).put("strategy", "balanced")));
    ok("compressForContext", api.post("/v1/context/compress", key, new JsonObject()
        .put("memory_ids", new JsonArray().add(first)).put("token_budget", 5)));
    ok("estimateTokens", api.post("/v1/context/tokens", key, new JsonObject().put("content", "four words of text")));
    ok("createIdentity", api.post("/v1/identities", key, new JsonObject().put("canonical_id", "lang:rust")
        .put("display_name", "Rust").put("aliases", new JsonArray().add("rustlang"))));
    ok("resolveIdentity", api.get("/v1/identities/resolve?alias=rustlang", key));
    ok("recordFeedback", api.post("/v1/feedback", key, new JsonObject().put("query", "async rust")
        .put("memory_id", first).put("signal", "useful")));
    ok("feedbackStats", api.get("/v1/feedback/stats", key));
    String keyId = ok("createApiKey", api.post("/v1/api-keys", key, new JsonObject().put("name", "ci")
        .put("scopes", new JsonArray().add("memories:read")).put("workspaces", new JsonArray().add("backend"))))
        .json().getString("id");
    ok("listApiKeys", api.get("/v1/api-keys?limit=1", key));
    ok("revokeApiKey", api.delete("/v1/api-keys/" + keyId, key));
    ok("getUsage", api.get("/v1/usage", key));
    ok("listBackups", api.get("/v1/backups", key));
    ok("getBilling", api.get("/v1/billing", key));
    ok("createCheckout", api.post("/v1/billing/checkout", key, new JsonObject().put("plan", "pro")));
    ok("createPortal", api.post("/v1/billing/portal", key, null));
    String event = stripe.event("customer.created", new JsonObject().put("id", "cus_contract")).encode();
    ok("stripeWebhook", api.send("POST", "/v1/billing/webhook", Map.of("Stripe-Signature", FakeStripe.sign(event)),
        event, "application/json"));
    ok("deleteMemory", api.delete("/v1/memories/" + second, key));
    teams(email, key, signup.getString("tenant_id"));

    Set<String> missing = new TreeSet<>(operations().keySet());
    missing.removeAll(answered2xx);
    assertTrue(missing.isEmpty(), "operations never answered with a 2xx here: " + missing);
  }

  /**
   * The team, key-lifecycle, tenant, audit-log and operator operations, in an order that lets each succeed: the
   * operator moves the tenant to the team plan (members), three invites (accepted, revoked, accepted then removed),
   * a role change, a key rotation, the audit log, a password change, ownership to the first member, who deletes the
   * tenant last.
   */
  private static void teams(String ownerEmail, String key, String tenantId) {
    Map<String, String> operator = Map.of("Authorization", "Bearer " + OPERATOR_TOKEN);
    ok("operatorListTenants", api.send("GET", "/v1/operator/tenants?limit=5", operator, null, null));
    ok("operatorGetTenant", api.send("GET", "/v1/operator/tenants/" + tenantId, operator, null, null));
    ok("operatorSetPlan", api.send("POST", "/v1/operator/tenants/" + tenantId + "/plan", operator,
        new JsonObject().put("plan", "team").encode(), "application/json"));
    ok("operatorSuspendTenant", api.send("POST", "/v1/operator/tenants/" + tenantId + "/suspend", operator, null, null));
    ok("operatorResumeTenant", api.send("POST", "/v1/operator/tenants/" + tenantId + "/resume", operator, null, null));

    String slug = ok("getTenant", api.get("/v1/tenant", key)).json().getString("slug");
    slug = ok("updateTenant", api.patch("/v1/tenant", key, new JsonObject().put("name", "Contract Labs")
        .put("slug", slug + "-2"))).json().getString("slug");

    String first = "first-" + UUID.randomUUID() + "@example.com";
    String token = ok("createInvite", api.post("/v1/invites", key, new JsonObject().put("email", first)
        .put("role", "member").put("workspaces", new JsonArray().add("backend")))).json().getString("token");
    ok("listInvites", api.get("/v1/invites", key));
    String firstId = ok("acceptInvite", api.post("/v1/invites/accept", null, new JsonObject().put("token", token)
        .put("email", first).put("password", "first password"))).json().getString("user_id");
    String revoked = ok("createInvite", api.post("/v1/invites", key, new JsonObject()
        .put("email", "never-" + UUID.randomUUID() + "@example.com").put("role", "viewer"))).json().getString("id");
    ok("revokeInvite", api.delete("/v1/invites/" + revoked, key));
    String second = "second-" + UUID.randomUUID() + "@example.com";
    token = ok("createInvite", api.post("/v1/invites", key, new JsonObject().put("email", second).put("role", "viewer")))
        .json().getString("token");
    String secondId = ok("acceptInvite", api.post("/v1/invites/accept", null, new JsonObject().put("token", token)
        .put("email", second).put("password", "second password"))).json().getString("user_id");
    ok("listMembers", api.get("/v1/members", key));
    ok("updateMember", api.patch("/v1/members/" + firstId, key, new JsonObject().put("role", "admin")
        .put("workspaces", new JsonArray())));
    ok("removeMember", api.delete("/v1/members/" + secondId, key));

    String keyId = ok("createApiKey", api.post("/v1/api-keys", key, new JsonObject().put("name", "deploy")
        .put("expires_in_days", 30))).json().getString("id");
    ok("rotateApiKey", api.post("/v1/api-keys/" + keyId + "/rotate", key, new JsonObject().put("overlap_seconds", 60)));
    ok("listAuditLog", api.get("/v1/audit-log?limit=2&action=member.removed", key));
    ok("exportAuditLog", api.get("/v1/audit-log/export", key));

    String session = ok("createToken", api.send("POST", "/v1/auth/token", Map.of("X-Engram-Tenant", slug),
        new JsonObject().put("email", ownerEmail).put("password", "correct horse").encode(), "application/json"))
        .json().getString("access_token");
    ok("getMe", api.get("/v1/me", session));
    session = ok("changePassword", api.post("/v1/me/password", session, new JsonObject()
        .put("current_password", "correct horse").put("new_password", "battery staple"))).json().getString("access_token");
    ok("transferOwnership", api.post("/v1/tenant/transfer", session, new JsonObject().put("user_id", firstId)));
    String newOwner = api.signIn(first, "first password", tenantId);
    ok("deleteTenant", api.send("DELETE", "/v1/tenant", newOwner, new JsonObject().put("confirm", slug).encode()));
  }

  private static Api.Response ok(String operationId, Api.Response r) {
    assertTrue(r.status() >= 200 && r.status() < 300, () -> operationId + " → " + r.status() + " " + r.body());
    documented.check(operationId, r, operationId);
    answered2xx.add(operationId);
    return r;
  }
}
