package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Strategies, typo tolerance, suggest, explain and filters, through the REST API. */
@Timeout(60)
class HybridSearchTest {

  static final String ASYNC = "Use async/await for I/O-bound work in Rust";
  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;
  static String key;

  @BeforeAll
  static void given_a_tenant_with_memories() {
    api = server.api();
    key = api.signup().apiKey();
    create(ASYNC, "learning", "default", 0.9, new JsonObject().put("project", "engram").put("lang", "rust")
        .put("stars", 5), "rust", "concurrency");
    create("Threads are heavier than tasks; prefer an executor for blocking work", "learning", "default", 0.5,
        new JsonObject().put("project", "engram").put("stars", 3), "jvm");
    create("The deploy pipeline runs database migrations before the canary release", "decision", "ops", 0.7,
        new JsonObject().put("project", "infra").put("owners", new JsonArray().add("alice").add("bob")), "deploy");
    create("Postgres connection pool is capped at 32 per service", "note", "ops", 0.4,
        new JsonObject().put("project", "infra").put("nested", new JsonObject().put("level", 2)), "db", "postgres");
    create("User prefers dark mode in every editor", "preference", "default", 0.2, new JsonObject(), "ui");
    create("Retry failed webhook deliveries with exponential backoff", "note", "team-a", 0.6,
        new JsonObject().put("project", "billing").put("draft", true), "webhooks");
    api.awaitVectors(key);
  }

  static void create(String content, String type, String workspace, double importance, JsonObject metadata,
                     String... tags) {
    api.createMemory(key, new JsonObject().put("content", content).put("memory_type", type)
        .put("workspace", workspace).put("importance", importance).put("metadata", metadata)
        .put("tags", new JsonArray(List.of(tags))));
  }

  static JsonObject search(JsonObject body) {
    return api.search(key, body);
  }

  /** A keyword search, unless the body names a strategy: its total counts exactly the memories that match. */
  static JsonObject keyword(JsonObject body) {
    return api.search(key, body.containsKey("strategy") ? body : body.copy().put("strategy", "keyword"));
  }

  @Test
  void a_misspelt_query_finds_the_memory_in_hybrid_and_auto() {
    for (String strategy : List.of("hybrid", "auto")) {
      JsonObject result = search(new JsonObject().put("query", "asynch awiat rust").put("strategy", strategy));
      assertEquals(ASYNC, Api.contents(result).get(0), strategy);
      assertEquals("async await rust", result.getString("corrected_query"));
      assertEquals("hybrid", result.getString("strategy"));
    }
  }

  @Test
  void the_default_is_hybrid_and_keyword_takes_words_as_written() {
    JsonObject result = search(new JsonObject().put("query", "asynch awiat rust"));
    assertEquals("hybrid", result.getString("strategy"));
    assertEquals("async await rust", result.getString("corrected_query"));
    JsonObject keyword = search(new JsonObject().put("query", "asynch awiat rust").put("strategy", "keyword"));
    assertEquals("keyword", keyword.getString("strategy"));
    assertNull(keyword.getValue("corrected_query"));
    assertEquals(List.of(ASYNC), Api.contents(keyword), "found by 'rust' alone");
  }

  @Test
  void suggest_returns_the_corrected_query() {
    Api.Response r = api.post("/v1/search/suggest", key, new JsonObject().put("query", "asynch awiat rust"));
    assertEquals(200, r.status(), r.body());
    assertEquals("async await rust", r.json().getString("suggestion"));
    assertTrue(r.json().getBoolean("changed"));
    assertEquals(2, r.json().getJsonArray("corrections").size());
    JsonObject unchanged = api.post("/v1/search/suggest", key, new JsonObject().put("query", "postgres pool")).json();
    assertEquals("postgres pool", unchanged.getString("suggestion"));
    assertFalse(unchanged.getBoolean("changed"));
  }

  @Test
  void words_that_match_when_stemmed_are_not_corrected() {
    JsonObject r = api.post("/v1/search/suggest", key, new JsonObject().put("query", "preferring migration")).json();
    assertFalse(r.getBoolean("changed"), r.encode());
  }

  @Test
  void semantic_finds_related_wording_and_scores_within_0_1() {
    JsonObject result = search(new JsonObject().put("query", "blocking threads executor").put("strategy", "semantic"));
    assertEquals("semantic", result.getString("strategy"));
    assertTrue(Api.contents(result).get(0).startsWith("Threads are heavier"));
    double previous = 1;
    for (Object o : result.getJsonArray("results")) {
      double score = ((JsonObject) o).getDouble("score");
      assertTrue(score >= 0 && score <= previous, "descending scores in [0,1]");
      previous = score;
    }
  }

