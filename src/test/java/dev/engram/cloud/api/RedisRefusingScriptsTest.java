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

/**
 * A Redis that answers PING but refuses to run the rate-limit script (here: out of memory, writes refused): the
 * limiter calls it down once, keeps it down while the script fails, answers every request with the in-process
 * limits meanwhile, and calls it up again only once the script runs.
 */
@Timeout(120)
class RedisRefusingScriptsTest {

  static TestServer server;
  static ListAppender<ILoggingEvent> log = new ListAppender<>();
  static Logger limiterLog = (Logger) LoggerFactory.getLogger("dev.engram.cloud.quota.RedisLimiter");

  @BeforeAll
  static void start() {
    log.start();
    limiterLog.addAppender(log);
    server = TestServer.start(ConfigLoader.deepMerge(TestServer.withRedis(TestRedis.get().url()),
        new JsonObject().put("rate_limits", new JsonObject().put("key_per_second", 100).put("key_burst", 1000)
            .put("tenant_per_second", 100).put("tenant_burst", 1000))));
  }

  @AfterAll
  static void stop() throws Exception {
    limiterLog.detachAppender(log);
    config("maxmemory", "0");
    server.close();
  }

  private static void config(String name, String value) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Redis.createClient(vertx, TestRedis.get().url()).send(Request.cmd(Command.CONFIG).arg("SET").arg(name).arg(value))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } finally {
      vertx.close();
    }
  }

  private static long lines(String containing) {
    return log.list.stream().filter(e -> e.getFormattedMessage().contains(containing)).count();
  }

  @Test
  void redis_out_of_memory_is_one_transition_down_and_one_up_with_every_request_answered() throws Exception {
    Api api = server.api();
    Account account = api.signup();
    assertEquals(200, api.get("/v1/stats", account.apiKey()).status());
    assertEquals(1.0, server.metric("engram_ratelimit_redis_up"));
    long before = lines("redis at");

    config("maxmemory-policy", "noeviction");
    config("maxmemory", "1");
    try {
      for (int i = 0; i < 40; i++) {
        Api.Response r = api.get("/v1/stats", account.apiKey());
        assertEquals(200, r.status(), "answered with the in-process limits: " + r.body());
        assertNotNull(r.header("RateLimit-Limit"));
      }
      assertEquals(0.0, server.metric("engram_ratelimit_redis_up"), "down while the script cannot run");
      assertEquals(40.0, server.metric("engram_ratelimit_fallback_total"), "every request limited in process");
      assertEquals(1, lines("redis at") - before, "one line for the transition down, however many requests: "
          + log.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
      assertEquals(1, lines("refuses the rate-limit script"), "the line says Redis answered with an error");
    } finally {
      config("maxmemory", "0");
    }

    Eventually.until(Duration.ofSeconds(20), "redis is used again once the script runs",
        () -> server.metric("engram_ratelimit_redis_up") == 1.0);
    assertEquals(200, api.get("/v1/stats", account.apiKey()).status());
    assertEquals(40.0, server.metric("engram_ratelimit_fallback_total"), "no more fallbacks");
    assertEquals(2, lines("redis at") - before, "and one line for the transition up");
    assertEquals(1, lines("answers again"));
  }
}
