package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.RunningServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * search.keyword_window: an unfiltered keyword list ranks only the newest matches of a common word (bounding BM25's
 * cost), while filtered searches and the total still see every match.
 */
class KeywordWindowTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(new JsonObject().put("search", new JsonObject().put("keyword_window", 3)));
  static Api api;
  static String key;

  @BeforeAll
  static void given_a_word_in_more_memories_than_the_window() {
    api = server.api();
    key = api.signup().apiKey();
    // the oldest is the strongest match, in a workspace of its own
    create("Quasar quasar quasar", "archive");
    create("A long note about many things, quasar among them, and several other unrelated topics as well", "default");
    create("Another long note that mentions quasar once among plenty of other words in a sentence", "default");
    create("Quasar survey notes", "default");
    create("Quasar calibration", "default");
  }

  static void create(String content, String workspace) {
    api.createMemory(key, new JsonObject().put("content", content).put("workspace", workspace)
        .put("tags", new JsonArray()));
  }

  static JsonObject search(JsonObject body) {
    return api.search(key, body);
  }

  @Test
  void keyword_ranks_the_newest_matches_and_counts_them_all() {
    // a page of 3 ranks the newest 3 (a list never ranks fewer matches than its length)
    JsonObject result = search(new JsonObject().put("query", "quasar").put("strategy", "keyword").put("limit", 3));
    List<String> found = Api.contents(result);
    assertEquals(List.of("Quasar calibration", "Quasar survey notes",
        "Another long note that mentions quasar once among plenty of other words in a sentence"), found);
    assertEquals(5, result.getLong("total"));
  }

  @Test
  void a_filter_still_reaches_older_matches() {
    JsonObject result = search(new JsonObject().put("query", "quasar").put("strategy", "keyword")
        .put("workspace", "archive").put("limit", 3));
    assertEquals(List.of("Quasar quasar quasar"), Api.contents(result));
  }

  @Test
  void a_list_longer_than_the_window_ranks_every_match() {
    List<String> found = Api.contents(search(new JsonObject().put("query", "quasar").put("strategy", "keyword")));
    assertEquals("Quasar quasar quasar", found.get(0));
    assertEquals(5, found.size());
  }
}
