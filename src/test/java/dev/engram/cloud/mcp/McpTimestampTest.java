package dev.engram.cloud.mcp;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Timestamps outside the years 0000-9999 are tool errors naming the range over MCP, as they are 400s over REST. */
@Timeout(60)
class McpTimestampTest {

  static final String BEFORE_YEAR_0 = "-999999999-01-01T00:00:00+18:00";
  static final String AFTER_YEAR_9999 = "+10000-01-01T00:00:00Z";
  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static McpHttp mcp;

  @BeforeAll
  static void start() {
    mcp = new McpHttp(server.api());
  }

  static void assertRangeError(JsonObject result) {
    assertTrue(result.getBoolean("isError"), result.encode());
    String text = result.getJsonArray("content").getJsonObject(0).getString("text");
    assertTrue(text.contains("0000 to 9999"), text);
  }

  @Test
  void search_and_import_refuse_years_outside_0000_to_9999_and_write_nothing() {
    Api.Account a = server.api().signup();
    String key = a.apiKey();
    assertRangeError(mcp.call(key, "memory_search", new JsonObject().put("query", "x").put("created_after", BEFORE_YEAR_0)));
    assertRangeError(mcp.call(key, "memory_search", new JsonObject().put("query", "x").put("updated_before", AFTER_YEAR_9999)));
    assertRangeError(mcp.call(key, "memory_search", new JsonObject().put("query", "x").put("filter",
        new JsonObject().put("field", "created_at").put("op", "gte").put("value", BEFORE_YEAR_0))));
    assertRangeError(mcp.call(key, "memory_import", new JsonObject().put("data", new JsonObject().put("memories",
        new JsonArray().add(new JsonObject().put("content", "fine")).add(new JsonObject().put("content", "too old")
            .put("created_at", BEFORE_YEAR_0))))));
    assertEquals(0, mcp.ok(key, "memory_stats", new JsonObject()).getInteger("total_memories"));

    JsonObject imported = mcp.ok(key, "memory_import", new JsonObject().put("data", new JsonObject().put("memories",
        new JsonArray().add(new JsonObject().put("content", "the first day").put("created_at", "0000-01-01T00:00:00Z")))));
    assertEquals(1, imported.getInteger("imported"));
    JsonObject found = mcp.ok(key, "memory_search", new JsonObject().put("query", "first day")
        .put("created_before", "0000-01-02"));
    assertEquals("0000-01-01T00:00:00.000Z",
        found.getJsonArray("results").getJsonObject(0).getJsonObject("memory").getString("created_at"));
  }
}
