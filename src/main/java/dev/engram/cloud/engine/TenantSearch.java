package dev.engram.cloud.engine;

import dev.engram.cloud.model.MemoryTypes;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.engine.EngineMessages.Search;
import dev.engram.cloud.engine.EngineMessages.Suggest;
import dev.engram.cloud.engine.EngineReplies.SearchResults;
import dev.engram.cloud.engine.EngineReplies.Suggestion;
import dev.engram.cloud.search.EditDistance;
import dev.engram.cloud.search.Embedder;
import dev.engram.cloud.search.FtsQuery;
import dev.engram.cloud.search.HybridRanker;
import dev.engram.cloud.search.HybridRanker.Facts;
import dev.engram.cloud.search.HybridRanker.Ranked;
import dev.engram.cloud.search.HybridRanker.Scored;
import dev.engram.cloud.search.SearchBudget;
import dev.engram.cloud.search.SearchFilter;
import dev.engram.cloud.search.Strategy;
import dev.engram.cloud.search.VectorIndex;
import dev.engram.cloud.search.Vocabulary;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The search strategies of one tenant, over one of its connections and its {@link SearchCache}. Thread-safe:
 * reads run on several reader connections at once.
 */
final class TenantSearch {

  /** A semantic scan with filters looks at this many times more rows than it needs, growing when filters bite. */
  private static final int FILTER_OVERSAMPLE = 10;

  private final Embedder embedder;
  private final SearchCache cache;
  private final EngramConfig.Search config;

  TenantSearch(Embedder embedder, SearchCache cache, EngramConfig.Search config) {
    this.embedder = embedder;
    this.cache = cache;
    this.config = config;
  }

  /** Runs the search within {@code search.budget_ms}; an answer cut short carries {@code partial: true}. */
  SearchResults search(MemoryStore store, Search q, Instant now) throws SQLException {
    return SearchResults.of(search(store, q, now, SearchBudget.ofMillis(config.budgetMs())));
  }

  JsonObject search(MemoryStore store, Search q, Instant now, SearchBudget budget) throws SQLException {
    Strategy strategy = q.strategy() != null ? q.strategy() : config.defaultStrategy();
    if (strategy == Strategy.AUTO) {
      if (Strategy.auto(q.query()) == Strategy.KEYWORD) {
        JsonObject exact = keyword(store, q, now, budget);
        if (!exact.getJsonArray("results").isEmpty()) return answer(exact, Strategy.KEYWORD, budget);
      }
      strategy = Strategy.HYBRID;
    }
    JsonObject out;
    if (strategy == Strategy.KEYWORD) out = keyword(store, q, now, budget);
    else if (strategy == Strategy.SEMANTIC) out = semantic(store, q, now, budget);
    else out = hybrid(store, q, now, budget);
    return answer(out, strategy, budget);
  }

  private static JsonObject answer(JsonObject out, Strategy strategy, SearchBudget budget) {
    out.put("strategy", strategy.wireName());
    if (budget.partial()) out.put("partial", true);
    return out;
  }

  /**
   * Runs one stage's SQL within the budget: empty, and the answer marked partial, when the budget was spent
   * before the stage or ran out during it (SQLite interrupts the statement).
   */
  private static <T> Optional<T> inBudget(MemoryStore store, SearchBudget budget, MemoryStore.SqlWork<T> work)
      throws SQLException {
    if (budget.skip()) return Optional.empty();
    try {
      return Optional.of(store.interruptibleUntil(budget.deadlineNanos(), work));
    } catch (SQLException e) {
      if (!MemoryStore.interrupted(e)) throw e;
      budget.cut();
      return Optional.empty();
    }
  }

  // ---- keyword ----

