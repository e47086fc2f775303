package dev.engram.cloud.quota;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.config.EngramConfig.RateLimits;
import dev.engram.cloud.quota.QuotaMessages.Decision;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.TestRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Redis limiter against a real Redis, from two independent Vert.x instances as two nodes would. */
@Timeout(60)
class RedisLimiterTest {

  /** Refill so slow (one request per 1000 s) that a test sees each limit as a fixed budget. */
  private static final double SLOW = 0.001;

  static Vertx nodeA;
  static Vertx nodeB;
  static RedisLimiter limiterA;
  static RedisLimiter limiterB;
  static EngramConfig.Redis shared;

  @BeforeAll
  static void start() throws Exception {
    shared = config();
    EngramConfig.Redis config = shared;
    nodeA = Vertx.vertx();
    nodeB = Vertx.vertx();
    limiterA = new RedisLimiter(nodeA, config, new SimpleMeterRegistry());
    limiterB = new RedisLimiter(nodeB, config, new SimpleMeterRegistry());
    onContext(nodeA, limiterA::start);
    onContext(nodeB, limiterB::start);
    assertTrue(limiterA.up() && limiterB.up(), "both nodes reach redis");
  }

  private static EngramConfig.Redis config() {
    return new EngramConfig.Redis(TestRedis.get().url(), 1000, 200, "test:" + UUID.randomUUID() + ":");
  }

