package dev.engram.cloud.auth;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.TestIssuer;
import dev.engram.cloud.testing.TestIssuer.Alg;
import dev.engram.cloud.testing.TestIssuer.SigningKey;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the server keeps the external issuer's keys: rotation, refetch limits, an issuer that is down. */
@Timeout(60)
class ExternalJwtKeysTest {

  @Test
  void a_rotated_key_is_fetched_once_and_a_flood_of_unknown_kids_fetches_nothing_more() {
    try (TestIssuer issuer = TestIssuer.start()) {
      SigningKey first = issuer.publish(TestIssuer.newKey(Alg.EdDSA, "key-2026-01"));
      try (TestServer server = TestServer.start(issuer.serverConfig().mergeIn(TestServer.withoutRateLimits()))) {
        Api api = server.api();
        String token = TestIssuer.sign(first, issuer.claims("rotating-user"));
        assertEquals(201, api.post("/v1/signup", token, new JsonObject().put("tenant_name", "Rotation")).status());
        assertEquals(1, issuer.jwksRequests(), "keys fetched on first use");

        SigningKey next = issuer.publish(TestIssuer.newKey(Alg.ES256, "key-2026-02"));
        Api.Response rotated = api.get("/v1/stats", TestIssuer.sign(next, issuer.claims("rotating-user")));
        assertEquals(200, rotated.status(), rotated.body());
        assertEquals(2, issuer.jwksRequests(), "the new kid made the server refetch");

        SigningKey rogue = TestIssuer.newKey(Alg.EdDSA, "unused");
        for (int i = 0; i < 50; i++) {
          SigningKey forged = new SigningKey("forged-" + i, rogue.alg(), rogue.pair());
          Api.Response r = api.get("/v1/stats", TestIssuer.sign(forged, issuer.claims("rotating-user")));
          assertEquals(401, r.status(), r.body());
        }
        assertEquals(2, issuer.jwksRequests(), "at most one refetch per jwks_min_refetch_seconds (30 s)");

        Api.Response old = api.get("/v1/stats", TestIssuer.sign(first, issuer.claims("rotating-user").put("jti", "x")));
        assertEquals(200, old.status(), "both published keys stay valid: " + old.body());
      }
    }
  }

  @Test
  void an_unreachable_issuer_is_a_503_not_an_open_door() throws Exception {
    int closedPort = TestServer.freePort();
    JsonObject config = new JsonObject().put("auth", new JsonObject().put("external", new JsonObject()
        .put("jwks_url", "http://127.0.0.1:" + closedPort + "/jwks.json")
        .put("issuer", "https://down.example.com").put("audience", TestIssuer.AUDIENCE)
        .put("jwks_timeout_ms", 2000)));
    try (TestServer server = TestServer.start(config.mergeIn(TestServer.withoutRateLimits()))) {
      SigningKey key = TestIssuer.newKey(Alg.EdDSA, "k");
      long now = System.currentTimeMillis() / 1000;
      String token = TestIssuer.sign(key, new JsonObject().put("iss", "https://down.example.com")
          .put("aud", TestIssuer.AUDIENCE).put("sub", "u").put("exp", now + 300));
      Api.Response r = server.api().get("/v1/memories", token);
      assertEquals(503, r.status(), r.body());
      assertEquals("issuer_unavailable", r.json().getString("code"));
      assertTrue(r.header("Content-Type").startsWith("application/problem+json"));
      // Built-in accounts do not depend on the external issuer.
      Api.Account account = server.api().signup();
      assertEquals(200, server.api().get("/v1/stats", account.apiKey()).status());
    }
  }

  @Test
  void without_an_external_issuer_a_token_signup_is_refused() {
    try (TestServer server = TestServer.start(TestServer.withoutRateLimits())) {
      SigningKey key = TestIssuer.newKey(Alg.EdDSA, "k");
      long now = System.currentTimeMillis() / 1000;
      String token = TestIssuer.sign(key, new JsonObject().put("iss", "https://auth.example.com")
          .put("aud", TestIssuer.AUDIENCE).put("sub", "u").put("exp", now + 300));
      Api.Response r = server.api().post("/v1/signup", token, new JsonObject().put("tenant_name", "x"));
      assertEquals(400, r.status(), r.body());
      assertEquals("external_auth_disabled", r.json().getString("code"));
      assertEquals(401, server.api().get("/v1/memories", token).status());
    }
  }
}
