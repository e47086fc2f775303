package dev.engram.cloud.search;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Identities and marks on search results, measured on the relevance set of {@link RelevanceHarnessTest} (hybrid, the
 * default), each in a tenant of its own loaded the same way. Identities: naming aliases in queries finds the
 * memories that name the identity, and defining them does not lower the set's own figures. Marks: results marked
 * for the queries that ranked their answer below first raise those queries' MRR and the set's.
 */
@Timeout(180)
class SignalsRelevanceTest {

  static TestServer server;
  static Api api;
  static JsonObject set;

  /** Identities over the set's vocabulary: canonical id, display name (as the memories say it), aliases. */
  static final List<String[]> IDENTITIES = List.of(
      new String[] {"tool:postgres", "Postgres", "pg", "postgresql"},
      new String[] {"tool:kubernetes", "Kubernetes", "k8s"},
      new String[] {"person:alice", "Alice", "al", "billing owner"},
      new String[] {"vendor:stripe", "Stripe", "payment provider"},
      new String[] {"tool:wireguard", "WireGuard", "wg"},
      new String[] {"tool:playwright", "Playwright", "pw"});
  /** Queries that name an alias where the memory names the identity: query → the judged memory's key. */
  static final Map<String, String> ALIAS_QUERIES = Map.of(
      "pg connection pool cap", "pgpool",
      "k8s liveness probe", "k8sprobe",
      "ask al before changing rounding", "alice",
      "payment provider signature header", "stripe",
      "wg staging access", "vpn",
      "pw end-to-end tests", "playwright");

