package dev.engram.cloud.abuse;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Liveness;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JSON-RPC batch over MCP is as many calls as it has messages: each message is admitted by the rate limit and
 * the plan's caps on its own, counted by metering on its own, and refused on its own (a JSON-RPC error in the
 * batch answer); a batch longer than {@code mcp.max_batch} is refused whole.
 */
@Timeout(120)
class McpBatchFanOutTest {

  static final int SEARCH_CAP = 5;
  static final int MAX_BATCH = 40;
  static final int ANSWER_BUDGET = 500_000;
  @RegisterExtension
  static final RunningServer server = RunningServer.with(ConfigLoader.deepMerge(TestServer.withoutRateLimits(), new JsonObject()
        .put("plans", new JsonObject().put("free", new JsonObject().put("searches_per_month", SEARCH_CAP)))
        .put("mcp", new JsonObject().put("max_batch", MAX_BATCH).put("max_batch_response_bytes", ANSWER_BUDGET))));
  static Api api;

  @BeforeAll
  static void start() {
    api = server.api();
  }

  static JsonObject search(int id, String query) {
    return new JsonObject().put("jsonrpc", "2.0").put("id", id).put("method", "tools/call")
        .put("params", new JsonObject().put("name", "memory_search")
            .put("arguments", new JsonObject().put("query", query)));
  }

  static JsonObject ping(int id) {
    return new JsonObject().put("jsonrpc", "2.0").put("id", id).put("method", "ping");
  }

  /** A batch on the revision that has them (2025-03-26). */
  static Api.Response batch(Api on, String key, JsonArray messages) {
    return on.send("POST", "/v1/mcp", Map.of("Authorization", "Bearer " + key, "MCP-Protocol-Version", "2025-03-26",
        "Accept", "application/json, text/event-stream"), messages.encode(), "application/json");
  }

  static JsonObject usage(Api on, String key) {
    Api.Response r = on.get("/v1/usage", key);
    assertEquals(200, r.status(), r.body());
    return r.json().getJsonObject("totals");
  }

  @Test
  void a_batch_of_searches_runs_only_what_the_plan_allows_and_each_search_is_counted() {
    Account a = api.signup();
    Account b = api.signup();
    api.createMemory(a.apiKey(), new JsonObject().put("content", "alpha notes"));
    api.createMemory(b.apiKey(), new JsonObject().put("content", "bravo notes"));
    JsonObject bBefore = usage(api, b.apiKey());

    int n = 30;
    JsonArray messages = new JsonArray();
    for (int i = 1; i <= n; i++) messages.add(search(i, "alpha"));
    Api.Response r;
    try (Liveness live = Liveness.watch(server.config().port(), Duration.ofSeconds(1))) {
      r = batch(api, a.apiKey(), messages);
      live.assertAnswered();
    }

    assertEquals(200, r.status(), r.body());
    JsonArray answers = new JsonArray(r.body());
    assertEquals(n, answers.size(), "one answer per message");
    int ran = 0;
    int refused = 0;
    for (Object o : answers) {
      JsonObject answer = (JsonObject) o;
      assertNotNull(answer.getValue("id"), "each answer names its message");
      if (answer.containsKey("result")) {
        ran++;
        assertEquals(1, answer.getJsonObject("result").getJsonObject("structuredContent").getInteger("total"));
      } else {
        refused++;
        JsonObject error = answer.getJsonObject("error");
        assertEquals(-32004, error.getInteger("code"), error.encode());
        JsonObject data = error.getJsonObject("data");
        assertEquals(402, data.getInteger("status"));
        assertEquals("plan_limit_exceeded", data.getString("code"));
        assertEquals("searches_per_month", data.getString("cap"));
        assertEquals(SEARCH_CAP, data.getInteger("limit"));
      }
    }
    assertEquals(SEARCH_CAP, ran, "exactly the plan's searches ran");
    assertEquals(n - SEARCH_CAP, refused);

    JsonObject totals = usage(api, a.apiKey());
    assertEquals(SEARCH_CAP, totals.getLong("searches"), "metering counts each search");
    assertEquals(1 + SEARCH_CAP, totals.getLong("api_calls"),
        "metering counts each admitted message as a call (and the create before them)");

    Api.Response single = api.post("/v1/search", a.apiKey(), new JsonObject().put("query", "alpha"));
    assertEquals(402, single.status(), "the cap the batch reached holds for REST too");
    assertEquals(bBefore.getLong("searches"), usage(api, b.apiKey()).getLong("searches"),
        "another tenant's usage is untouched");
    assertEquals(200, api.post("/v1/search", b.apiKey(), new JsonObject().put("query", "bravo")).status(),
        "and its searches still run");
  }

