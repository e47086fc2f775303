package dev.engram.cloud.api;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.TestIssuer;
import dev.engram.cloud.testing.TestIssuer.Alg;
import dev.engram.cloud.testing.TestIssuer.SigningKey;
import dev.engram.cloud.testing.TestPostgres;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The whole account life cycle through HTTP with the control plane in PostgreSQL (DATABASE_URL mode), including
 * sign-up with an external issuer's token and plan caps.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresControlPlaneApiTest {

  @Test
  void signup_keys_memories_usage_and_revocation_live_in_postgres() {
    TestPostgres.Database db = TestPostgres.newDatabase();
    String adminKey;
    String key;
    String revokedKey;
    try (TestServer server = TestServer.start(TestServer.withPostgres(db))) {
      Api api = server.api();
      Account account = api.signup();
      adminKey = account.apiKey();
      assertEquals(409, api.post("/v1/signup", null, new JsonObject().put("email", account.email().toUpperCase())
          .put("password", "another password").put("tenant_name", "dup")).status());
      assertEquals(200, api.post("/v1/auth/token", null, new JsonObject().put("email", account.email())
          .put("password", account.password())).status(), "sign-in finds the user through the definer function");

      JsonObject created = api.post("/v1/api-keys", account.apiKey(), new JsonObject().put("name", "agent")
          .put("scopes", new JsonArray().add("memories:read").add("memories:write"))).json();
      key = created.getString("key");
      for (int i = 0; i < 3; i++) api.createMemory(key, new JsonObject().put("content", "postgres note " + i));
      assertEquals(200, api.post("/v1/search", key, new JsonObject().put("query", "postgres")).status());
      assertEquals(3, api.get("/v1/stats", key).json().getLong("total_memories"));
      assertEquals(2, api.get("/v1/api-keys", account.apiKey()).json().getJsonArray("data").size());

      JsonObject totals = api.get("/v1/usage", account.apiKey()).json().getJsonObject("totals");
      assertEquals(3, totals.getLong("memories_created"));
      assertEquals(1, totals.getLong("searches"));

      JsonObject temp = api.post("/v1/api-keys", account.apiKey(), new JsonObject().put("name", "temp")).json();
      revokedKey = temp.getString("key");
      assertEquals(200, api.get("/v1/stats", revokedKey).status());
      assertEquals(204, api.delete("/v1/api-keys/" + temp.getString("id"), account.apiKey()).status());
      assertEquals(401, api.get("/v1/stats", revokedKey).status());
      assertEquals(404, api.delete("/v1/api-keys/" + temp.getString("id"), account.apiKey()).status());
      Account other = api.signup();
      assertEquals(404, api.delete("/v1/api-keys/" + created.getString("id"), other.apiKey()).status(),
          "another tenant cannot revoke it");
      assertEquals(200, api.get("/v1/stats", key).status());
    }

    // A second server with an empty data directory but the same database: keys, revocations and the flushed
    // usage all come from PostgreSQL.
    try (TestServer second = TestServer.start(TestServer.withPostgres(db))) {
      Api api = second.api();
      assertEquals(200, api.get("/v1/memories", key).status());
      assertEquals(401, api.get("/v1/memories", revokedKey).status());
      assertEquals(3, api.get("/v1/usage", adminKey).json().getJsonObject("totals").getLong("memories_created"));
    }
  }

  @Test
  void an_external_token_signs_up_once_and_its_tenant_meets_its_plan_cap_until_the_plan_changes() {
    JsonObject plans = new JsonObject()
        .put("free", new JsonObject().put("memories", 2))
        .put("pro", new JsonObject().put("memories", 3));
    try (TestIssuer issuer = TestIssuer.start()) {
      SigningKey key = issuer.publish(TestIssuer.newKey(Alg.EdDSA, "pg-key"));
      JsonObject config = ConfigLoader.deepMerge(TestServer.withPostgres(), issuer.serverConfig());
      config = ConfigLoader.deepMerge(config, TestServer.withoutRateLimits().put("plans", plans));
      try (TestServer server = TestServer.start(config)) {
        Api api = server.api();
        String token = TestIssuer.sign(key, issuer.claims("pg-subject"));
        assertEquals(401, api.get("/v1/memories", token).status(), "a subject never linked has no tenant");

        Api.Response created = api.post("/v1/signup", token, new JsonObject().put("tenant_name", "Token tenant"));
        assertEquals(201, created.status(), created.body());
        String tenantId = created.json().getString("tenant_id");
        Api.Response again = api.post("/v1/signup", token, new JsonObject().put("tenant_name", "Again"));
        assertEquals(409, again.status());
        assertEquals("identity_taken", again.json().getString("code"));

        api.createMemory(token, new JsonObject().put("content", "first"));
        api.createMemory(token, new JsonObject().put("content", "second"));
        Api.Response capped = api.post("/v1/memories", token, new JsonObject().put("content", "third"));
        assertEquals(402, capped.status(), capped.body());
        assertEquals("memories", capped.json().getString("cap"));
        assertEquals(2, capped.json().getLong("limit"));
        assertEquals("free", capped.json().getString("plan"));
        assertEquals(2, api.get("/v1/stats", token).json().getLong("total_memories"), "nothing written");

        server.setTenantPlan(tenantId, "pro");
        assertEquals(201, api.post("/v1/memories", token, new JsonObject().put("content", "third")).status());
        Api.Response proCap = api.post("/v1/memories", token, new JsonObject().put("content", "fourth"));
        assertEquals(402, proCap.status());
        assertEquals("pro", proCap.json().getString("plan"));
      }
    }
  }

  @Test
  void readiness_follows_the_database() throws Exception {
    TestPostgres.Database db = TestPostgres.newDatabase();
    try (TestServer server = TestServer.start(TestServer.withPostgres(db))) {
      Api api = server.api();
      assertEquals(200, api.get("/health/ready", null).status());

      try (Connection owner = TestPostgres.jdbc(db.ownerUrl()); Statement s = owner.createStatement()) {
        // The server's role may no longer connect, and its open connections are cut.
        try (Connection app = TestPostgres.jdbc(db.appUrl()); Statement a = app.createStatement()) {
          s.execute("REVOKE CONNECT ON DATABASE " + db.name() + " FROM " + TestPostgres.APP_ROLE);
          a.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
              + " WHERE usename = current_user AND datname = current_database() AND pid <> pg_backend_pid()");
        }
        Eventually.until(Duration.ofSeconds(20), "ready turns 503",
            () -> api.get("/health/ready", null).status() == 503);
        assertEquals(200, api.get("/health/live", null).status(), "alive all the same");

        s.execute("GRANT CONNECT ON DATABASE " + db.name() + " TO " + TestPostgres.APP_ROLE);
        Eventually.until(Duration.ofSeconds(20), "ready again", () -> api.get("/health/ready", null).status() == 200);
      }
    }
  }
}
