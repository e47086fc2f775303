package dev.engram.cloud.observability;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an operator reads on /metrics moves with what the server does, and no series names a tenant. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OperatorMetricsTest {

  @Test
  void engines_count_their_cold_starts_idle_evictions_and_checkpoints_and_searches_their_strategy() {
    JsonObject config = new JsonObject().put("engines", new JsonObject().put("idle_seconds", 1));
    try (TestServer server = TestServer.start(config)) {
      Api api = server.api();
      Api.Account account = api.signup();
      assertEquals(201, api.post("/v1/memories", account.apiKey(), new JsonObject().put("content", "metrics")).status());
      assertEquals(1.0, server.metric("engram_engine_activations_total"));
      assertEquals(1.0, server.metric("engram_engine_activation_seconds_count"));
      Eventually.until(Duration.ofSeconds(5), "the database size is measured",
          () -> server.metric("engram_sqlite_database_bytes") > 0);

      assertEquals(200, api.post("/v1/search", account.apiKey(),
          new JsonObject().put("query", "metrics").put("strategy", "hybrid")).status());
      assertEquals(1.0, server.metric("engram_search_seconds_count", "strategy=hybrid"));
      assertEquals(0.0, server.metric("engram_search_seconds_count", "strategy=keyword"));

      Eventually.until(Duration.ofSeconds(10), "the idle engine is evicted",
          () -> server.metric("engram_engine_evictions_total", "reason=idle") == 1.0);
      Eventually.until(Duration.ofSeconds(5), "its WAL is checkpointed as it stops",
          () -> server.metric("engram_sqlite_checkpoint_seconds_count") == 1.0);
      assertEquals(200, api.get("/v1/stats", account.apiKey()).status());
      assertEquals(2.0, server.metric("engram_engine_activations_total"), "the next request starts it again");

      String scrape = api.get("/metrics", null).body();
      assertTrue(!scrape.contains(account.tenantId()), "no series names a tenant");
    }
  }

  @Test
  void refusals_are_counted_by_the_limit_and_auth_failures_by_their_code() {
    JsonObject config = new JsonObject()
        .put("rate_limits", new JsonObject().put("key_per_second", 0.001).put("key_burst", 2))
        .put("plans", new JsonObject().put("free", new JsonObject().put("memories", 1)));
    try (TestServer server = TestServer.start(config)) {
      Api api = server.api();
      Api.Account account = api.signup();
      assertEquals(201, api.post("/v1/memories", account.apiKey(), new JsonObject().put("content", "one")).status());
      assertEquals(402, api.post("/v1/memories", account.apiKey(), new JsonObject().put("content", "two")).status());
      assertEquals(429, api.get("/v1/stats", account.apiKey()).status());
      assertEquals(1.0, server.metric("engram_refusals_total", "status=402", "cap=memories"));
      assertEquals(1.0, server.metric("engram_refusals_total", "status=429", "cap=rate_limit"));

      assertEquals(401, api.get("/v1/stats", "ek_live_not_a_key").status());
      assertEquals(401, api.get("/v1/stats", null).status());
      assertEquals(1.0, server.metric("engram_auth_failures_total", "status=401", "reason=invalid_api_key"));
      assertEquals(1.0, server.metric("engram_auth_failures_total", "status=401", "reason=missing_credentials"));
    }
  }
}
