package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.RunningServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The memory lifecycle a user goes through: create, read, list, update, delete. */
class MemoryApiTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.withDefaults();
  static Api api;

  @BeforeAll
  static void start() {
    api = server.api();
  }

  @Test
  void create_fills_defaults_and_normalises() {
    String key = api.signup().apiKey();
    JsonObject m = api.createMemory(key, new JsonObject().put("content", "  Ship on Fridays? Never.  ")
        .put("tags", new JsonArray().add(" release ").add("Release").add("policy"))
        .put("workspace", "  Team-A "));
    assertEquals("Ship on Fridays? Never.", m.getString("content"));
    assertEquals("note", m.getString("memory_type"));
    assertEquals(new JsonArray().add("release").add("policy"), m.getJsonArray("tags"));
    assertEquals("team-a", m.getString("workspace"));
    assertEquals(0.5, m.getDouble("importance"));
    assertEquals("permanent", m.getString("tier"));
    assertNull(m.getString("expires_at"));
    assertEquals(1, m.getInteger("version"));
    assertTrue(m.getString("content_hash").startsWith("sha256:"));
    assertEquals(m, api.get("/v1/memories/" + m.getLong("id"), key).json());
  }

  @Test
  void ttl_makes_a_daily_memory_that_expires() {
    String key = api.signup().apiKey();
    JsonObject m = api.createMemory(key, new JsonObject().put("content", "standup at 10").put("ttl_seconds", 3600));
    assertEquals("daily", m.getString("tier"));
    Duration ttl = Duration.between(Instant.parse(m.getString("created_at")), Instant.parse(m.getString("expires_at")));
    assertEquals(3600, ttl.getSeconds());
    JsonObject daily = api.createMemory(key, new JsonObject().put("content", "today only").put("tier", "daily"));
    assertEquals(86400, Duration.between(Instant.parse(daily.getString("created_at")),
        Instant.parse(daily.getString("expires_at"))).getSeconds());
  }

  @Test
  void patch_changes_given_fields_and_bumps_the_version() {
    String key = api.signup().apiKey();
    JsonObject m = api.createMemory(key, new JsonObject().put("content", "draft").put("tags", new JsonArray().add("a"))
        .put("metadata", new JsonObject().put("source", "chat")));
    long id = m.getLong("id");
    JsonObject updated = api.patch("/v1/memories/" + id, key, new JsonObject().put("content", "final")
        .put("importance", 0.9)).json();
    assertEquals("final", updated.getString("content"));
    assertEquals(0.9, updated.getDouble("importance"));
    assertEquals(new JsonArray().add("a"), updated.getJsonArray("tags"), "untouched fields stay");
    assertEquals("chat", updated.getJsonObject("metadata").getString("source"));
    assertEquals(2, updated.getInteger("version"));
    assertTrue(updated.getString("updated_at").compareTo(m.getString("updated_at")) >= 0);
    assertTrue(!updated.getString("content_hash").equals(m.getString("content_hash")));
  }

  @Test
  void delete_removes_and_a_second_delete_is_404() {
    String key = api.signup().apiKey();
    long id = api.createMemory(key, new JsonObject().put("content", "temp")).getLong("id");
    assertEquals(204, api.delete("/v1/memories/" + id, key).status());
    assertEquals(404, api.get("/v1/memories/" + id, key).status());
    assertEquals(404, api.delete("/v1/memories/" + id, key).status());
  }

  @Test
  void list_pages_newest_first_without_gaps_or_repeats() {
    String key = api.signup().apiKey();
    for (int i = 0; i < 25; i++) {
      api.createMemory(key, new JsonObject().put("content", "item " + i)
          .put("workspace", i % 2 == 0 ? "even" : "odd").put("tags", new JsonArray().add(i % 5 == 0 ? "five" : "other")));
    }
    List<Long> ids = new ArrayList<>();
    List<Integer> pageSizes = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject page = api.get("/v1/memories?limit=10" + (cursor == null ? "" : "&cursor=" + cursor), key).json();
      pageSizes.add(page.getJsonArray("data").size());
      page.getJsonArray("data").forEach(m -> ids.add(((JsonObject) m).getLong("id")));
      cursor = page.getString("next_cursor");
    } while (cursor != null);
    assertEquals(List.of(10, 10, 5), pageSizes);
    assertEquals(25, new HashSet<>(ids).size());
    List<Long> sorted = new ArrayList<>(ids);
    sorted.sort((a, b) -> Long.compare(b, a));
    assertEquals(sorted, ids, "newest first");

    assertEquals(13, api.get("/v1/memories?limit=100&workspace=even", key).json().getJsonArray("data").size());
    assertEquals(5, api.get("/v1/memories?tags=FIVE", key).json().getJsonArray("data").size());
    assertEquals(3, api.get("/v1/memories?tags=five&workspace=even", key).json().getJsonArray("data").size());
    assertEquals(0, api.get("/v1/memories?memory_type=decision", key).json().getJsonArray("data").size());
  }

  @Test
  void stats_count_by_workspace_type_and_tier() {
    String key = api.signup().apiKey();
    api.createMemory(key, new JsonObject().put("content", "a").put("workspace", "w1"));
    api.createMemory(key, new JsonObject().put("content", "b").put("workspace", "w2").put("memory_type", "decision"));
    api.createMemory(key, new JsonObject().put("content", "c").put("workspace", "w2").put("tier", "daily"));
    JsonObject stats = api.get("/v1/stats", key).json();
    assertEquals(3, stats.getLong("total_memories"));
    assertEquals(new JsonObject().put("w1", 1).put("w2", 2), stats.getJsonObject("by_workspace"));
    assertEquals(new JsonObject().put("decision", 1).put("note", 2), stats.getJsonObject("by_type"));
    assertEquals(new JsonObject().put("daily", 1).put("permanent", 2), stats.getJsonObject("by_tier"));
    assertTrue(stats.getLong("database_size_bytes") > 0);
  }

  @Test
  void operator_endpoints_answer() {
    assertEquals(200, api.get("/health/live", null).status());
    Api.Response ready = api.get("/health/ready", null);
    assertEquals(200, ready.status());
    assertEquals("UP", ready.json().getString("outcome"));
    String key = api.signup().apiKey();
    api.get("/v1/stats", key);
    String metrics = api.get("/metrics", null).body();
    assertTrue(metrics.contains("vertx_http_server_requests_total{code=\"200\",method=\"GET\",route=\"/v1/stats\"}"),
        "request counts by route and status");
    assertTrue(metrics.contains("engram_engines_active"));
    assertTrue(metrics.contains("engram_engine_queue_depth"));
    assertTrue(metrics.contains("vertx_http_server_response_time_seconds"), "latency by route");
  }

  @Test
  void unknown_routes_and_methods_are_problem_json() {
    Api.Response missing = api.get("/v1/nothing-here", null);
    assertEquals(404, missing.status());
    assertTrue(missing.header("Content-Type").startsWith("application/problem+json"));
    Api.Response wrongMethod = api.send("PUT", "/v1/memories", api.signup().apiKey(), "{}");
    assertEquals(405, wrongMethod.status());
    assertTrue(wrongMethod.header("Content-Type").startsWith("application/problem+json"));
  }
}
