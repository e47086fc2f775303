package dev.engram.cloud.search;

import dev.engram.cloud.search.HybridRanker.Candidate;
import dev.engram.cloud.search.HybridRanker.Facts;
import dev.engram.cloud.search.HybridRanker.Scored;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plain-Java parts of search: edit distance, vocabulary, embedder, vector index, text analysis and keyword
 * queries, fusion and the auto rule.
 */
class SearchScoringTest {

  @ParameterizedTest
  @CsvSource({"async,async,0", "asynch,async,1", "awiat,await,1", "kitten,sitting,3", "rust,rsut,1", "abc,,3",
      "postgress,postgres,1", "flaw,lawn,2"})
  void edit_distance_counts_insertions_deletions_substitutions_and_swaps(String a, String b, int expected) {
    String right = b == null ? "" : b;
    assertEquals(Math.min(expected, 3), EditDistance.within(a, right, 2) > 2 ? 3 : EditDistance.within(a, right, 2));
  }

  @Test
  void vocabulary_corrects_to_the_closest_then_most_common_word() {
    Vocabulary v = new Vocabulary.Builder().add("async", 3).add("await", 2).add("rust", 9).add("trust", 1)
        .add("postgres", 5).add("posters", 1).build();
    assertEquals("async", v.correct("asynch").orElseThrow().suggestion());
    assertEquals("await", v.correct("awiat").orElseThrow().suggestion());
    assertEquals("postgres", v.correct("postgress").orElseThrow().suggestion());
    assertTrue(v.correct("rust").isEmpty(), "known words stay");
    assertTrue(v.correct("rsu").isEmpty(), "words under 4 characters stay");
    assertTrue(v.correct("zeppelin").isEmpty(), "nothing within 2 edits");
  }

  @Test
  void embedder_puts_related_texts_closer_than_unrelated_ones() {
    Embedder e = new HashingEmbedder();
    float[] doc = e.embed("Use async/await for I/O-bound work in Rust");
    float[] typo = e.embed("asynch awiat rust");
    float[] other = e.embed("User prefers dark mode in every editor");
    assertEquals(384, doc.length);
    assertTrue(Vectors.cosine(doc, typo) > Vectors.cosine(doc, other) + 0.1);
    assertArrayEquals(doc, e.embed("Use async/await for I/O-bound work in Rust"), "deterministic");
    assertEquals(1.0, Vectors.cosine(doc, doc), 1e-4);
  }

  @Test
  void a_stored_vector_reads_back_close_to_the_computed_one() {
    Embedder e = new HashingEmbedder();
    float[] a = e.embed("retries with exponential backoff for webhooks");
    float[] b = e.embed("webhook retry backoff policy");
    float[] stored = Vectors.unitOrNull(Vectors.quantize(b));
    assertEquals(Vectors.cosine(a, b), Vectors.cosine(a, stored), 0.02);
    assertEquals(1.0, Vectors.cosine(stored, stored), 1e-5);
    assertNull(Vectors.unitOrNull(Vectors.quantize(new float[384])), "nothing to embed, no vector");
  }

  static Candidate both(long id, double bm25, double cosine) {
    return new Candidate(id, bm25, cosine, bm25 > 0 ? 1 : 0, 1);
  }

  @Test
  void fusion_weighs_both_scores_and_scores_stay_in_0_1() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    Map<Long, Facts> facts = Map.of(
        1L, new Facts("alpha", 0.5, now), 2L, new Facts("beta", 0.5, now), 3L, new Facts("gamma", 0.5, now));
    // 1: the best BM25, no vector yet; 2: nearly as good by keyword and close in meaning; 3: meaning only
    List<Scored> out = HybridRanker.rank(List.of(both(1, 5, Double.NaN), both(2, 4, 0.9), both(3, 0, 0.8)), facts,
        "q", HybridRanker.Weights.DEFAULT, now, false);
    assertEquals(List.of(2L, 1L, 3L), out.stream().map(Scored::id).toList());
    for (Scored s : out) assertTrue(s.score() > 0 && s.score() <= 1);
    assertEquals(0.85, out.get(0).explain().getDouble("fused"), 1e-9, "(4/5 + 0.9) / 2");
    assertNull(out.get(1).explain().getValue("semantic"), "no vector, no semantic part");
  }

  @Test
  void rerank_breaks_ties_by_recency_importance_and_exact_phrase() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    List<Candidate> tied = List.of(both(1, 1, 0.5), both(2, 1, 0.5));
    HybridRanker.Weights w = HybridRanker.Weights.DEFAULT;
    // equal fusion; the newer one wins
    List<Scored> byAge = HybridRanker.rank(tied, Map.of(1L, new Facts("x", 0.5, now.minus(Duration.ofDays(300))),
        2L, new Facts("y", 0.5, now.minus(Duration.ofDays(299)))), "q", w, now, false);
    assertEquals(2L, byAge.get(0).id());
    List<Scored> byImportance = HybridRanker.rank(tied, Map.of(1L, new Facts("x", 0.9, now),
        2L, new Facts("y", 0.1, now)), "q", w, now, false);
    assertEquals(1L, byImportance.get(0).id());
    List<Scored> byPhrase = HybridRanker.rank(tied, Map.of(1L, new Facts("pool of connection", 0.5, now),
        2L, new Facts("the Connection-Pool size", 0.5, now)), "connection pool", w, now, false);
    assertEquals(2L, byPhrase.get(0).id());
    JsonObject explain = byPhrase.get(0).explain();
    double sum = explain.getDouble("fused") / (1 + w.recency() + w.importance() + w.phrase());
    for (String signal : List.of("recency", "importance", "exact_phrase")) {
      sum += explain.getJsonObject(signal).getDouble("contribution");
    }
    assertEquals(explain.getDouble("score"), sum, 1e-12, "the contributions add up to the score");
  }

  @Test
  void recency_and_importance_never_bury_a_clearly_better_match() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    // the answer: fused 0.8, a year old, unimportant; the other: fused 0.65, written now, important, and holding
    // the query as a phrase. The signals move a memory by at most their share (20%), not past that gap.
    List<Scored> out = HybridRanker.rank(List.of(both(1, 10, 0.6), both(2, 5, 0.8)), Map.of(
        1L, new Facts("the answer", 0.0, now.minus(Duration.ofDays(365))),
        2L, new Facts("a q r note", 1.0, now)), "q r", HybridRanker.Weights.DEFAULT, now, false);
    assertEquals(1L, out.get(0).id(), out.toString());
  }

  @Test
  void a_named_projects_context_moves_up_and_nothing_changes_when_no_project_is_named() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    List<Candidate> candidates = List.of(both(1, 2, 0.6), both(2, 1.9, 0.59), both(3, 1.8, 0.58));
    Map<Long, Facts> facts = Map.of(1L, new Facts("a", 0.5, now), 2L, new Facts("b", 0.5, now),
        3L, new Facts("c", 0.5, now, true));
    HybridRanker.Weights w = HybridRanker.Weights.DEFAULT;
    List<Scored> plain = HybridRanker.rank(candidates, facts, "q", w, now, false);
    assertEquals(List.of(1L, 2L, 3L), plain.stream().map(Scored::id).toList());
    assertFalse(plain.get(0).explain().containsKey("project_context"));
    List<Scored> named = HybridRanker.rank(candidates, facts, "q", w, now, true);
    assertEquals(3L, named.get(0).id());
    assertTrue(named.get(0).explain().getJsonObject("project_context").getBoolean("value"));
    for (Scored s : named) assertTrue(s.score() > 0 && s.score() <= 1);
  }
}
