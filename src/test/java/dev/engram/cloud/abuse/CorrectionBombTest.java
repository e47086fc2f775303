package dev.engram.cloud.abuse;

import dev.engram.cloud.testing.Api;
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
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A query of 140 unknown words against a tenant of several thousand words: typo correction used to compare each
 * word with every known word of similar length, so one request burned tens of seconds (and the client got a 503).
 * Given such a tenant, when the query goes through every search door, then each answers 200 (flagged partial when
 * it ran out of its time budget), at most {@code search.max_corrections} words are corrected, /health/live keeps
 * answering, and the tenant's memories are untouched.
 */
@Timeout(180)
class CorrectionBombTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;
  static String key;
  /** ~1000 characters: 140 words of six letters that no memory holds. */
  static String bomb;

  @BeforeAll
  static void given_a_tenant_with_thousands_of_words() {
    api = server.api();
    key = api.signup().apiKey();
    Random random = new Random(9);
    Set<String> vocabulary = new LinkedHashSet<>();
    JsonArray memories = new JsonArray();
    for (int m = 0; m < 200; m++) {
      List<String> words = new ArrayList<>();
      for (int w = 0; w < 50; w++) {
        String word = word(random, 5 + random.nextInt(5));
        vocabulary.add(word);
        words.add(word);
      }
      memories.add(new JsonObject().put("content", String.join(" ", words)));
    }
    Api.Response imported = api.post("/v1/import", key, new JsonObject().put("version", "1.0").put("memories", memories));
    assertEquals(200, imported.status(), imported.body());
    assertTrue(vocabulary.size() > 8_000, "a vocabulary of " + vocabulary.size() + " words");
    List<String> unknown = new ArrayList<>();
    while (unknown.size() < 140) {
      String word = word(random, 6);
      if (!vocabulary.contains(word)) unknown.add(word);
    }
    bomb = String.join(" ", unknown);
    assertEquals(979, bomb.length());
  }

  @Test
  void every_search_door_answers_in_bounded_time_and_changes_nothing() {
    String before = exported();
    try (Liveness live = Liveness.watch(server.config().port(), Duration.ofSeconds(1))) {
      for (String strategy : List.of("keyword", "semantic", "hybrid", "auto")) {
        Api.Response r = api.post("/v1/search", key, new JsonObject().put("query", bomb).put("strategy", strategy));
        assertEquals(200, r.status(), strategy + ": " + r.body());
        checkSearch(r.json(), strategy);
        checkSearch(mcp("memory_search", new JsonObject().put("query", bomb).put("strategy", strategy)), strategy);
      }
      Api.Response suggest = api.post("/v1/search/suggest", key, new JsonObject().put("query", bomb));
      assertEquals(200, suggest.status(), suggest.body());
      checkSuggest(suggest.json());
      checkSuggest(mcp("memory_search_suggest", new JsonObject().put("query", bomb)));
      live.assertAnswered();
    }
    assertEquals(before, exported(), "searching changes nothing");
  }

  @Test
  void at_most_three_words_of_a_query_are_corrected_by_default() {
    String k = api.signup().apiKey();
    api.createMemory(k, new JsonObject().put("content", "postgres pooling timeouts migration rollback deadlock"));
    JsonObject s = api.post("/v1/search/suggest", k, new JsonObject()
        .put("query", "postgers poolng timeuts migraton rolback")).json();
    assertEquals("postgres pooling timeouts migraton rolback", s.getString("suggestion"), s.encode());
    assertEquals(3, s.getJsonArray("corrections").size());
    JsonObject found = api.search(k, new JsonObject().put("query", "postgers poolng timeuts migraton rolback")
        .put("strategy", "hybrid"));
    assertEquals("postgres pooling timeouts migraton rolback", found.getString("corrected_query"));
  }

  private static void checkSearch(JsonObject answer, String strategy) {
    assertTrue(answer.containsKey("results"), answer.encode());
    Object partial = answer.getValue("partial");
    assertTrue(partial == null || partial.equals(true), strategy + ": partial is true when present: " + answer.encode());
    String corrected = answer.getString("corrected_query");
    if (corrected != null) assertTrue(changedWords(corrected) <= 3, strategy + ": " + corrected);
  }

  private static void checkSuggest(JsonObject answer) {
    assertTrue(answer.getJsonArray("corrections").size() <= 3, answer.encode());
    assertEquals(answer.getJsonArray("corrections").size(), changedWords(answer.getString("suggestion")));
    Object partial = answer.getValue("partial");
    assertTrue(partial == null || partial.equals(true), answer.encode());
  }

  private static int changedWords(String corrected) {
    String[] original = bomb.split(" ");
    String[] changed = corrected.split(" ");
    assertEquals(original.length, changed.length);
    int n = 0;
    for (int i = 0; i < original.length; i++) if (!original[i].equals(changed[i])) n++;
    return n;
  }

  private static String word(Random random, int length) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < length; i++) sb.append((char) ('a' + random.nextInt(26)));
    return sb.toString();
  }

  private static String exported() {
    Api.Response r = api.get("/v1/export", key);
    assertEquals(200, r.status(), r.body());
    JsonObject doc = r.json();
    doc.remove("exported_at");
    assertFalse(doc.getJsonArray("memories").isEmpty());
    return doc.encode();
  }

  /** MCP tools/call without a session; the tool's structured result, which must not be a tool error. */
  private static JsonObject mcp(String tool, JsonObject arguments) {
    JsonObject message = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call")
        .put("params", new JsonObject().put("name", tool).put("arguments", arguments));
    Api.Response r = api.send("POST", "/v1/mcp", Map.of("Authorization", "Bearer " + key,
        "Accept", "application/json, text/event-stream"), message.encode(), "application/json");
    assertEquals(200, r.status(), r.body());
    JsonObject result = r.json().getJsonObject("result");
    assertFalse(result.getBoolean("isError", false), tool + ": " + result.encode());
    return result.getJsonObject("structuredContent");
  }
}
