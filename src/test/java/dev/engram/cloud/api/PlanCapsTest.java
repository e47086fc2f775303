package dev.engram.cloud.api;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plan caps through the HTTP API, with caps made small for the test: 402 naming the cap, and nothing written. */
@Timeout(120)
class PlanCapsTest {

  static TestServer server;
  static Api api;

  @BeforeAll
  static void start() {
    JsonObject plans = new JsonObject()
        .put("free", new JsonObject().put("memories", 3).put("searches_per_month", 2).put("api_calls_per_month", 40)
            .put("storage_bytes", (Object) null))
        .put("pro", new JsonObject().put("memories", 5).put("searches_per_month", 100).put("api_calls_per_month", 1000));
    server = TestServer.start(ConfigLoader.deepMerge(TestServer.withoutRateLimits(), new JsonObject().put("plans", plans)));
    api = server.api();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static JsonObject memory(String content) {
    return new JsonObject().put("content", content);
  }

  static void assertCap(Api.Response r, String cap, long limit, long used, String plan) {
    assertEquals(402, r.status(), r.body());
    assertTrue(r.header("Content-Type").startsWith("application/problem+json"));
    JsonObject problem = r.json();
    assertEquals("plan_limit_exceeded", problem.getString("code"));
    assertEquals(cap, problem.getString("cap"));
    assertEquals(limit, problem.getLong("limit"));
    assertEquals(used, problem.getLong("used"));
    assertEquals(plan, problem.getString("plan"));
    assertEquals(402, problem.getInteger("status"));
  }

  static long storedMemories(Api on, String key) {
    Api.Response stats = on.get("/v1/stats", key);
    assertEquals(200, stats.status(), stats.body());
    return stats.json().getLong("total_memories");
  }

  @Test
  void the_memory_over_the_cap_is_402_and_not_written_and_a_delete_makes_room() {
    Account a = api.signup();
    long first = 0;
    for (int i = 0; i < 3; i++) {
      long id = api.createMemory(a.apiKey(), memory("note " + i)).getLong("id");
      if (i == 0) first = id;
    }
    assertCap(api.post("/v1/memories", a.apiKey(), memory("one too many")), "memories", 3, 3, "free");
    assertEquals(3, storedMemories(api, a.apiKey()));
    assertEquals(0, api.post("/v1/search", a.apiKey(), new JsonObject().put("query", "many").put("strategy", "keyword"))
        .json().getLong("total"), "the refused memory is not searchable either");

    assertEquals(204, api.delete("/v1/memories/" + first, a.apiKey()).status());
    assertEquals(201, api.post("/v1/memories", a.apiKey(), memory("fits again")).status());
    assertEquals(3, storedMemories(api, a.apiKey()));
  }

  @Test
  void concurrent_creates_at_the_edge_never_exceed_the_cap() throws Exception {
    Account a = api.signup();
    int attempts = 12;
    ExecutorService pool = Executors.newFixedThreadPool(attempts);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> statuses = new ArrayList<>();
      for (int i = 0; i < attempts; i++) {
        String content = "racing " + i;
        statuses.add(pool.submit(() -> {
          go.await();
          return api.post("/v1/memories", a.apiKey(), memory(content)).status();
        }));
      }
      go.countDown();
      int created = 0;
      int refused = 0;
      for (Future<Integer> s : statuses) {
        int status = s.get();
        if (status == 201) created++;
        if (status == 402) refused++;
      }
      assertEquals(3, created, "exactly the cap is created");
      assertEquals(attempts - 3, refused);
    } finally {
      pool.shutdownNow();
    }
    assertEquals(3, storedMemories(api, a.apiKey()));
  }

  @Test
  void the_search_over_the_monthly_cap_is_402_and_other_calls_still_work() {
    Account a = api.signup();
    JsonObject query = new JsonObject().put("query", "anything");
    assertEquals(200, api.post("/v1/search", a.apiKey(), query).status());
    assertEquals(200, api.post("/v1/search", a.apiKey(), query).status());
    assertCap(api.post("/v1/search", a.apiKey(), query), "searches_per_month", 2, 2, "free");
    assertEquals(200, api.get("/v1/memories", a.apiKey()).status(), "only searches are capped");
  }

  @Test
  void calls_over_the_monthly_cap_are_402_and_write_nothing_until_the_plan_allows_more() {
    Account a = api.signup();
    for (int i = 0; i < 40; i++) assertEquals(200, api.get("/v1/memories", a.apiKey()).status(), "call " + i);
    assertCap(api.get("/v1/stats", a.apiKey()), "api_calls_per_month", 40, 40, "free");
    assertCap(api.post("/v1/memories", a.apiKey(), memory("refused")), "api_calls_per_month", 40, 40, "free");

    server.setTenantPlan(a.tenantId(), "pro");
    assertEquals(0, storedMemories(api, a.apiKey()), "the refused create wrote nothing");
  }

  @Test
  void a_tenant_moved_to_another_plan_gets_that_plans_caps() {
    Account a = api.signup();
    for (int i = 0; i < 3; i++) api.createMemory(a.apiKey(), memory("free " + i));
    assertCap(api.post("/v1/memories", a.apiKey(), memory("over free")), "memories", 3, 3, "free");

    server.setTenantPlan(a.tenantId(), "pro");
    api.createMemory(a.apiKey(), memory("pro 1"));
    api.createMemory(a.apiKey(), memory("pro 2"));
    assertCap(api.post("/v1/memories", a.apiKey(), memory("over pro")), "memories", 5, 5, "pro");
    assertEquals(5, storedMemories(api, a.apiKey()));
  }

  @Test
  void writes_past_the_storage_cap_are_402_and_deletes_still_work() {
    long cap = 400_000;
    TestServer small = TestServer.start(ConfigLoader.deepMerge(TestServer.withoutRateLimits(), new JsonObject()
        .put("plans", new JsonObject().put("free", new JsonObject().put("memories", (Object) null)
            .put("storage_bytes", cap)))));
    try {
      Api s = small.api();
      Account a = s.signup();
      String big = "x".repeat(50_000);
      int created = 0;
      Api.Response refused = null;
      long lastId = 0;
      for (int i = 0; i < 40 && refused == null; i++) {
        Api.Response r = s.post("/v1/memories", a.apiKey(), memory(big + " " + i));
        if (r.status() == 201) {
          created++;
          lastId = r.json().getLong("id");
        } else {
          refused = r;
        }
      }
      assertTrue(created > 0, "a fresh tenant fits under the cap");
      JsonObject problem = refused.json();
      assertEquals(402, refused.status(), refused.body());
      assertEquals("storage_bytes", problem.getString("cap"));
      assertEquals(cap, problem.getLong("limit"));
      assertTrue(problem.getLong("used") >= cap);
      assertEquals(created, storedMemories(s, a.apiKey()), "the refused memory was not written");

      Api.Response grow = s.patch("/v1/memories/" + lastId, a.apiKey(), new JsonObject().put("content", big + big));
      assertEquals(402, grow.status(), "an update cannot grow past the cap either");
      assertEquals(204, s.delete("/v1/memories/" + lastId, a.apiKey()).status());
      assertEquals(created - 1, storedMemories(s, a.apiKey()));
    } finally {
      small.close();
    }
  }
}
