package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A keyword search counts its matches exactly up to 1,000; beyond, it does not visit every match to count them (top-k
 * collection skips those that cannot make the page) and says its total is a lower bound.
 */
@Timeout(120)
class KeywordTotalTest {

  @Test
  void a_word_in_more_than_a_thousand_memories_has_a_lower_bound_total() {
    JsonObject uncapped = TestServer.withoutRateLimits().put("plans", new JsonObject()
        .put("free", new JsonObject().put("memories", (Object) null)));
    try (TestServer server = TestServer.start(uncapped)) {
      Api api = server.api();
      String key = api.signup().apiKey();
      JsonArray memories = new JsonArray();
      for (int i = 0; i < 1200; i++) {
        memories.add(new JsonObject().put("content", (i < 5 ? "okapi okapi okapi " : "an okapi note ") + i));
      }
      memories.add(new JsonObject().put("content", "a zebra note"));
      Api.Response imported = api.post("/v1/import", key, new JsonObject().put("version", "1.0")
          .put("memories", memories));
      assertEquals(200, imported.status(), imported.body());

      JsonObject many = api.search(key, new JsonObject().put("query", "okapi").put("strategy", "keyword"));
      assertEquals(false, many.getValue("total_exact"));
      assertTrue(many.getLong("total") >= 1000 && many.getLong("total") <= 1200, many.encode());
      assertEquals(10, many.getJsonArray("results").size());
      assertTrue(Api.contents(many).get(0).startsWith("okapi okapi okapi"), "the best still come first");

      JsonObject few = api.search(key, new JsonObject().put("query", "zebra").put("strategy", "keyword"));
      assertEquals(1, few.getLong("total"));
      assertFalse(few.containsKey("total_exact"), "exact: nothing to say");
    }
  }
}
