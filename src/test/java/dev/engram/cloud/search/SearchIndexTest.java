package dev.engram.cloud.search;

import org.apache.lucene.search.Query;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The keyword index alone: analysis, queries, filters, the vocabulary and what survives a reopen. */
class SearchIndexTest {

  @TempDir
  Path dir;

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  static SearchIndex.Doc doc(long id, String content, String... tags) {
    return new SearchIndex.Doc(id, content, List.of(tags), "{}", "default", "note", "permanent", 0.5, T0, T0, null);
  }

  static SearchIndex.Doc doc(long id, String content, String workspace, String type, String tier, double importance,
                              Instant created, String... tags) {
    return new SearchIndex.Doc(id, content, List.of(tags), "{\"project\":\"engram\"}", workspace, type, tier,
        importance, created, created, null);
  }

  /** The ids the query finds, best first (ties: lower id first, as Lucene breaks them). */
  static List<Long> find(SearchIndex index, String text) throws IOException {
    return find(index, text, Map.of(), SearchFilter.NONE);
  }

  static List<Long> find(SearchIndex index, String text, Map<String, String> corrections, SearchFilter filter)
      throws IOException {
    List<Long> out = new ArrayList<>();
    Query q = KeywordQuery.of(text, corrections).orElse(null);
    if (q == null) return out;
    try (SearchIndex.Searcher s = index.searcher()) {
      for (HybridRanker.Ranked r : s.top(q, SearchIndex.filter(filter), 10, 1000, SearchBudget.ofMillis(10_000))
          .hits()) {
        out.add(r.id());
      }
    }
    return out;
  }

  @Test
  void analysis_splits_identifiers_drops_stop_words_and_stems() {
    assertEquals(List.of("carolin", "went", "lgbtq", "support", "group"),
        TextAnalysis.terms(TextAnalysis.SEARCH, "When did Caroline's went to the LGBTQ support-group?"));
    assertEquals(List.of("src", "file", "rs", "pars", "test", "rml", "916"),
        TextAnalysis.terms(TextAnalysis.SEARCH, "src/file.rs parse_test RML-916"));
    assertEquals(List.of("the", "preferences", "of", "ünïcödé"),
        TextAnalysis.terms(TextAnalysis.WORDS, "The preferences of Ünïcödé"));
  }

  @Test
  void questions_find_the_memories_holding_their_telling_words_and_every_word_ranks_first() throws IOException {
    try (SearchIndex index = SearchIndex.open(dir)) {
      index.apply(List.of(
          doc(1, "Caroline: I went to a LGBTQ support group yesterday and it was so powerful."),
          doc(2, "Melanie: the support of my family means everything."),
          doc(3, "Caroline: researching adoption agencies."),
          doc(4, "The group chat was quiet.")), List.of(), 4);
      assertEquals(1L, find(index, "When did Caroline go to the LGBTQ support group?").get(0));
      assertEquals(List.of(), find(index, "what is it that they were"), "stop words only");
      assertEquals(List.of(3L), find(index, "adoption"));
    }
  }

  @Test
  void identifiers_match_their_parts_in_order() throws IOException {
    try (SearchIndex index = SearchIndex.open(dir)) {
      index.apply(List.of(doc(1, "The parser lives in src/file.rs and is tested by parse_test"),
          doc(2, "a file of rs notes; test the parse"), doc(3, "Ticket RML-916 tracks it")), List.of(), 3);
      assertEquals(1L, find(index, "src/file.rs").get(0));
      assertEquals(List.of(1L), find(index, "file.rs"), "the parts must be adjacent and in order");
      assertEquals(List.of(1L), find(index, "parse_test"));
      assertEquals(List.of(3L), find(index, "rml-916"));
    }
  }

  @Test
  void a_quoted_phrase_is_required_and_other_words_rank() throws IOException {
    try (SearchIndex index = SearchIndex.open(dir)) {
      index.apply(List.of(doc(1, "User prefers dark mode in every editor"), doc(2, "dark theme, light mode"),
          doc(3, "dark mode for the terminal editor")), List.of(), 3);
      assertEquals(List.of(3L, 1L), find(index, "\"dark mode\" terminal"));
      assertEquals(List.of(), find(index, "\"mode dark\""));
      assertTrue(KeywordQuery.quotesPhrase("\"dark mode\" x"));
      assertFalse(KeywordQuery.quotesPhrase("\"the\" dark"), "a quoted stop word is no phrase");
    }
  }