  @Test
  void every_strategy_finds_memories_matching_only_some_words() {
    // no memory holds all of these words
    for (String strategy : List.of("keyword", "hybrid", "auto")) {
      JsonObject result = search(new JsonObject().put("query", "postgres pool size tuning").put("strategy", strategy));
      assertTrue(Api.contents(result).get(0).startsWith("Postgres connection pool"), strategy);
    }
  }

  @Test
  void auto_is_hybrid_and_identifiers_come_first() {
    for (String strategy : List.of("auto", "hybrid")) {
      JsonObject result = search(new JsonObject().put("query", "I/O-bound").put("strategy", strategy));
      assertEquals("hybrid", result.getString("strategy"));
      assertEquals(ASYNC, Api.contents(result).get(0), strategy);
    }
  }

  @Test
  void explain_shows_each_signal() {
    JsonObject result = search(new JsonObject().put("query", "async rust").put("strategy", "hybrid").put("explain", true));
    JsonObject first = result.getJsonArray("results").getJsonObject(0);
    JsonObject explain = first.getJsonObject("explain");
    assertNotNull(explain.getJsonObject("keyword"));
    assertNotNull(explain.getJsonObject("semantic"));
    assertEquals(1, explain.getJsonObject("keyword").getInteger("rank"));
    assertEquals(first.getDouble("score"), explain.getDouble("score"));
    assertTrue(explain.getJsonObject("exact_phrase").getBoolean("value") == false);
    assertTrue(explain.getJsonObject("importance").getDouble("contribution") > 0);
    assertNull(search(new JsonObject().put("query", "async rust")).getJsonArray("results").getJsonObject(0)
        .getValue("explain"));
    JsonObject keyword = search(new JsonObject().put("query", "rust").put("explain", true));
    assertNotNull(keyword.getJsonArray("results").getJsonObject(0).getJsonObject("explain").getJsonObject("keyword"));
  }

  @Test
  void an_exact_phrase_ranks_first_in_hybrid() {
    JsonObject result = search(new JsonObject().put("query", "connection pool").put("strategy", "hybrid")
        .put("explain", true));
    JsonObject first = result.getJsonArray("results").getJsonObject(0);
    assertTrue(first.getJsonObject("memory").getString("content").startsWith("Postgres connection pool"));
    assertTrue(first.getJsonObject("explain").getJsonObject("exact_phrase").getBoolean("value"));
  }

  @Test
  void filters_apply_on_every_strategy() {
    for (String strategy : List.of("keyword", "semantic", "hybrid", "auto")) {
      JsonObject body = new JsonObject().put("query", "work").put("strategy", strategy)
          .put("filter", new JsonObject().put("field", "metadata.lang").put("op", "eq").put("value", "rust"));
      assertEquals(List.of(ASYNC), Api.contents(search(body)), strategy);
      JsonObject inOps = new JsonObject().put("query", "pipeline pool webhook").put("strategy", strategy)
          .put("workspaces", new JsonArray().add("ops").add("TEAM-A")).put("memory_type", "note");
      for (String c : Api.contents(search(inOps))) {
        assertTrue(c.startsWith("Postgres") || c.startsWith("Retry"), strategy + ": " + c);
      }
    }
  }

  @Test
  void filter_tree_with_and_or_and_every_operator() {
    JsonObject tree = new JsonObject().put("or", new JsonArray()
        .add(new JsonObject().put("and", new JsonArray()
            .add(cond("metadata.project", "eq", "engram"))
            .add(cond("metadata.stars", "gte", 4))))
        .add(cond("metadata.owners", "contains", "bob"))
        .add(cond("metadata.nested.level", "gt", 1)));
    JsonObject result = keyword(new JsonObject().put("query", "work release pool").put("strategy", "hybrid")
        .put("limit", 20).put("filter", tree));
    List<String> found = Api.contents(result);
    assertEquals(3, found.size(), found.toString());
    assertTrue(found.contains(ASYNC));

    assertEquals(List.of("Retry failed webhook deliveries with exponential backoff"),
        Api.contents(keyword(new JsonObject().put("query", "retry webhook").put("filter", cond("metadata.draft", "eq", true)))));
    assertEquals(0, keyword(new JsonObject().put("query", "webhook").put("filter", cond("metadata.draft", "neq", true)))
        .getLong("total"));
    assertEquals(1, keyword(new JsonObject().put("query", "postgres").put("filter", cond("metadata.draft", "neq", true)))
        .getLong("total"), "a missing key is not equal");
    assertEquals(1, keyword(new JsonObject().put("query", "rust").put("filter", cond("metadata.project", "exists", true)))
        .getLong("total"));
    assertEquals(0, keyword(new JsonObject().put("query", "rust").put("filter", cond("metadata.project", "exists", false)))
        .getLong("total"));
    assertEquals(1, keyword(new JsonObject().put("query", "pool").put("filter", cond("content", "contains", "CAPPED")))
        .getLong("total"));
    assertEquals(0, keyword(new JsonObject().put("query", "pool").put("filter", cond("content", "not_contains", "capped")))
        .getLong("total"));
    assertEquals(1, keyword(new JsonObject().put("query", "rust").put("filter", cond("tags", "contains", "Concurrency")))
        .getLong("total"));
    assertEquals(0, keyword(new JsonObject().put("query", "rust").put("filter", cond("importance", "lt", 0.9)))
        .getLong("total"));
    assertEquals(1, keyword(new JsonObject().put("query", "rust").put("filter", cond("importance", "lte", 0.9)))
        .getLong("total"));
    assertEquals(1, keyword(new JsonObject().put("query", "rust").put("filter", cond("memory_type", "neq", "note")))
        .getLong("total"));
    assertEquals(1, keyword(new JsonObject().put("query", "rust").put("filter", cond("created_at", "gt", "2020-01-01")))
        .getLong("total"));
    assertEquals(0, keyword(new JsonObject().put("query", "rust").put("filter", cond("created_at", "lt", "2020-01-01T00:00:00Z")))
        .getLong("total"));
  }