  @Test
  void a_batch_is_admitted_message_by_message_against_the_rate_limit() {
    TestServer limited = TestServer.start(new JsonObject().put("rate_limits", new JsonObject()
        .put("key_per_second", 0.001).put("key_burst", 10).put("tenant_per_second", 1e6).put("tenant_burst", 1e6)));
    try (Liveness live = Liveness.watch(limited.config().port(), Duration.ofSeconds(1))) {
      Api on = limited.api();
      Account a = on.signup();
      String reader = on.post("/v1/api-keys", a.apiKey(), new JsonObject().put("name", "reader")
          .put("scopes", new JsonArray().add("admin"))).json().getString("key");
      int n = 25;
      JsonArray messages = new JsonArray();
      for (int i = 1; i <= n; i++) messages.add(ping(i));
      Api.Response r = batch(on, a.apiKey(), messages);
      assertEquals(200, r.status(), r.body());
      JsonArray answers = new JsonArray(r.body());
      int allowed = 0;
      for (Object o : answers) {
        JsonObject answer = (JsonObject) o;
        if (answer.containsKey("result")) {
          allowed++;
        } else {
          JsonObject error = answer.getJsonObject("error");
          assertEquals(-32005, error.getInteger("code"), error.encode());
          assertEquals(429, error.getJsonObject("data").getInteger("status"));
          assertEquals("rate_limited", error.getJsonObject("data").getString("code"));
          assertTrue(error.getJsonObject("data").getLong("retry_after") >= 1);
        }
      }
      assertEquals(10 - 1, allowed, "the burst, less the call that created the second key");
      assertEquals(n, answers.size());

      Api.Response again = batch(on, a.apiKey(), new JsonArray().add(ping(100)).add(ping(101)));
      assertEquals(429, again.status(), "a request none of whose messages is admitted is a 429, as on REST");
      assertNotNull(again.header("Retry-After"));

      assertEquals(1 + (10 - 1), usage(on, reader).getLong("api_calls"),
          "the key creation and each admitted message are calls; refused messages are not");
      live.assertAnswered();
    } finally {
      limited.close();
    }
  }

  @Test
  void a_batch_stops_running_messages_once_its_answer_reaches_the_size_budget() {
    Account a = api.signup();
    long id = api.createMemory(a.apiKey(), new JsonObject().put("content", "x".repeat(90_000))).getLong("id");
    JsonArray messages = new JsonArray();
    for (int i = 1; i <= MAX_BATCH; i++) {
      messages.add(new JsonObject().put("jsonrpc", "2.0").put("id", i).put("method", "tools/call")
          .put("params", new JsonObject().put("name", "memory_get").put("arguments", new JsonObject().put("id", id))));
    }
    Api.Response r;
    try (Liveness live = Liveness.watch(server.config().port(), Duration.ofSeconds(1))) {
      r = batch(api, a.apiKey(), messages);
      live.assertAnswered();
    }
    assertEquals(200, r.status());
    assertTrue(r.body().length() < ANSWER_BUDGET + 400_000, "the answer stays within the budget and one message");
    JsonArray answers = new JsonArray(r.body());
    assertEquals(MAX_BATCH, answers.size(), "every message is answered");
    int ran = 0;
    for (int i = 0; i < answers.size(); i++) {
      JsonObject answer = answers.getJsonObject(i);
      assertEquals(i + 1, answer.getInteger("id"), "in order");
      if (answer.containsKey("result")) {
        assertEquals(i, ran, "the messages that ran come first");
        ran++;
      } else {
        assertEquals(-32000, answer.getJsonObject("error").getInteger("code"));
        assertEquals(ANSWER_BUDGET, answer.getJsonObject("error").getJsonObject("data")
            .getInteger("max_batch_response_bytes"));
      }
    }
    assertTrue(ran >= 2 && ran < MAX_BATCH, ran + " ran");
    assertEquals(1 + ran, usage(api, a.apiKey()).getLong("api_calls"), "messages that did not run are not charged");
  }

  @Test
  void a_batch_longer_than_max_batch_is_413_and_runs_nothing() {
    Account a = api.signup();
    JsonArray messages = new JsonArray();
    for (int i = 1; i <= MAX_BATCH + 1; i++) {
      messages.add(new JsonObject().put("jsonrpc", "2.0").put("id", i).put("method", "tools/call")
          .put("params", new JsonObject().put("name", "memory_create")
              .put("arguments", new JsonObject().put("content", "fan-out " + i))));
    }
    Api.Response r = batch(api, a.apiKey(), messages);
    assertEquals(413, r.status(), r.body());
    JsonObject error = r.json().getJsonObject("error");
    assertEquals(-32600, error.getInteger("code"));
    assertEquals(MAX_BATCH, error.getJsonObject("data").getInteger("max_batch"));
    assertNull(r.json().getValue("id"));
    assertEquals(0, api.get("/v1/stats", a.apiKey()).json().getLong("total_memories"), "nothing ran");

    messages.remove(MAX_BATCH);
    Api.Response fits = batch(api, a.apiKey(), messages);
    assertEquals(200, fits.status(), fits.body());
    assertFalse(fits.body().contains("\"error\""), fits.body());
    assertEquals(MAX_BATCH, api.get("/v1/stats", a.apiKey()).json().getLong("total_memories"));
  }
}