  @AfterAll
  static void stop() throws Exception {
    onContext(nodeA, limiterA::close);
    onContext(nodeB, limiterB::close);
    nodeA.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    nodeB.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static <T> T onContext(Vertx vertx, Supplier<Future<T>> work) throws Exception {
    Promise<T> done = Promise.promise();
    vertx.runOnContext(v -> work.get().onComplete(done));
    return done.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Decision check(RedisLimiter limiter, String tenant, String key, RateLimits limits) throws Exception {
    return onContext(limiter == limiterA ? nodeA : nodeB, () -> limiter.check(tenant, key, limits));
  }

  private static String id() {
    return UUID.randomUUID().toString();
  }

  @Test
  void a_key_gets_its_burst_then_is_refused_with_the_numbers_for_the_headers() throws Exception {
    RateLimits limits = new RateLimits(SLOW, 3, SLOW, 10);
    String tenant = id();
    for (int remaining = 2; remaining >= 0; remaining--) {
      Decision d = check(limiterA, tenant, "key", limits);
      assertTrue(d.allowed());
      assertEquals(3, d.limit(), "the key's limit is the tighter one");
      assertEquals(remaining, d.remaining());
      assertTrue(d.resetSeconds() >= 1000 && d.resetSeconds() <= 3000, "full again after the used requests refill");
    }
    Decision refused = check(limiterA, tenant, "key", limits);
    assertFalse(refused.allowed());
    assertEquals(3, refused.limit());
    assertEquals(0, refused.remaining());
    assertTrue(refused.retryAfterSeconds() >= 999 && refused.retryAfterSeconds() <= 1000,
        "the next request is allowed one interval (1000 s) after the first: " + refused.retryAfterSeconds());
  }

  @Test
  void the_tenant_limit_caps_all_its_keys_and_a_refusal_charges_nothing() throws Exception {
    RateLimits limits = new RateLimits(SLOW, 2, SLOW, 3);
    String tenant = id();
    assertTrue(check(limiterA, tenant, "k1", limits).allowed());
    assertTrue(check(limiterA, tenant, "k1", limits).allowed());
    Decision keyRefused = check(limiterA, tenant, "k1", limits);
    assertFalse(keyRefused.allowed());
    assertEquals(2, keyRefused.limit(), "refused by the key's limit");

    Decision last = check(limiterA, tenant, "k2", limits);
    assertTrue(last.allowed(), "the key's refused request did not use the tenant's budget");
    assertEquals(3, last.limit());
    assertEquals(0, last.remaining());
    Decision tenantRefused = check(limiterA, tenant, "k3", limits);
    assertFalse(tenantRefused.allowed());
    assertEquals(3, tenantRefused.limit(), "refused by the tenant's limit, though k3 is fresh");

    assertTrue(check(limiterA, id(), "k1", limits).allowed(), "other tenants are not affected");
  }

  @Test
  void two_nodes_on_one_redis_share_one_limit() throws Exception {
    RateLimits limits = new RateLimits(SLOW, 100, SLOW, 6);
    String tenant = id();
    int allowed = 0;
    for (int i = 0; i < 6; i++) {
      Decision d = check(i % 2 == 0 ? limiterA : limiterB, tenant, "key-" + (i % 2), limits);
      assertTrue(d.allowed(), "request " + i);
      assertEquals(5 - i, d.remaining(), "each node sees the other's requests");
      allowed++;
    }
    assertEquals(6, allowed);
    assertFalse(check(limiterA, tenant, "key-0", limits).allowed());
    assertFalse(check(limiterB, tenant, "key-1", limits).allowed());
  }

  @Test
  void a_redis_that_forgot_the_script_gets_it_again() throws Exception {
    RateLimits limits = new RateLimits(SLOW, 5, SLOW, 5);
    String tenant = id();
    assertTrue(check(limiterA, tenant, "key", limits).allowed());
    Redis raw = Redis.createClient(nodeB, TestRedis.get().url());
    try {
      onContext(nodeB, () -> raw.send(Request.cmd(Command.SCRIPT).arg("FLUSH")));
    } finally {
      raw.close();
    }
    Decision d = check(limiterA, tenant, "key", limits);
    assertTrue(d.allowed());
    assertEquals(3, d.remaining(), "the limit's state survived; only the script was reloaded");
    assertTrue(limiterA.up());
  }

  /** Submits {@code n} checks in one event-loop turn, so that they go out as one batch. */
  private static List<Decision> burst(RedisLimiter limiter, Vertx node, String tenant, int n, RateLimits limits)
      throws Exception {
    return onContext(node, () -> {
      List<Future<Decision>> checks = new ArrayList<>();
      for (int i = 0; i < n; i++) checks.add(limiter.check(tenant, "key-" + (i % 3), limits));
      return Future.all(checks).map(all -> checks.stream().map(Future::result).toList());
    });
  }

  @Test
  void a_burst_of_checks_sent_together_is_charged_exactly_in_order() throws Exception {
    RateLimits limits = new RateLimits(SLOW, 1000, SLOW, 20);
    String tenant = id();
    List<Decision> decisions = burst(limiterA, nodeA, tenant, 50, limits);
    assertEquals(20, decisions.stream().filter(Decision::allowed).count(), "exactly the tenant's budget");
    for (int i = 0; i < 20; i++) {
      assertTrue(decisions.get(i).allowed(), "the first ones, in the order they were sent: " + i);
      assertEquals(19 - i, decisions.get(i).remaining());
    }
    assertFalse(check(limiterB, tenant, "key-0", limits).allowed(), "the other node sees the whole burst");
  }

  @Test
  void a_burst_that_meets_a_forgotten_script_reloads_it_and_charges_each_check_once() throws Exception {
    RateLimits limits = new RateLimits(SLOW, 1000, SLOW, 100);
    String tenant = id();
    assertTrue(check(limiterA, tenant, "key-0", limits).allowed());
    Redis raw = Redis.createClient(nodeB, TestRedis.get().url());
    try {
      onContext(nodeB, () -> raw.send(Request.cmd(Command.SCRIPT).arg("FLUSH")));
    } finally {
      raw.close();
    }
    List<Decision> decisions = burst(limiterA, nodeA, tenant, 10, limits);
    assertTrue(decisions.stream().allMatch(Decision::allowed));
    assertEquals(88, check(limiterA, tenant, "key-1", limits).remaining(), "1 + 10 + this one charged, none twice");
    assertTrue(limiterA.up());
  }

  private static void redisConfig(String name, String value) throws Exception {
    Redis raw = Redis.createClient(nodeB, TestRedis.get().url());
    try {
      onContext(nodeB, () -> raw.send(Request.cmd(Command.CONFIG).arg("SET").arg(name).arg(value)));
    } finally {
      raw.close();
    }
  }

  @Test
  void an_error_about_one_key_sends_only_that_request_to_the_fallback() throws Exception {
    RateLimits limits = new RateLimits(SLOW, 5, SLOW, 5);
    String tenant = id();
    Redis raw = Redis.createClient(nodeB, TestRedis.get().url());
    try {
      onContext(nodeB, () -> raw.send(Request.cmd(Command.LPUSH).arg(shared.keyPrefix() + "{" + tenant + "}:t").arg("x")));
    } finally {
      raw.close();
    }
    Exception e = assertThrows(Exception.class,
        () -> check(limiterA, tenant, "key", limits));
    assertEquals(RedisLimiter.Failure.KEY, RedisLimiter.classify(e.getCause()), String.valueOf(e.getCause()));
    onContext(nodeA, () -> {
      limiterA.failed(e.getCause());
      return Future.succeededFuture();
    });
    assertTrue(limiterA.up(), "one tenant's bad key does not take Redis away from the others");
    assertTrue(check(limiterA, id(), "key", limits).allowed());
  }

  @Test
  void a_flapping_redis_is_logged_at_most_two_lines_a_minute_and_up_only_once_the_script_runs() throws Exception {
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger limiterLog = (Logger) LoggerFactory.getLogger(RedisLimiter.class);
    log.start();
    Vertx node = Vertx.vertx();
    RedisLimiter limiter = new RedisLimiter(node, config(), new SimpleMeterRegistry());
    RateLimits limits = new RateLimits(SLOW, 1000, SLOW, 1000);
    try {
      onContext(node, limiter::start);
      limiterLog.addAppender(log);
      redisConfig("maxmemory-policy", "noeviction");
      for (int flap = 0; flap < 5; flap++) {
        redisConfig("maxmemory", "1");
        Exception refused = assertThrows(Exception.class,
            () -> onContext(node, () -> limiter.check(id(), "key", limits)));
        assertEquals(RedisLimiter.Failure.REFUSING, RedisLimiter.classify(refused.getCause()));
        onContext(node, () -> {
          limiter.failed(refused.getCause());
          return Future.succeededFuture();
        });
        assertFalse(limiter.up(), "down: Redis answers but cannot run the script");
        redisConfig("maxmemory", "0");
        Eventually.until(Duration.ofSeconds(10), "up once the script runs again", limiter::up);
      }
      List<String> lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
      assertEquals(2, lines.size(), "the first outage and its recovery, then silence: " + lines);
      assertTrue(lines.get(0).contains("refuses the rate-limit script"), lines.get(0));
      assertTrue(lines.get(1).contains("answers again"), lines.get(1));
    } finally {
      limiterLog.detachAppender(log);
      redisConfig("maxmemory", "0");
      onContext(node, limiter::close);
      node.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
