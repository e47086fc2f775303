package dev.engram.cloud.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sign-in and sign-up settings an operator writes: the shipped values, the backoff they give, bad values. */
class AuthThrottleConfigTest {

  private static EngramConfig with(JsonObject overrides) {
    return EngramConfig.fromJson(ConfigLoader.deepMerge(ConfigLoader.defaults(), overrides));
  }

  @Test
  void the_shipped_backoff_doubles_after_five_free_failures_up_to_fifteen_minutes() {
    EngramConfig.Auth auth = with(new JsonObject()).auth();
    EngramConfig.Backoff backoff = auth.throttle().backoff();
    assertEquals(Duration.ZERO, backoff.lockAfter(5));
    assertEquals(Duration.ofSeconds(1), backoff.lockAfter(6));
    assertEquals(Duration.ofSeconds(2), backoff.lockAfter(7));
    assertEquals(Duration.ofSeconds(512), backoff.lockAfter(15));
    assertEquals(Duration.ofSeconds(900), backoff.lockAfter(16));
    assertEquals(Duration.ofSeconds(900), backoff.lockAfter(Long.MAX_VALUE), "no overflow however many failures");
    assertEquals(100, auth.maxActiveApiKeys());
    assertTrue(auth.passwordHashing().threads() >= 1, "0 means half the cores, at least one");
    assertEquals(List.of(), with(new JsonObject()).http().trustedProxies());
  }

  @Test
  void nonsensical_values_fail_at_start() {
    List<JsonObject> bad = List.of(
        auth(new JsonObject().put("max_active_api_keys", 0)),
        auth(new JsonObject().put("password_hashing", new JsonObject().put("queue", -1))),
        auth(throttle(new JsonObject().put("sign_in_per_address", new JsonObject().put("burst", 0)))),
        auth(throttle(new JsonObject().put("sign_up_per_account", new JsonObject().put("refill_seconds", 0)))),
        auth(throttle(new JsonObject().put("backoff", new JsonObject().put("base_seconds", 10).put("max_seconds", 5)))),
        new JsonObject().put("http", new JsonObject().put("trusted_proxies", new JsonArray().add(1))));
    for (JsonObject overrides : bad) {
      assertThrows(RuntimeException.class, () -> with(overrides), overrides.encode());
    }
  }

  private static JsonObject auth(JsonObject auth) {
    return new JsonObject().put("auth", auth);
  }

  private static JsonObject throttle(JsonObject throttle) {
    return new JsonObject().put("throttle", throttle);
  }
}
