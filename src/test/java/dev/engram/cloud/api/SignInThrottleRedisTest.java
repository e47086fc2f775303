package dev.engram.cloud.api;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.TestRedis;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With {@code REDIS_URL} set, the sign-in limits and the backoff hold across nodes: guesses spread over two servers
 * count once. The servers keep separate control planes; the guesses name an email neither knows, which the limits
 * treat exactly like a real account.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SignInThrottleRedisTest {

  private static JsonObject login(String email) {
    return new JsonObject().put("email", email).put("password", "guess-guess");
  }

  /** Two servers on the test Redis, sharing one key prefix, with these sign-in throttles. */
  private static TestServer[] twoNodes(JsonObject throttle) {
    JsonObject shared = ConfigLoader.deepMerge(TestServer.withRedis(TestRedis.get().url()),
        new JsonObject().put("auth", new JsonObject().put("throttle", throttle)));
    return new TestServer[] {TestServer.start(shared), TestServer.start(shared)};
  }

  @Test
  void two_servers_on_one_redis_share_the_accounts_limit() {
    TestServer[] nodes = twoNodes(new JsonObject()
        .put("sign_in_per_account", new JsonObject().put("burst", 4).put("refill_seconds", 1_000_000)));
    try {
      String guessed = "guessed-" + UUID.randomUUID() + "@example.com";
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        statuses.add(nodes[i % 2].api().post("/v1/auth/token", null, login(guessed)).status());
      }
      assertEquals(List.of(401, 401, 401, 401, 429, 429), statuses, "4 attempts in all, not 4 per node");
    } finally {
      nodes[1].close();
      nodes[0].close();
    }
  }

  @Test
  void two_servers_on_one_redis_share_the_backoff() {
    TestServer[] nodes = twoNodes(new JsonObject().put("backoff", new JsonObject()
        .put("free_failures", 1).put("base_seconds", 30).put("max_seconds", 60).put("forget_seconds", 3600)));
    try {
      String locked = "locked-" + UUID.randomUUID() + "@example.com";
      assertEquals(401, nodes[0].api().post("/v1/auth/token", null, login(locked)).status());
      assertEquals(401, nodes[0].api().post("/v1/auth/token", null, login(locked)).status());
      Api.Response refused = nodes[1].api().post("/v1/auth/token", null, login(locked));
      assertEquals(429, refused.status(), "the second failure, on the first node, locks the account on both");
      assertTrue(Long.parseLong(refused.header("Retry-After")) > 20, refused.header("Retry-After"));
    } finally {
      nodes[1].close();
      nodes[0].close();
    }
  }
}
