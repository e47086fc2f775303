package dev.engram.cloud.api;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.LoopbackClient;
import dev.engram.cloud.testing.TestIssuer;
import dev.engram.cloud.testing.TestIssuer.Alg;
import dev.engram.cloud.testing.TestIssuer.SigningKey;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sign-in and sign-up have limits of their own, far below the API's: per client address, per account (the email,
 * whether or not it has an account), and a backoff per account that doubles with each failure. Several clients are
 * played from 127.0.0.1, 127.0.0.2, … (all loopback on Linux).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SignInThrottleTest {

  private static final long NEVER = 1_000_000;

  private static JsonObject limit(double burst, double refillSeconds) {
    return new JsonObject().put("burst", burst).put("refill_seconds", refillSeconds);
  }

  private static TestServer server(JsonObject throttle) {
    return TestServer.start(new JsonObject().put("auth", new JsonObject().put("throttle", throttle)));
  }

  private static JsonObject login(String email, String password) {
    return new JsonObject().put("email", email).put("password", password);
  }

  private static String unknownEmail() {
    return "nobody-" + UUID.randomUUID() + "@example.com";
  }

  private static void assertRefused(Api.Response r) {
    assertEquals(429, r.status(), r.body());
    assertTrue(r.header("Content-Type").startsWith("application/problem+json"), r.header("Content-Type"));
    assertEquals("rate_limited", r.json().getString("code"));
    assertNotNull(r.header("Retry-After"), "429 says when to retry");
    assertTrue(Long.parseLong(r.header("Retry-After")) >= 1);
  }

  @Test
  void sign_in_attempts_from_one_address_are_limited_whatever_account_they_name() {
    try (TestServer server = server(new JsonObject().put("sign_in_per_address", limit(3, NEVER)))) {
      LoopbackClient first = new LoopbackClient(server.config().port(), "127.0.0.1");
      for (int i = 0; i < 3; i++) {
        assertEquals(401, first.post("/v1/auth/token", login(unknownEmail(), "guess-guess")).status());
      }
      assertRefused(first.post("/v1/auth/token", login(unknownEmail(), "guess-guess")));

      LoopbackClient second = new LoopbackClient(server.config().port(), "127.0.0.2");
      assertEquals(401, second.post("/v1/auth/token", login(unknownEmail(), "guess-guess")).status(),
          "another address has its own budget");
      server.api().signup(); // 201 from the first address too: sign-up has a budget of its own
    }
  }

  @Test
  void behind_a_trusted_proxy_the_forwarded_address_is_limited_and_other_peers_cannot_forge_one() {
    try (TestServer server = TestServer.start(new JsonObject()
        .put("http", new JsonObject().put("trusted_proxies", new JsonArray().add("127.0.0.1/32")))
        .put("auth", new JsonObject().put("throttle", new JsonObject().put("sign_in_per_address", limit(2, NEVER)))))) {
      LoopbackClient proxy = new LoopbackClient(server.config().port(), "127.0.0.1");
      for (String client : List.of("203.0.113.1", "203.0.113.2")) {
        Map<String, String> forwarded = Map.of("X-Forwarded-For", "198.51.100.99, " + client);
        assertEquals(401, proxy.post("/v1/auth/token", login(unknownEmail(), "guess"), forwarded).status());
        assertEquals(401, proxy.post("/v1/auth/token", login(unknownEmail(), "guess"), forwarded).status());
        assertRefused(proxy.post("/v1/auth/token", login(unknownEmail(), "guess"), forwarded));
      }

      LoopbackClient direct = new LoopbackClient(server.config().port(), "127.0.0.2");
      for (int i = 0; i < 2; i++) {
        assertEquals(401, direct.post("/v1/auth/token", login(unknownEmail(), "guess"),
            Map.of("X-Forwarded-For", "192.0.2." + i)).status());
      }
      assertRefused(direct.post("/v1/auth/token", login(unknownEmail(), "guess"),
          Map.of("X-Forwarded-For", "192.0.2.99")));
    }
  }

  @Test
  void guesses_at_one_account_from_several_addresses_share_the_accounts_limit() {
    try (TestServer server = server(new JsonObject().put("sign_in_per_address", limit(5, NEVER))
        .put("sign_in_per_account", limit(8, NEVER)))) {
      Account victim = server.api().signup();
      List<LoopbackClient> clients = new ArrayList<>();
      for (int i = 1; i <= 4; i++) clients.add(new LoopbackClient(server.config().port(), "127.0.0." + i));

      List<Integer> statuses = new ArrayList<>();
      for (int round = 0; round < 3; round++) {
        for (LoopbackClient client : clients) {
          Api.Response r = client.post("/v1/auth/token", login(victim.email(), "guess-" + round));
          statuses.add(r.status());
          if (r.status() == 429) assertRefused(r);
        }
      }
      assertEquals(List.of(401, 401, 401, 401, 401, 401, 401, 401, 429, 429, 429, 429), statuses,
          "8 guesses at the account, whichever addresses they came from");
      assertEquals(401, clients.get(0).post("/v1/auth/token", login(unknownEmail(), "guess")).status(),
          "other accounts are not limited by it, and each address is still within its own budget");
    }
  }

  @Test
  void failures_back_off_exponentially_the_same_for_unknown_emails_and_a_success_resets() {
    try (TestServer server = server(new JsonObject().put("backoff", new JsonObject()
        .put("free_failures", 2).put("base_seconds", 1).put("max_seconds", 4).put("forget_seconds", 3600)))) {
      Api api = server.api();
      Account account = api.signup();
      String unknown = unknownEmail();
      for (String email : List.of(account.email(), unknown)) {
        assertEquals(401, api.post("/v1/auth/token", null, login(email, "wrong-1")).status());
        assertEquals(401, api.post("/v1/auth/token", null, login(email, "wrong-2")).status(), "two free failures");
        assertEquals(401, api.post("/v1/auth/token", null, login(email, "wrong-3")).status());
        Api.Response locked = api.post("/v1/auth/token", null, login(email, "wrong-4"));
        assertRefused(locked);
        assertEquals("1", locked.header("Retry-After"), "the third failure locks for the base delay");
        waitUntilAdmitted(api, email);
        Api.Response longer = api.post("/v1/auth/token", null, login(email, "wrong-5"));
        assertRefused(longer);
        assertEquals("2", longer.header("Retry-After"), "each further failure doubles the delay");
      }

      Eventually.until(Duration.ofSeconds(10), "the owner gets in once the delay is over", () ->
          api.post("/v1/auth/token", null, login(account.email(), account.password())).status() == 200);
      assertEquals(401, api.post("/v1/auth/token", null, login(account.email(), "wrong-again")).status(),
          "a success forgets the failures");
      assertEquals(401, api.post("/v1/auth/token", null, login(account.email(), "wrong-again")).status());
    }
  }

  /** Polls with a wrong password until the lock is over: a refused attempt is not a failure and does not extend it. */
  private static void waitUntilAdmitted(Api api, String email) {
    Eventually.until(Duration.ofSeconds(5), "the lock of " + email + " ends", () -> {
      Api.Response r = api.post("/v1/auth/token", null, login(email, "still-wrong"));
      assertTrue(r.status() == 401 || r.status() == 429, r.body());
      return r.status() == 401;
    });
  }

  @Test
  void sign_ups_with_one_external_identity_are_limited_per_identity() {
    try (TestIssuer issuer = TestIssuer.start()) {
      SigningKey key = issuer.publish(TestIssuer.newKey(Alg.EdDSA, "throttle-key"));
      JsonObject config = ConfigLoader.deepMerge(issuer.serverConfig(), new JsonObject().put("auth", new JsonObject()
          .put("throttle", new JsonObject().put("sign_up_per_account", limit(2, NEVER)))));
      try (TestServer server = TestServer.start(config)) {
        String token = TestIssuer.sign(key, issuer.claims("throttled-subject"));
        JsonObject body = new JsonObject().put("tenant_name", "Token tenant");
        List<Integer> statuses = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
          LoopbackClient client = new LoopbackClient(server.config().port(), "127.0.0." + i);
          Api.Response r = client.post("/v1/signup", body, Map.of("Authorization", "Bearer " + token));
          statuses.add(r.status());
          if (r.status() == 429) assertRefused(r);
        }
        assertEquals(List.of(201, 409, 429), statuses, "two sign-ups with one identity, whatever the address");
        String other = TestIssuer.sign(key, issuer.claims("another-subject"));
        assertEquals(201, server.api().post("/v1/signup", other, body).status(), "other identities have their own");
      }
    }
  }

  @Test
  void a_flood_of_sign_ups_from_one_address_stops_at_the_shipped_burst() {
    double burst = ConfigLoader.defaults().getJsonObject("auth").getJsonObject("throttle")
        .getJsonObject("sign_up_per_address").getDouble("burst");
    try (TestServer server = TestServer.start(TestServer.shippedThrottles())) {
      int created = 0;
      Api.Response last = null;
      for (int i = 0; i < 150; i++) {
        last = server.api().post("/v1/signup", null, new JsonObject().put("email", "flood-" + i + "@example.com")
            .put("password", "correct horse battery").put("tenant_name", "Flood " + i));
        if (last.status() == 201) created++;
        else assertRefused(last);
      }
      assertEquals((int) burst, created, "150 sign-ups from one address make only the burst's tenants");
      assertTrue(Long.parseLong(last.header("Retry-After")) > 60, "and the next one is minutes away");
    }
  }

  @Test
  void sign_ups_naming_one_email_are_limited_per_email_whether_or_not_it_has_an_account() {
    try (TestServer server = server(new JsonObject().put("sign_up_per_account", limit(2, NEVER)))) {
      String taken = server.api().signup().email();
      String fresh = "fresh-" + UUID.randomUUID() + "@example.com";
      List<Integer> takenStatuses = new ArrayList<>();
      List<Integer> freshStatuses = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        LoopbackClient client = new LoopbackClient(server.config().port(), "127.0.0." + (i + 1));
        takenStatuses.add(client.post("/v1/signup", new JsonObject().put("email", taken)
            .put("password", "another password").put("tenant_name", "T")).status());
        freshStatuses.add(client.post("/v1/signup", new JsonObject().put("email", fresh.toUpperCase())
            .put("password", "another password").put("tenant_name", "T")).status());
      }
      assertEquals(List.of(409, 429, 429), takenStatuses, "the first sign-up of the taken email used one attempt");
      assertEquals(List.of(201, 409, 429), freshStatuses, "emails compare ignoring case");
    }
  }
}