  @Test
  void a_corrected_word_matches_either_spelling() throws IOException {
    try (SearchIndex index = SearchIndex.open(dir)) {
      index.apply(List.of(doc(1, "Use async/await for I/O-bound work in Rust")), List.of(), 1);
      assertEquals(List.of(), find(index, "asynch awiat"));
      assertEquals(List.of(1L), find(index, "asynch awiat", Map.of("asynch", "async", "awiat", "await"),
          SearchFilter.NONE));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "\"", "\"\"", "a\"b\"c", "(", "NOT", "-x", "*", "title:x", "😀", "\u0000", "C++",
      "https://example.com/x?y=1", "\\", "\"unclosed quote", "AND OR NOT"})
  void any_text_is_a_valid_query(String text) throws IOException {
    try (SearchIndex index = SearchIndex.open(dir)) {
      index.apply(List.of(doc(1, "not and or x y")), List.of(), 1);
      find(index, text); // never throws
    }
  }

  @Test
  void simple_filters_apply_in_the_index() throws IOException {
    Instant later = T0.plusSeconds(3600);
    try (SearchIndex index = SearchIndex.open(dir)) {
      index.apply(List.of(
          doc(1, "postgres pool", "ops", "decision", "permanent", 0.9, T0, "DB", "infra"),
          doc(2, "postgres vacuum", "ops", "issue", "daily", 0.2, later, "db"),
          doc(3, "postgres backups", "default", "note", "permanent", 0.5, later, "Backups")), List.of(), 3);
      assertEquals(List.of(1L, 2L), sorted(find(index, "postgres", Map.of(), filter(List.of("ops"), null, false, null,
          null, null, null, null, null))));
      assertEquals(List.of(1L, 2L), sorted(find(index, "postgres", Map.of(), filter(null, List.of("db"), false, null,
          null, null, null, null, null))), "tags ignore ASCII case");
      assertEquals(List.of(1L), find(index, "postgres", Map.of(), filter(null, List.of("db", "INFRA"), false, null,
          null, null, null, null, null)), "all tags");
      assertEquals(List.of(1L, 3L), sorted(find(index, "postgres", Map.of(), filter(null, List.of("infra", "backups"),
          true, null, null, null, null, null, null))), "any tag");
      assertEquals(List.of(2L), find(index, "postgres", Map.of(), filter(null, null, false, "issue", "daily", null,
          null, null, null)));
      assertEquals(List.of(1L, 3L), sorted(find(index, "postgres", Map.of(), filter(null, null, false, null, null,
          0.5, 0.9, null, null))), "importance bounds are inclusive");
      assertEquals(List.of(2L, 3L), sorted(find(index, "postgres", Map.of(), filter(null, null, false, null, null,
          null, null, T0, null))), "created_after is exclusive");
      assertEquals(List.of(), find(index, "postgres", Map.of(), filter(null, null, false, null, null, null, null,
          null, T0)), "created_before is exclusive");
    }
  }

  static SearchFilter filter(List<String> workspaces, List<String> tags, boolean anyTag, String type, String tier,
                             Double importanceMin, Double importanceMax, Instant createdAfter, Instant createdBefore) {
    return new SearchFilter(workspaces, tags, anyTag, type, tier, importanceMin, importanceMax, createdAfter,
        createdBefore, null, null, null);
  }

  static List<Long> sorted(List<Long> ids) {
    return ids.stream().sorted().toList();
  }