  @BeforeAll
  static void start() {
    set = new JsonObject(RelevanceHarnessTest.resource("/search/relevance-set.json"));
    server = TestServer.start(TestServer.withoutRateLimits());
    api = server.api();
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  /** A tenant holding the relevance set among its distractors, as RelevanceHarnessTest loads it; key → memory id. */
  private static Map<String, Long> load(String key) {
    Random random = new Random(set.getLong("seed"));
    List<JsonObject> memories = new ArrayList<>();
    for (Object o : set.getJsonArray("memories")) memories.add((JsonObject) o);
    int distractors = set.getInteger("distractors");
    int every = distractors / memories.size() + 1;
    Map<String, Long> ids = new HashMap<>();
    int judged = 0;
    for (int i = 0; i < distractors + memories.size(); i++) {
      if (i % every == 0 && judged < memories.size()) {
        JsonObject m = memories.get(judged++);
        JsonObject body = m.copy();
        body.remove("key");
        ids.put(m.getString("key"), api.createMemory(key, body).getLong("id"));
      } else {
        api.createMemory(key, RelevanceHarnessTest.Distractors.next(random));
      }
    }
    while (judged < memories.size()) {
      JsonObject m = memories.get(judged++);
      JsonObject body = m.copy();
      body.remove("key");
      ids.put(m.getString("key"), api.createMemory(key, body).getLong("id"));
    }
    return ids;
  }

  private static JsonArray results(String key, String query, JsonObject filters) {
    JsonObject body = new JsonObject().put("query", query).put("strategy", "hybrid").put("limit", 10);
    if (filters != null) body.mergeIn(filters);
    Api.Response r = api.post("/v1/search", key, body);
    if (r.status() != 200) throw new AssertionError(r.status() + " " + r.body());
    return r.json().getJsonArray("results");
  }

  private static List<Long> ids(JsonArray results) {
    List<Long> out = new ArrayList<>();
    for (Object o : results) out.add(((JsonObject) o).getJsonObject("memory").getLong("id"));
    return out;
  }

  /** Reciprocal rank of the first relevant result within the top 10 (0 when none), and recall@5. */
  private static double[] score(List<Long> found, List<Long> relevant) {
    int hits5 = 0;
    double rr = 0;
    for (int i = 0; i < found.size(); i++) {
      if (relevant.contains(found.get(i))) {
        if (i < 5) hits5++;
        if (rr == 0) rr = 1.0 / (i + 1);
      }
    }
    return new double[] {rr, (double) hits5 / Math.min(5, relevant.size())};
  }

  private static List<Long> relevant(JsonObject q, Map<String, Long> ids) {
    List<Long> out = new ArrayList<>();
    for (Object k : q.getJsonArray("relevant")) out.add(ids.get((String) k));
    return out;
  }

  /** The set's queries: {MRR, recall@5}. */
  private static double[] figures(String key, Map<String, Long> ids) {
    double rr = 0;
    double recall = 0;
    int n = 0;
    for (Object o : set.getJsonArray("queries")) {
      JsonObject q = (JsonObject) o;
      double[] s = score(ids(results(key, q.getString("query"), q.getJsonObject("filters"))), relevant(q, ids));
      rr += s[0];
      recall += s[1];
      n++;
    }
    return new double[] {rr / n, recall / n};
  }

  /** The alias queries: {MRR, recall@5}. */
  private static double[] aliasFigures(String key, Map<String, Long> ids) {
    double rr = 0;
    double recall = 0;
    for (Map.Entry<String, String> q : ALIAS_QUERIES.entrySet()) {
      double[] s = score(ids(results(key, q.getKey(), null)), List.of(ids.get(q.getValue())));
      rr += s[0];
      recall += s[1];
    }
    return new double[] {rr / ALIAS_QUERIES.size(), recall / ALIAS_QUERIES.size()};
  }

  @Test
  void aliases_find_the_identity_and_cost_the_relevance_set_nothing() {
    String key = api.signup().apiKey();
    Map<String, Long> ids = load(key);
    double[] setBefore = figures(key, ids);
    double[] aliasBefore = aliasFigures(key, ids);
    for (String[] identity : IDENTITIES) {
      JsonArray aliases = new JsonArray();
      for (int i = 2; i < identity.length; i++) aliases.add(identity[i]);
      Api.Response r = api.post("/v1/identities", key, new JsonObject().put("canonical_id", identity[0])
          .put("display_name", identity[1]).put("aliases", aliases));
      assertEquals(200, r.status(), r.body());
    }
    double[] setAfter = figures(key, ids);
    double[] aliasAfter = aliasFigures(key, ids);
    System.out.printf("%nidentities (hybrid): relevance set MRR %.3f -> %.3f, recall@5 %.3f -> %.3f;"
            + " %d alias queries MRR %.3f -> %.3f, recall@5 %.3f -> %.3f%n", setBefore[0], setAfter[0], setBefore[1],
        setAfter[1], ALIAS_QUERIES.size(), aliasBefore[0], aliasAfter[0], aliasBefore[1], aliasAfter[1]);
    assertAll(
        () -> assertTrue(setAfter[0] >= setBefore[0] - 1e-9, "identities lowered the set's MRR"),
        () -> assertTrue(setAfter[1] >= setBefore[1] - 1e-9, "identities lowered the set's recall@5"),
        () -> assertTrue(aliasAfter[0] > aliasBefore[0], "aliases did not raise the alias queries' MRR"),
        () -> assertEquals(1.0, aliasAfter[1], 1e-9, "an alias query missed its memory"));
  }

  @Test
  void marks_raise_the_queries_they_were_given_for_and_without_marks_nothing_changes() {
    String key = api.signup().apiKey();
    Map<String, Long> ids = load(key);
    List<JsonObject> queries = new ArrayList<>();
    for (Object o : set.getJsonArray("queries")) queries.add((JsonObject) o);
    // without marks the feedback step hands the ranking back untouched (FeedbackRankingTest), so the set's figures
    // are RelevanceHarnessTest's for hybrid
    double[] unmarked = figures(key, ids);

    // an agent marks, for each query whose answer was not first, the answer useful and the first result not
    List<JsonObject> marked = new ArrayList<>();
    double before = 0;
    for (JsonObject q : queries) {
      List<Long> relevant = relevant(q, ids);
      List<Long> found = ids(results(key, q.getString("query"), q.getJsonObject("filters")));
      double rr = score(found, relevant)[0];
      if (rr == 1.0) continue;
      marked.add(q);
      before += rr;
      for (long id : relevant) mark(key, q.getString("query"), id, "useful");
      if (!found.isEmpty() && !relevant.contains(found.get(0))) mark(key, q.getString("query"), found.get(0), "not_useful");
    }
    double[] all = figures(key, ids);
    double after = 0;
    for (JsonObject q : marked) {
      after += score(ids(results(key, q.getString("query"), q.getJsonObject("filters"))), relevant(q, ids))[0];
    }
    int n = Math.max(1, marked.size());
    System.out.printf("%nfeedback (hybrid): %d of %d queries marked; their MRR %.3f -> %.3f; the whole set's MRR"
            + " %.3f -> %.3f, recall@5 %.3f -> %.3f%n", marked.size(), queries.size(), before / n, after / n,
        unmarked[0], all[0], unmarked[1], all[1]);
    assertTrue(!marked.isEmpty(), "no query to mark");
    assertTrue(after > before, "marks did not raise the marked queries' MRR");
    assertTrue(all[0] > unmarked[0], "marks did not raise the set's MRR");
  }

  private static void mark(String key, String query, long id, String signal) {
    Api.Response r = api.post("/v1/feedback", key, new JsonObject().put("query", query).put("memory_id", id)
        .put("signal", signal));
    assertEquals(201, r.status(), r.body());
  }
}
