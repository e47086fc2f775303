package dev.engram.cloud.engine;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tenant engines start on demand, stop when idle or when the cap is reached, and come back with their data. */
class EngineLifecycleTest {

  private static final Pattern ACTIVE = Pattern.compile("(?m)^engram_engines_active (\\S+)$");

  static int activeEngines(Api api) {
    Matcher m = ACTIVE.matcher(api.get("/metrics", null).body());
    assertTrue(m.find(), "engram_engines_active is exported");
    return (int) Double.parseDouble(m.group(1));
  }

  @Test
  void an_idle_engine_is_stopped_and_restarted_transparently() {
    try (TestServer server = TestServer.start(new JsonObject().put("engines", new JsonObject().put("idle_seconds", 1)))) {
      Api api = server.api();
      String key = api.signup().apiKey();
      long id = api.createMemory(key, new JsonObject().put("content", "survives eviction")).getLong("id");
      assertEquals(1, activeEngines(api));

      Eventually.until(Duration.ofSeconds(15), "the idle engine is stopped", () -> activeEngines(api) == 0);

      assertEquals("survives eviction", api.get("/v1/memories/" + id, key).json().getString("content"));
      assertEquals(1, activeEngines(api));
    }
  }

  @Test
  void at_most_max_active_engines_run_and_evicted_tenants_still_answer() {
    try (TestServer server = TestServer.start(new JsonObject().put("engines", new JsonObject().put("max_active", 2)))) {
      Api api = server.api();
      List<String> keys = new ArrayList<>();
      for (int t = 0; t < 5; t++) {
        String key = api.signup().apiKey();
        keys.add(key);
        api.createMemory(key, new JsonObject().put("content", "tenant " + t));
        assertTrue(activeEngines(api) <= 2, "cap respected");
      }
      for (int t = 0; t < 5; t++) {
        var data = api.get("/v1/memories", keys.get(t)).json().getJsonArray("data");
        assertEquals(1, data.size());
        assertEquals("tenant " + t, data.getJsonObject(0).getString("content"));
      }
      assertTrue(activeEngines(api) <= 2);
    }
  }
}
