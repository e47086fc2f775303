package dev.engram.cloud.api;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Eventually;
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
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Redis goes away during a test and comes back: requests are served throughout, and Redis is used again. */
@Timeout(120)
class RedisOutageTest {

  static TestServer server;
  static ListAppender<ILoggingEvent> log = new ListAppender<>();
  static Logger limiterLog = (Logger) LoggerFactory.getLogger("dev.engram.cloud.quota.RedisLimiter");

  @BeforeAll
  static void start() {
    log.start();
    limiterLog.addAppender(log);
    // Budgets the test never exhausts, refilled slowly enough that a request's state stays in Redis for minutes.
    server = TestServer.start(ConfigLoader.deepMerge(TestServer.withRedis(TestRedis.get().url()),
        new JsonObject().put("rate_limits", new JsonObject().put("key_per_second", 0.01).put("key_burst", 1000)
            .put("tenant_per_second", 0.01).put("tenant_burst", 1000))));
  }

  @AfterAll
  static void stop() {
    limiterLog.detachAppender(log);
    TestRedis.get().start();
    server.close();
  }

  private static long lines(String containing) {
    return log.list.stream().filter(e -> e.getFormattedMessage().contains(containing)).count();
  }

  private static long redis(Request request) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      return Redis.createClient(vertx, TestRedis.get().url()).send(request).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS).toLong();
    } finally {
      vertx.close();
    }
  }

  @Test
  void requests_are_served_while_redis_is_down_and_redis_is_used_again_when_it_returns() throws Exception {
    Api api = server.api();
    Account account = api.signup();
    String tenantKey = server.config().quota().redis().keyPrefix() + "{" + account.tenantId() + "}:t";
    assertEquals(200, api.get("/v1/stats", account.apiKey()).status());
    assertEquals(1.0, server.metric("engram_ratelimit_redis_up"));
    assertEquals(0.0, server.metric("engram_ratelimit_fallback_total"));

    TestRedis.get().stop();
    for (int i = 0; i < 10; i++) {
      Api.Response r = api.get("/v1/stats", account.apiKey());
      assertEquals(200, r.status(), "served by the in-process limiter while redis is down");
      assertNotNull(r.header("RateLimit-Limit"));
    }
    assertEquals(0.0, server.metric("engram_ratelimit_redis_up"));
    assertEquals(10.0, server.metric("engram_ratelimit_fallback_total"));
    assertEquals(1, lines("is unavailable"), "one log line for going down, however many requests fell back");

    TestRedis.get().start();
    Eventually.until(Duration.ofSeconds(20), "the server uses redis again",
        () -> server.metric("engram_ratelimit_redis_up") == 1.0);
    redis(Request.cmd(Command.DEL).arg(tenantKey));
    assertEquals(200, api.get("/v1/stats", account.apiKey()).status());
    assertEquals(1, redis(Request.cmd(Command.EXISTS).arg(tenantKey)), "the request was limited in redis");
    assertEquals(10.0, server.metric("engram_ratelimit_fallback_total"), "no more fallbacks");
    assertEquals(1, lines("answers again"), "one log line for coming back");
    assertTrue(lines("is unavailable") == 1);
  }
}
