package dev.engram.cloud.abuse;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Liveness;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MCP {@code memory_export} builds its whole answer in memory and encodes it on an event loop, so beside its count
 * limit it stops at a size limit (issue 9: 10,000 memories of 100k characters would have been ~1.2 GB encoded on an
 * event loop). Past it the tool refuses with {@code export_too_large} at once, and {@code GET /v1/export} streams the
 * same memories.
 */
@Timeout(120)
class McpExportBoundTest {

  @Test
  void an_export_past_the_size_limit_is_refused_and_the_streamed_export_has_it_all() {
    try (TestServer server = TestServer.start(TestServer.withoutRateLimits())) {
      Api api = server.api();
      Account a = api.signup();
      String big = "x".repeat(99_000);
      int count = 90; // 90 × 99k characters: past 8 MiB
      for (int i = 0; i < count; i++) api.createMemory(a.apiKey(), new JsonObject().put("content", i + " " + big));

      try (Liveness live = Liveness.watch(server.config().port(), Duration.ofSeconds(1))) {
        JsonObject call = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call")
            .put("params", new JsonObject().put("name", "memory_export").put("arguments", new JsonObject()));
        Api.Response r = api.send("POST", "/v1/mcp", Map.of("Authorization", "Bearer " + a.apiKey(),
            "Accept", "application/json, text/event-stream"), call.encode(), "application/json");
        assertEquals(200, r.status(), r.body());
        JsonObject result = r.json().getJsonObject("result");
        assertEquals(Boolean.TRUE, result.getBoolean("isError"), "refused as a tool error");
        String text = result.getJsonArray("content").getJsonObject(0).getString("text");
        assertTrue(text.contains("GET /v1/export"), text);
        assertTrue(r.body().length() < 10_000, "the refusal carries no memories: " + r.body().length() + " bytes");
        live.assertAnswered();
      }

      Api.Response streamed = api.get("/v1/export", a.apiKey());
      assertEquals(200, streamed.status());
      assertEquals(count, streamed.json().getJsonArray("memories").size());
    }
  }
}