  @Test
  void vectors_find_their_nearest_with_filters_and_an_update_without_one_leaves_the_graph() throws IOException {
    Embedder e = new HashingEmbedder();
    String[] texts = {"postgres connection pool", "redis cache eviction", "kafka consumer lag", "postgres vacuum"};
    try (SearchIndex index = SearchIndex.open(dir)) {
      List<SearchIndex.Doc> docs = new ArrayList<>();
      for (int i = 0; i < texts.length; i++) {
        docs.add(new SearchIndex.Doc(i + 1, texts[i], List.of(), "{}", i < 2 ? "ops" : "default", "note",
            "permanent", 0.5, T0, T0, e.embed(texts[i])));
      }
      index.apply(docs, List.of(), 4);
      float[] q = e.embed("postgres pool");
      try (SearchIndex.Searcher s = index.searcher()) {
        List<HybridRanker.Ranked> near = s.nearest(q, 2, null);
        assertEquals(List.of(1L, 4L), near.stream().map(HybridRanker.Ranked::id).toList());
        assertEquals(Vectors.cosine(q, e.embed(texts[0])), near.get(0).signal(), 0.02, "the score is the cosine");
        assertEquals(List.of(4L), s.nearest(q, 1, SearchIndex.filter(filter(List.of("default"), null, false, null,
            null, null, null, null, null))).stream().map(HybridRanker.Ranked::id).toList());
        assertEquals(List.of(3L), s.nearest(q, 5, SearchIndex.ids(List.of(3L))).stream()
            .map(HybridRanker.Ranked::id).toList(), "only the given ids, however far");
      }
      index.apply(List.of(doc(1, "postgres connection pool, rewritten")), List.of(4L), 6);
      try (SearchIndex.Searcher s = index.searcher()) {
        assertTrue(s.nearest(q, 4, null).stream().noneMatch(h -> h.id() == 1 || h.id() == 4),
            "a memory without its vector (yet) or deleted is not found by meaning");
      }
    }
  }

  @Test
  void the_vocabulary_counts_live_memories_only() throws IOException {
    try (SearchIndex index = SearchIndex.open(dir)) {
      index.apply(List.of(doc(1, "zebra crossing"), doc(2, "zebra stripes", "Zebra")), List.of(), 2);
      try (SearchIndex.Searcher s = index.searcher()) {
        assertEquals("zebra", s.vocabulary().correct("zebre").orElseThrow().suggestion());
      }
      index.apply(List.of(), List.of(1L, 2L), 4);
      try (SearchIndex.Searcher s = index.searcher()) {
        assertTrue(s.vocabulary().correct("zebre").isEmpty(), "a deleted memory's words are not suggested");
      }
    }
  }

  @Test
  void a_common_word_costs_what_the_page_returns_and_the_total_is_counted_on_demand() throws IOException {
    try (SearchIndex index = SearchIndex.open(dir)) {
      List<SearchIndex.Doc> docs = new ArrayList<>();
      for (int i = 1; i <= 3000; i++) docs.add(doc(i, "tenant quota latency note number " + i));
      index.apply(docs, List.of(), 3000);
      Query q = KeywordQuery.of("tenant quota latency").orElseThrow();
      try (SearchIndex.Searcher s = index.searcher()) {
        SearchIndex.Hits top = s.top(q, null, 10, 10, SearchBudget.ofMillis(10_000));
        assertEquals(10, top.hits().size());
        assertFalse(top.totalExact(), "top-k collection stopped counting");
        assertEquals(3000, s.count(q));
      }
    }
  }

  @Test
  void a_commit_keeps_the_position_and_a_damaged_index_is_replaced_by_an_empty_one() throws IOException {
    try (SearchIndex index = SearchIndex.open(dir)) {
      assertTrue(index.created());
      index.apply(List.of(doc(1, "kept across a restart")), List.of(), 7);
      index.commit();
      index.apply(List.of(doc(2, "applied, not committed")), List.of(), 8);
    }
    try (SearchIndex index = SearchIndex.open(dir)) {
      assertFalse(index.created());
      assertEquals(8, index.appliedSeq(), "closing commits what was applied");
      assertEquals(List.of(1L), find(index, "restart"));
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().startsWith("segments")).toList()) {
        Files.write(f, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
      }
    }
    try (SearchIndex index = SearchIndex.open(dir)) {
      assertTrue(index.created(), "unreadable: rebuilt from nothing");
      assertEquals(0, index.appliedSeq());
      assertEquals(List.of(), find(index, "restart"));
    }
  }
}