  private JsonObject keyword(MemoryStore store, Search q, Instant now, SearchBudget budget) throws SQLException {
    Optional<String> match = FtsQuery.of(q.query());
    if (match.isEmpty()) return empty();
    Optional<MemoryStore.KeywordHits> found = inBudget(store, budget,
        () -> store.keywordHits(match.get(), q.filter(), q.limit(), config.keywordWindow(), now));
    if (found.isEmpty()) return empty();
    MemoryStore.KeywordHits hits = found.get();
    Map<Long, JsonObject> rows = store.rows(ids(hits.hits()), now);
    JsonArray results = new JsonArray();
    int rank = 0;
    for (Ranked hit : hits.hits()) {
      rank++;
      JsonObject memory = rows.get(hit.id());
      if (memory == null) continue;
      double score = strength(hit.signal());
      JsonObject result = new JsonObject().put("memory", memory).put("score", score);
      if (q.explain()) {
        result.put("explain", new JsonObject().put("keyword", new JsonObject().put("rank", rank)
            .put("bm25", -hit.signal()).put("bm25_strength", hit.signal())).put("score", score));
      }
      results.add(result);
    }
    return new JsonObject().put("results", results).put("total", hits.total());
  }

  /** BM25 is negative, lower is better; {@code s/(1+s)} of its magnitude keeps the order and lands in (0,1). */
  private static double strength(double s) {
    return s / (1 + s);
  }

  // ---- semantic ----

  private JsonObject semantic(MemoryStore store, Search q, Instant now, SearchBudget budget) throws SQLException {
    SemanticHits hits = semanticHits(store, q.query(), q.filter(), q.limit(), now, budget);
    Map<Long, JsonObject> rows = store.rows(ids(hits.hits()), now);
    JsonArray results = new JsonArray();
    int rank = 0;
    for (Ranked hit : hits.hits()) {
      rank++;
      JsonObject memory = rows.get(hit.id());
      if (memory == null) continue;
      double score = Math.max(0, Math.min(1, hit.signal()));
      JsonObject result = new JsonObject().put("memory", memory).put("score", score);
      if (q.explain()) {
        result.put("explain", new JsonObject().put("semantic", new JsonObject().put("rank", rank)
            .put("similarity", hit.signal())).put("score", score));
      }
      results.add(result);
    }
    return new JsonObject().put("results", results).put("total", hits.total());
  }

  private record SemanticHits(List<Ranked> hits, long total) {}

  /**
   * The {@code n} memories whose vectors are most similar to the text's, among those passing the filter. Without
   * filters one scan answers; with filters, the best {@code n * 10} are checked in SQL, and the scan widens
   * until {@code n} pass, every row has been considered, or the budget runs out (then the widest complete round
   * answers).
   */
  private SemanticHits semanticHits(MemoryStore store, String text, SearchFilter filter, int n, Instant now,
                                    SearchBudget budget) throws SQLException {
    if (budget.skip()) return new SemanticHits(List.of(), 0);
    float[] query = embedder.embed(text);
    boolean blank = true;
    for (float x : query) blank &= x == 0;
    if (blank) return new SemanticHits(List.of(), 0);
    float floor = (float) config.semanticMinSimilarity();
    return cache.withIndex(store, index -> {
      if (filter.isEmpty()) {
        VectorIndex.TopK top = index.top(query, n, floor);
        return new SemanticHits(ranked(top.hits()), top.aboveFloor());
      }
      int want = Math.max(n * FILTER_OVERSAMPLE, 200);
      SemanticHits found = new SemanticHits(List.of(), 0);
      while (true) {
        VectorIndex.TopK top = index.top(query, want, floor);
        List<Long> candidates = new ArrayList<>();
        for (VectorIndex.Hit h : top.hits()) candidates.add(h.id());
        Optional<Set<Long>> checked = inBudget(store, budget, () -> store.passing(candidates, filter, now));
        if (checked.isEmpty()) return found;
        Set<Long> passing = checked.get();
        List<Ranked> out = new ArrayList<>();
        for (VectorIndex.Hit h : top.hits()) {
          if (passing.contains(h.id()) && out.size() < n) out.add(new Ranked(h.id(), h.similarity()));
        }
        boolean exhausted = top.hits().length >= top.aboveFloor();
        found = new SemanticHits(out, exhausted ? passing.size() : Math.max(passing.size(), out.size()));
        if (out.size() >= n || exhausted || budget.skip()) return found;
        want *= 4;
      }
    });
  }

  private static List<Ranked> ranked(VectorIndex.Hit[] hits) {
    List<Ranked> out = new ArrayList<>(hits.length);
    for (VectorIndex.Hit h : hits) out.add(new Ranked(h.id(), h.similarity()));
    return out;
  }

