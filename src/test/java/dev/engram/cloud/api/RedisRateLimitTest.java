package dev.engram.cloud.api;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.TestPostgres;
import dev.engram.cloud.testing.TestRedis;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rate limits kept in a real Redis, through the HTTP API: one server, then two servers on one Redis and one
 * PostgreSQL control plane sharing one limit.
 */
@Timeout(120)
class RedisRateLimitTest {

  static JsonObject overrides;
  static TestServer server;
  static Api api;

  @BeforeAll
  static void start() {
    // The free plan's limits refill so slowly that the test sees them as fixed budgets; the defaults (public
    // routes) stay generous so sign-ups are not limited.
    overrides = ConfigLoader.deepMerge(TestServer.withRedis(TestRedis.get().url()), new JsonObject()
        .put("rate_limits", new JsonObject().put("plans", new JsonObject().put("free", new JsonObject()
            .put("key_per_second", 0.001).put("key_burst", 5).put("tenant_per_second", 0.001).put("tenant_burst", 8)))));
    server = TestServer.start(overrides);
    api = server.api();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static long redisExists(String key) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Redis client = Redis.createClient(vertx, TestRedis.get().url());
      return client.send(Request.cmd(Command.EXISTS).arg(key)).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS).toLong();
    } finally {
      vertx.close();
    }
  }

  @Test
  void a_key_over_its_plan_budget_gets_429_with_headers_and_the_count_lives_in_redis() throws Exception {
    Account account = api.signup();
    for (int i = 5; i >= 1; i--) {
      Api.Response ok = api.get("/v1/memories", account.apiKey());
      assertEquals(200, ok.status());
      assertEquals("5", ok.header("RateLimit-Limit"));
      assertEquals(Integer.toString(i - 1), ok.header("RateLimit-Remaining"));
      assertTrue(Long.parseLong(ok.header("RateLimit-Reset")) >= 1);
    }
    Api.Response limited = api.post("/v1/memories", account.apiKey(), new JsonObject().put("content", "over"));
    assertEquals(429, limited.status());
    assertEquals("rate_limited", limited.json().getString("code"));
    assertEquals("0", limited.header("RateLimit-Remaining"));
    assertTrue(Long.parseLong(limited.header("Retry-After")) >= 1);
    String prefix = server.config().quota().redis().keyPrefix();
    assertEquals(1, redisExists(prefix + "{" + account.tenantId() + "}:t"), "the tenant's limit is kept in redis");
    assertEquals(1.0, server.metric("engram_ratelimit_redis_up"));
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
    Api.Response limited = api.get("/v1/stats", second);
    assertEquals(429, limited.status());
    assertEquals("8", limited.header("RateLimit-Limit"), "refused by the tenant's limit");
    assertEquals(200, api.get("/v1/stats", api.signup().apiKey()).status(), "other tenants are not affected");
  }

  @Test
  void two_servers_on_one_redis_and_one_postgres_share_one_limit() {
    // Two fully separate servers (own ports, own data directories) as in production: the control plane in one
    // PostgreSQL database makes a key minted on one valid on the other, and Redis holds the one limit.
    JsonObject shared = ConfigLoader.deepMerge(overrides, TestServer.withPostgres(TestPostgres.newDatabase()));
    TestServer first = TestServer.start(shared);
    TestServer second = TestServer.start(shared);
    try {
      assertNotEquals(first.dataDir(), second.dataDir());
      assertNotEquals(first.config().port(), second.config().port());
      Account account = first.api().signup();
      Api[] servers = {first.api(), second.api()};
      for (int i = 0; i < 5; i++) {
        Api.Response ok = servers[i % 2].get("/v1/stats", account.apiKey());
        assertEquals(200, ok.status(), "request " + i);
        assertEquals(Integer.toString(4 - i), ok.header("RateLimit-Remaining"), "each server sees the other's requests");
      }
      assertEquals(429, first.api().get("/v1/stats", account.apiKey()).status());
      Api.Response limited = second.api().get("/v1/stats", account.apiKey());
      assertEquals(429, limited.status());
      assertNotNull(limited.header("Retry-After"));
    } finally {
      second.close();
      first.close();
    }
  }
}