  @Test
  void simple_filters_tags_any_all_tier_importance_and_dates() {
    JsonObject any = new JsonObject().put("query", "deploy pool").put("strategy", "hybrid").put("limit", 20)
        .put("tags", new JsonArray().add("deploy").add("db")).put("tags_mode", "any");
    assertEquals(2, Api.contents(search(any)).size());
    JsonObject all = any.copy().put("tags_mode", "all");
    assertEquals(0, Api.contents(search(all)).size());
    assertEquals(1, keyword(new JsonObject().put("query", "rust").put("importance_min", 0.8).put("importance_max", 1))
        .getLong("total"));
    assertEquals(0, keyword(new JsonObject().put("query", "rust").put("tier", "daily")).getLong("total"));
    assertEquals(1, keyword(new JsonObject().put("query", "rust").put("created_after", "2020-01-01")
        .put("updated_before", "2999-01-01T00:00:00Z")).getLong("total"));
    assertEquals(0, keyword(new JsonObject().put("query", "rust").put("created_before", "2020-01-01")).getLong("total"));
  }

  @Test
  void semantic_follows_updates_and_deletes() {
    long id = api.createMemory(key, new JsonObject().put("content", "zanzibar spice market notes")).getLong("id");
    // found by keyword at once, by meaning once its vector is computed
    assertEquals("zanzibar spice market notes", Api.contents(search(new JsonObject().put("query", "zanzibar spice")
        .put("strategy", "keyword"))).get(0));
    Eventually.until(Duration.ofSeconds(30), "the new memory's vector", () -> Api.contents(search(new JsonObject()
        .put("query", "zanzibar spice").put("strategy", "semantic"))).contains("zanzibar spice market notes"));
    api.patch("/v1/memories/" + id, key, new JsonObject().put("content", "kilimanjaro climbing permit"));
    // the old vector goes with the old content, in the same commit
    assertFalse(Api.contents(search(new JsonObject().put("query", "zanzibar spice").put("strategy", "semantic")))
        .contains("zanzibar spice market notes"));
    Eventually.until(Duration.ofSeconds(30), "the updated memory's vector", () -> Api.contents(search(new JsonObject()
        .put("query", "kilimanjaro permit").put("strategy", "semantic"))).contains("kilimanjaro climbing permit"));
    assertEquals("kilimanjaro climbing permit", Api.contents(search(new JsonObject().put("query", "kilimanjaro permit")
        .put("strategy", "semantic"))).get(0));
    assertEquals(204, api.delete("/v1/memories/" + id, key).status());
    assertFalse(Api.contents(search(new JsonObject().put("query", "kilimanjaro permit").put("strategy", "hybrid")))
        .contains("kilimanjaro climbing permit"));
  }

  @Test
  void tenants_never_see_each_others_results() {
    String other = api.signup().apiKey();
    for (String strategy : List.of("keyword", "semantic", "hybrid")) {
      Api.Response r = api.post("/v1/search", other, new JsonObject().put("query", "asynch rust").put("strategy", strategy));
      assertEquals(200, r.status());
      assertEquals(0, r.json().getJsonArray("results").size(), strategy);
    }
    Api.Response s = api.post("/v1/search/suggest", other, new JsonObject().put("query", "asynch awiat"));
    assertFalse(s.json().getBoolean("changed"));
  }

  static JsonObject cond(String field, String op, Object value) {
    return new JsonObject().put("field", field).put("op", op).put("value", value);
  }
}