  // ---- hybrid ----

  /**
   * Keyword list: every word must match, a misspelt word may match its correction, and when that gives fewer
   * than {@code limit}, memories matching any of the words follow. Semantic list: the query (with its
   * corrections) embedded. Both feed {@link HybridRanker}.
   */
  private JsonObject hybrid(MemoryStore store, Search q, Instant now, SearchBudget budget) throws SQLException {
    List<String> tokens = FtsQuery.tokens(q.query());
    Map<String, String> corrections = corrections(store, tokens, q.vocabularyScope(), budget);
    int pool = Math.max(config.candidates(), q.limit());
    List<Ranked> keyword = new ArrayList<>();
    Optional<String> all = FtsQuery.all(tokens, corrections);
    if (all.isPresent()) {
      inBudget(store, budget, () -> store.keywordHits(all.get(), q.filter(), pool, config.keywordWindow(), now, false))
          .ifPresent(hits -> keyword.addAll(hits.hits()));
      // the any-word list ranks every memory holding any word (costly for common words): only when the
      // every-word list cannot even fill the page. It is not windowed: which memories hold more of the words
      // matters there, and a window by age cost the relevance harness's paraphrase queries a third of their recall.
      if (keyword.size() < q.limit() && tokens.size() > 1) {
        Set<Long> seen = new LinkedHashSet<>(ids(keyword));
        Optional<MemoryStore.KeywordHits> any = inBudget(store, budget, () -> store.keywordHits(
            FtsQuery.any(tokens, corrections).orElseThrow(), q.filter(), pool, MemoryStore.EVERY_MATCH, now, false));
        for (Ranked r : any.map(MemoryStore.KeywordHits::hits).orElse(List.of())) {
          if (keyword.size() >= pool) break;
          if (seen.add(r.id())) keyword.add(r);
        }
      }
    }
    String embedded = corrections.isEmpty() ? q.query() : q.query() + " " + String.join(" ", corrections.values());
    List<Ranked> semantic = semanticHits(store, embedded, q.filter(), pool, now, budget).hits();
    Set<Long> ids = new LinkedHashSet<>(ids(keyword));
    ids.addAll(ids(semantic));
    Map<Long, JsonObject> rows = store.rows(ids, now);
    Map<Long, Facts> facts = new HashMap<>();
    rows.forEach((id, m) -> facts.put(id, new Facts(m.getString("content"), m.getDouble("importance"),
        Instant.parse(m.getString("updated_at")), q.project() != null && isContextOf(m, q.project()))));
    List<Scored> ranked = HybridRanker.withFeedback(HybridRanker.rank(keyword, semantic, facts, q.query(),
        config.weights(), now, q.project() != null), store.feedback().signals(rows.keySet(), q.query()));
    JsonArray results = new JsonArray();
    for (Scored s : ranked.subList(0, Math.min(q.limit(), ranked.size()))) {
      JsonObject result = new JsonObject().put("memory", rows.get(s.id())).put("score", s.score());
      if (q.explain()) result.put("explain", s.explain());
      results.add(result);
    }
    JsonObject out = new JsonObject().put("results", results).put("total", ranked.size());
    if (!corrections.isEmpty()) out.put("corrected_query", corrected(tokens, corrections));
    return out;
  }

  /** A memory a scan of {@code project} made (see ProjectContextStore); metadata of another type is not a match. */
  private static boolean isContextOf(JsonObject memory, String project) {
    return MemoryTypes.CONTEXT.equals(memory.getString("memory_type"))
        && memory.getJsonArray("tags").contains(dev.engram.cloud.projectcontext.ProjectScan.TAG)
        && memory.getJsonObject("metadata").getValue("project") instanceof String p && project.equals(p);
  }

  // ---- typo correction ----

  /** Within {@code search.budget_ms}; an answer cut short carries {@code partial: true}. */
  Suggestion suggest(MemoryStore store, Suggest s) throws SQLException {
    return Suggestion.of(suggest(store, s, SearchBudget.ofMillis(config.budgetMs())));
  }

