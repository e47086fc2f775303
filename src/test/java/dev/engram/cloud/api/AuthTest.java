package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.RunningServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuthTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.withDefaults();
  static Api api;
  static Account account;

  @BeforeAll
  static void start() {
    api = server.api();
    account = api.signup();
  }

  private static void assertUnauthorized(Api.Response r, String code) {
    assertEquals(401, r.status(), r.body());
    assertTrue(r.header("Content-Type").startsWith("application/problem+json"));
    assertEquals(code, r.json().getString("code"));
    assertNotNull(r.header("WWW-Authenticate"));
  }

  @Test
  void missing_credentials_are_401() {
    assertUnauthorized(api.get("/v1/memories", null), "missing_credentials");
  }

  @Test
  void malformed_credentials_are_401() {
    assertUnauthorized(api.send("GET", "/v1/memories", Map.of("Authorization", "Basic abc"), null, null),
        "invalid_credentials");
    assertUnauthorized(api.get("/v1/memories", "not-a-key"), "invalid_credentials");
    // Right prefix, wrong checksum: rejected before any lookup.
    String tampered = account.apiKey().substring(0, account.apiKey().length() - 1)
        + (account.apiKey().endsWith("A") ? "B" : "A");
    assertUnauthorized(api.get("/v1/memories", tampered), "invalid_api_key");
    assertUnauthorized(api.get("/v1/memories", "a.b.c"), "invalid_token");
  }

  @Test
  void unknown_well_formed_key_is_401() {
    assertUnauthorized(api.get("/v1/memories", dev.engram.cloud.auth.ApiKeys.generate()), "invalid_api_key");
  }

  @Test
  void revoked_key_stops_working_at_once() {
    JsonObject created = api.post("/v1/api-keys", account.apiKey(), new JsonObject().put("name", "temp")).json();
    String key = created.getString("key");
    assertEquals(200, api.get("/v1/memories", key).status());
    assertEquals(204, api.delete("/v1/api-keys/" + created.getString("id"), account.apiKey()).status());
    assertUnauthorized(api.get("/v1/memories", key), "api_key_revoked");
    assertEquals(404, api.delete("/v1/api-keys/" + created.getString("id"), account.apiKey()).status(),
        "revoking twice is a 404");
  }

  @Test
  void key_listing_never_returns_secrets() {
    api.post("/v1/api-keys", account.apiKey(), new JsonObject().put("name", "listed"));
    var r = api.get("/v1/api-keys", account.apiKey());
    assertEquals(200, r.status());
    assertFalse(r.body().contains(account.apiKey()));
    for (Object o : r.json().getJsonArray("data")) {
      JsonObject k = (JsonObject) o;
      assertFalse(k.containsKey("key"));
      assertTrue(k.getString("prefix").startsWith("ek_live_"));
    }
  }

  @Test
  void wrong_scope_is_403() {
    String readOnly = api.post("/v1/api-keys", account.apiKey(), new JsonObject().put("name", "reader")
        .put("scopes", new JsonArray().add("memories:read"))).json().getString("key");
    assertEquals(200, api.get("/v1/memories", readOnly).status());
    long before = api.get("/v1/stats", account.apiKey()).json().getLong("total_memories");
    var write = api.post("/v1/memories", readOnly, new JsonObject().put("content", "nope"));
    assertEquals(403, write.status());
    assertEquals("insufficient_scope", write.json().getString("code"));
    assertEquals(403, api.get("/v1/api-keys", readOnly).status());
    assertEquals(before, api.get("/v1/stats", account.apiKey()).json().getLong("total_memories"),
        "the refused write wrote nothing");

    String writer = api.post("/v1/api-keys", account.apiKey(), new JsonObject().put("name", "writer")).json()
        .getString("key");
    assertEquals(403, api.post("/v1/api-keys", writer, new JsonObject().put("name", "escalate")).status(),
        "a non-admin key cannot mint keys");
  }

  @Test
  void x_api_key_header_works_and_both_headers_is_400() {
    assertEquals(200, api.send("GET", "/v1/stats", Map.of("X-API-Key", account.apiKey()), null, null).status());
    var both = api.send("GET", "/v1/stats",
        Map.of("X-API-Key", account.apiKey(), "Authorization", "Bearer " + account.apiKey()), null, null);
    assertEquals(400, both.status());
  }

  @Test
  void password_sign_in_gives_a_jwt_that_works_like_a_key_and_is_published_in_jwks() {
    var token = api.post("/v1/auth/token", null,
        new JsonObject().put("email", account.email()).put("password", account.password()));
    assertEquals(200, token.status(), token.body());
    assertEquals("Bearer", token.json().getString("token_type"));
    assertTrue(token.json().getInteger("expires_in") > 0);
    String jwt = token.json().getString("access_token");

    JsonObject m = api.createMemory(jwt, new JsonObject().put("content", "written with a jwt"));
    assertEquals("written with a jwt", api.get("/v1/memories/" + m.getLong("id"), account.apiKey()).json()
        .getString("content"));

    JsonObject jwks = api.get("/.well-known/jwks.json", null).json();
    JsonObject key = jwks.getJsonArray("keys").getJsonObject(0);
    assertEquals("RSA", key.getString("kty"));
    assertFalse(key.containsKey("d"), "the private exponent is never published");

    String tampered = jwt.substring(0, jwt.lastIndexOf('.') + 1) + "AAAA";
    assertUnauthorized(api.get("/v1/stats", tampered), "invalid_token");
  }

  @Test
  void wrong_password_and_unknown_email_are_the_same_401() {
    var wrong = api.post("/v1/auth/token", null,
        new JsonObject().put("email", account.email()).put("password", "wrong password"));
    var unknown = api.post("/v1/auth/token", null,
        new JsonObject().put("email", "nobody@example.com").put("password", "whatever1"));
    assertEquals(401, wrong.status());
    assertEquals(401, unknown.status());
    assertEquals(wrong.json().getString("detail"), unknown.json().getString("detail"));
  }

  @Test
  void duplicate_email_is_409() {
    var r = api.post("/v1/signup", null, new JsonObject().put("email", account.email().toUpperCase())
        .put("password", "another password").put("tenant_name", "dup"));
    assertEquals(409, r.status());
    assertEquals("email_taken", r.json().getString("code"));
  }
}
