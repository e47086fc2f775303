package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.RunningServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SearchTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.withDefaults();
  static Api api;
  static String key;

  @BeforeAll
  static void given_a_tenant_with_memories() {
    api = server.api();
    key = api.signup().apiKey();
    create("User prefers dark mode in every editor", "preference", "default", "ui");
    create("Use async/await for I/O-bound work in Rust", "learning", "default", "rust");
    create("The parser lives in src/file.rs and is tested by parse_test", "note", "engine", "rust");
    create("Contact ops at oncall@example.com for database restores", "note", "ops", "ops");
    create("Postgres postgres postgres: tune shared_buffers for the postgres billing cluster", "decision", "ops", "db");
    create("Postgres is the billing database", "note", "ops", "db");
    create("Prefer small pull requests", "preference", "default", "process");
  }

  static void create(String content, String type, String workspace, String tag) {
    api.createMemory(key, new JsonObject().put("content", content).put("memory_type", type)
        .put("workspace", workspace).put("tags", new JsonArray().add(tag)));
  }

  /** A keyword search (these tests are about the keyword index; the default strategy is hybrid). */
  static JsonObject search(JsonObject body) {
    return api.search(key, body.containsKey("strategy") ? body : body.copy().put("strategy", "keyword"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "file.rs", "a@b.com", "oncall@example.com", "\"", "\"unclosed", "'", "-",
      "--", "*", "prefer*", "-dark", "NOT", "AND OR NOT", "dark OR", "(", ")", "col:value", "content:dark", "^", "+",
      "NEAR(a b)", "{}", "[]", "\\", "%", "😀", "ünïcödé", "a\"b\"c", "C++", "https://example.com/x?y=1",
      "drop table memories;", "\u0000", "\"\"", "the of and", "\"dark mode\" \"", "x\"y"})
  void queries_with_punctuation_or_nothing_never_fail(String query) {
    for (JsonObject body : List.of(new JsonObject().put("query", query).put("strategy", "keyword"),
        new JsonObject().put("query", query))) {
      JsonObject result = api.search(key, body);
      assertTrue(result.getJsonArray("results").size() <= 10);
      assertEquals(result.getJsonArray("results").size() > 0, result.getLong("total") > 0, body.encode());
    }
  }

  @Test
  void the_default_strategy_is_hybrid_and_answers_questions() {
    JsonObject result = api.search(key, new JsonObject().put("query", "Which database do we bill with?"));
    assertEquals("hybrid", result.getString("strategy"));
    assertEquals("Postgres is the billing database", Api.contents(result).get(0));
  }

  @Test
  void identifiers_with_punctuation_are_found() {
    assertTrue(Api.contents(search(new JsonObject().put("query", "file.rs"))).get(0).contains("src/file.rs"));
    assertTrue(Api.contents(search(new JsonObject().put("query", "oncall@example.com"))).get(0).contains("oncall@example.com"));
  }

  @Test
  void stemming_matches_word_forms_and_memories_holding_every_word_come_first() {
    List<String> found = Api.contents(search(new JsonObject().put("query", "user preferences")));
    assertEquals(List.of("User prefers dark mode in every editor", "Prefer small pull requests"), found);
  }

  @Test
  void any_word_matches_and_stop_words_are_ignored() {
    // no memory holds every word of a question; the one holding its telling words comes first
    List<String> found = Api.contents(search(new JsonObject().put("query", "where do the restores of the database go")));
    assertEquals("Contact ops at oncall@example.com for database restores", found.get(0));
    assertEquals(0, search(new JsonObject().put("query", "what is it that they were")).getLong("total"));
  }

  @Test
  void quoted_text_is_a_phrase_every_result_holds() {
    assertEquals(List.of("User prefers dark mode in every editor"),
        Api.contents(search(new JsonObject().put("query", "\"dark mode\" editor"))));
    assertEquals(0, search(new JsonObject().put("query", "\"mode dark\"")).getLong("total"));
    assertEquals(List.of("Postgres is the billing database"),
        Api.contents(search(new JsonObject().put("query", "\"the billing database\""))));
  }

  @Test
  void best_match_comes_first_with_descending_scores() {
    JsonObject result = search(new JsonObject().put("query", "postgres"));
    assertEquals(2, result.getLong("total"));
    assertTrue(Api.contents(result).get(0).startsWith("Postgres postgres postgres"));
    JsonArray results = result.getJsonArray("results");
    double first = results.getJsonObject(0).getDouble("score");
    double second = results.getJsonObject(1).getDouble("score");
    assertTrue(first > second && second > 0 && first < 1, "scores " + first + " > " + second);
  }

  @Test
  void tags_and_metadata_are_searchable() {
    assertEquals(2, search(new JsonObject().put("query", "rust")).getLong("total"));
  }

  @Test
  void filters_narrow_results_and_limit_truncates_but_total_counts_all() {
    assertEquals(List.of("The parser lives in src/file.rs and is tested by parse_test"),
        Api.contents(search(new JsonObject().put("query", "rust").put("workspace", "ENGINE"))));
    assertEquals(1, search(new JsonObject().put("query", "rust").put("memory_type", "learning")).getLong("total"));
    assertEquals(1, search(new JsonObject().put("query", "postgres").put("tags", new JsonArray().add("DB"))
        .put("memory_type", "decision")).getLong("total"));
    JsonObject limited = search(new JsonObject().put("query", "postgres").put("limit", 1));
    assertEquals(1, limited.getJsonArray("results").size());
    assertEquals(2, limited.getLong("total"));
  }

  @Test
  void deleted_memories_leave_the_index() {
    long id = api.createMemory(key, new JsonObject().put("content", "ephemeral zebra fact")).getLong("id");
    assertEquals(1, search(new JsonObject().put("query", "zebra")).getLong("total"));
    assertEquals(204, api.delete("/v1/memories/" + id, key).status());
    assertEquals(0, search(new JsonObject().put("query", "zebra")).getLong("total"));
  }

  @Test
  void updated_content_is_what_search_finds() {
    long id = api.createMemory(key, new JsonObject().put("content", "the walrus migrates north")).getLong("id");
    api.patch("/v1/memories/" + id, key, new JsonObject().put("content", "the penguin migrates south"));
    assertEquals(0, search(new JsonObject().put("query", "walrus")).getLong("total"));
    assertEquals(1, search(new JsonObject().put("query", "penguin")).getLong("total"));
  }

  @Test
  void expired_memories_leave_results_and_the_total() {
    api.createMemory(key, new JsonObject().put("content", "fleeting okapi sighting").put("ttl_seconds", 1));
    api.createMemory(key, new JsonObject().put("content", "lasting okapi habitat"));
    assertEquals(2, search(new JsonObject().put("query", "okapi")).getLong("total"));
    dev.engram.cloud.testing.Eventually.until(java.time.Duration.ofSeconds(10), "the daily memory expires",
        () -> search(new JsonObject().put("query", "okapi")).getLong("total") == 1);
    assertEquals(List.of("lasting okapi habitat"), Api.contents(search(new JsonObject().put("query", "okapi"))));
    assertEquals(1, search(new JsonObject().put("query", "okapi").put("memory_type", "note")).getLong("total"));
  }
}