  JsonObject suggest(MemoryStore store, Suggest s, SearchBudget budget) throws SQLException {
    List<String> tokens = FtsQuery.tokens(s.query());
    Map<String, String> corrections = corrections(store, tokens, s.vocabularyScope(), budget);
    JsonArray list = new JsonArray();
    corrections.forEach((word, suggestion) -> list.add(new JsonObject().put("word", word).put("suggestion", suggestion)
        .put("distance", EditDistance.within(word, suggestion, Vocabulary.MAX_EDITS))));
    String suggestion = corrections.isEmpty() ? s.query() : corrected(tokens, corrections);
    JsonObject out = new JsonObject().put("query", s.query()).put("suggestion", suggestion)
        .put("changed", !corrections.isEmpty()).put("corrections", list);
    if (budget.partial()) out.put("partial", true);
    return out;
  }

  /**
   * Corrections for the words (letters only, 4+ characters) that match no memory at all, even stemmed: each
   * becomes the tenant's closest word within 2 edits. Words that match somewhere are left alone. At most
   * {@code search.max_corrections} words are corrected, the first ones in the query. With a {@code scope} (a
   * workspace-restricted key), "matches" and "the tenant's words" mean those of the scope's workspaces only.
   */
  private Map<String, String> corrections(MemoryStore store, List<String> tokens, Set<String> scope,
                                          SearchBudget budget) throws SQLException {
    Map<String, String> out = new LinkedHashMap<>();
    Set<String> tried = new HashSet<>();
    Vocabulary vocabulary = null;
    for (String token : tokens) {
      if (out.size() >= config.maxCorrections()) break;
      String word = token.toLowerCase(Locale.ROOT);
      if (word.length() < Vocabulary.MIN_WORD || !word.chars().allMatch(Character::isLetter) || !tried.add(word)) {
        continue;
      }
      String match = FtsQuery.of(word).orElseThrow();
      Optional<Boolean> matches = inBudget(store, budget,
          () -> scope == null ? store.matchesAny(match) : store.matchesAnyIn(match, scope));
      if (matches.isEmpty()) break;
      if (matches.get()) continue;
      if (vocabulary == null) vocabulary = cache.vocabulary(store);
      Optional<String> correction = scope == null
          ? vocabulary.correct(word).map(Vocabulary.Correction::suggestion)
          : correctWithin(store, vocabulary, word, scope, budget);
      correction.ifPresent(c -> out.put(word, c));
    }
    return out;
  }

  /**
   * The correction {@link Vocabulary#correct} would make if the tenant held only the scope's memories: the
   * tenant's candidates, fewest edits first, each counted in the scope (a word the scope does not hold is no
   * candidate; the scope's counts, not the tenant's, break ties). Counting is SQL, within the budget.
   */
  private static Optional<String> correctWithin(MemoryStore store, Vocabulary vocabulary, String word,
                                                Set<String> scope, SearchBudget budget) throws SQLException {
    List<Vocabulary.Correction> candidates = vocabulary.candidates(word);
    int i = 0;
    while (i < candidates.size()) {
      int distance = candidates.get(i).distance();
      String best = null;
      int bestDocs = 0;
      for (; i < candidates.size() && candidates.get(i).distance() == distance; i++) {
        String term = candidates.get(i).suggestion();
        Optional<Integer> docs = inBudget(store, budget, () -> store.wordCountIn(term, scope));
        if (docs.isEmpty()) return Optional.empty();
        int n = docs.get();
        if (n > bestDocs || (n > 0 && n == bestDocs && term.compareTo(best) < 0)) {
          best = term;
          bestDocs = n;
        }
      }
      if (best != null) return Optional.of(best);
    }
    return Optional.empty();
  }

  private static String corrected(List<String> tokens, Map<String, String> corrections) {
    List<String> words = new ArrayList<>();
    for (String t : tokens) words.add(corrections.getOrDefault(t.toLowerCase(Locale.ROOT), t));
    return String.join(" ", words);
  }

  private static List<Long> ids(List<Ranked> hits) {
    List<Long> out = new ArrayList<>(hits.size());
    for (Ranked r : hits) out.add(r.id());
    return out;
  }

  private static JsonObject empty() {
    return new JsonObject().put("results", new JsonArray()).put("total", 0);
  }
}
