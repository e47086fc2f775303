package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RateLimitTest {

  static TestServer server;
  static Api api;

  @BeforeAll
  static void start() {
    // Buckets that refill so slowly that the test sees them as fixed budgets.
    server = TestServer.start(new JsonObject().put("rate_limits", new JsonObject()
        .put("key_per_second", 0.001).put("key_burst", 5)
        .put("tenant_per_second", 0.001).put("tenant_burst", 8)));
    api = server.api();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void a_key_over_its_budget_gets_429_with_headers_and_nothing_is_written() {
    Account account = api.signup();
    for (int i = 5; i >= 1; i--) {
      Api.Response ok = api.get("/v1/memories", account.apiKey());
      assertEquals(200, ok.status());
      assertEquals("5", ok.header("RateLimit-Limit"));
      assertEquals(Integer.toString(i - 1), ok.header("RateLimit-Remaining"));
    }
    Api.Response limited = api.post("/v1/memories", account.apiKey(), new JsonObject().put("content", "over"));
    assertEquals(429, limited.status());
    assertEquals("rate_limited", limited.json().getString("code"));
    assertTrue(limited.header("Content-Type").startsWith("application/problem+json"));
    assertNotNull(limited.header("Retry-After"));
    assertTrue(Long.parseLong(limited.header("Retry-After")) >= 1);
    assertEquals("0", limited.header("RateLimit-Remaining"));
    assertNotNull(limited.header("RateLimit-Reset"));
  }

  @Test
  void the_tenant_budget_caps_all_its_keys_together() {
    Account account = api.signup();
    String token = api.post("/v1/auth/token", null, new JsonObject().put("email", account.email())
        .put("password", account.password())).json().getString("access_token");
    String second = api.post("/v1/api-keys", token, new JsonObject().put("name", "second")).json().getString("key");
    // tenant budget 8: 1 used to mint the key; 5 by the first key; 2 left for the second key.
    for (int i = 0; i < 5; i++) assertEquals(200, api.get("/v1/stats", account.apiKey()).status());
    assertEquals(200, api.get("/v1/stats", second).status());
    assertEquals(200, api.get("/v1/stats", second).status());
    assertEquals(429, api.get("/v1/stats", second).status());
    Account other = api.signup();
    assertEquals(200, api.get("/v1/stats", other.apiKey()).status(), "other tenants are not affected");
  }

  @Test
  void sign_in_attempts_from_one_client_are_limited_too() {
    // Sign-in has a per-address limit of its own (auth.throttle), far below the API's (SignInThrottleTest).
    TestServer strict = TestServer.start(new JsonObject().put("auth", new JsonObject().put("throttle",
        new JsonObject().put("sign_in_per_address", new JsonObject().put("burst", 2).put("refill_seconds", 1000)))));
    try {
      Account account = strict.api().signup();
      JsonObject guess = new JsonObject().put("email", account.email()).put("password", "guess-guess");
      assertEquals(401, strict.api().post("/v1/auth/token", null, guess).status());
      assertEquals(401, strict.api().post("/v1/auth/token", null, guess).status());
      Api.Response limited = strict.api().post("/v1/auth/token", null, guess);
      assertEquals(429, limited.status(), "the third sign-in from this address is refused");
      assertNotNull(limited.header("Retry-After"));
    } finally {
      strict.close();
    }
  }
}
