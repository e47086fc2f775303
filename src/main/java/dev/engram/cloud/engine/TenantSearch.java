package dev.engram.cloud.engine;

import dev.engram.cloud.model.MemoryTypes;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.engine.EngineMessages.Search;
import dev.engram.cloud.engine.EngineMessages.Suggest;
import dev.engram.cloud.engine.EngineReplies.SearchResults;
import dev.engram.cloud.engine.EngineReplies.Suggestion;
import dev.engram.cloud.search.EditDistance;
import dev.engram.cloud.search.HybridRanker;
import dev.engram.cloud.search.HybridRanker.Candidate;
import dev.engram.cloud.search.HybridRanker.Facts;
import dev.engram.cloud.search.HybridRanker.Ranked;
import dev.engram.cloud.search.HybridRanker.Scored;
import dev.engram.cloud.search.SearchIndex;
import dev.engram.cloud.search.KeywordQuery;
import dev.engram.cloud.search.SearchBudget;
import dev.engram.cloud.search.SearchFilter;
import dev.engram.cloud.search.Strategy;
import dev.engram.cloud.search.Vocabulary;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Query;

import java.io.IOException;
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
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The search strategies of one tenant over its {@link SearchIndex}: keyword (BM25), semantic (vectors), hybrid
 * fusing both; rows come from the database. Thread-safe: reads run on several reader connections at once.
 */
final class TenantSearch {

  /** A filter the keyword index cannot apply (a filter tree) is checked on this many times more hits than wanted. */
  private static final int FILTER_OVERSAMPLE = 10;
  /**
   * Keyword totals are exact up to this many matches; beyond, the answer says {@code total_exact: false} and
   * {@code total} is this lower bound: counting every match of a common word would cost what top-k collection
   * saves (it skips the documents that cannot make the page).
   */
  private static final int EXACT_TOTAL = 1_000;

  private final String tenantId;
  private final Embeddings embeddings;
  private final SearchCache cache;
  /** The engine's keyword index (replaced should it fail beyond repair). */
  private final Supplier<SearchIndex> index;
  /** False while the keyword index catches up with the database: answers using it then say partial. */
  private final BooleanSupplier indexComplete;
  private final EngramConfig.Search config;

  TenantSearch(String tenantId, Embeddings embeddings, SearchCache cache, Supplier<SearchIndex> index,
               BooleanSupplier indexComplete, EngramConfig.Search config) {
    this.tenantId = tenantId;
    this.embeddings = embeddings;
    this.cache = cache;
    this.index = index;
    this.indexComplete = indexComplete;
    this.config = config;
  }

  /** Whether {@code cmd} is a search that will embed its query (semantic or hybrid, with something to embed). */
  boolean embedsQuery(EngineMessages.EngineCommand<?> cmd) {
    if (cmd instanceof EngineMessages.Scoped<?> scoped) return embedsQuery(scoped.command());
    if (!(cmd instanceof Search q)) return false;
    Strategy strategy = q.strategy() != null ? q.strategy() : config.defaultStrategy();
    return strategy != Strategy.KEYWORD && q.query().codePoints().anyMatch(Character::isLetterOrDigit);
  }

  /** Computes (and caches) the embedding of the search's query, ahead of the search. */
  void embedQuery(EngineMessages.EngineCommand<?> cmd) {
    if (cmd instanceof EngineMessages.Scoped<?> scoped) {
      embedQuery(scoped.command());
    } else if (cmd instanceof Search q) {
      embeddings.query(tenantId, q.query());
    }
  }

  /** Runs the search within {@code search.budget_ms}; an answer cut short carries {@code partial: true}. */
  SearchResults search(MemoryStore store, Search q, Instant now) throws SQLException, IOException {
    return SearchResults.of(search(store, q, now, SearchBudget.ofMillis(config.budgetMs())));
  }

  JsonObject search(MemoryStore store, Search q, Instant now, SearchBudget budget) throws SQLException, IOException {
    Strategy strategy = q.strategy() != null ? q.strategy() : config.defaultStrategy();
    if (strategy == Strategy.AUTO) strategy = Strategy.HYBRID;
    try (SearchIndex.Searcher searcher = index.get().searcher()) {
      boolean keywordUsed = strategy != Strategy.SEMANTIC;
      JsonObject out;
      if (strategy == Strategy.KEYWORD) out = keyword(store, searcher, q, now, budget);
      else if (strategy == Strategy.SEMANTIC) out = semantic(store, searcher, q, now, budget);
      else out = hybrid(store, searcher, q, now, budget);
      return answer(out, strategy, budget, keywordUsed);
    }
  }

  private JsonObject answer(JsonObject out, Strategy strategy, SearchBudget budget, boolean keywordUsed) {
    out.put("strategy", strategy.wireName());
    if (budget.partial() || (keywordUsed && !indexComplete.getAsBoolean())) out.put("partial", true);
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

  private record KeywordHits(List<Ranked> hits, long total, boolean totalExact) {
    KeywordHits(List<Ranked> hits, long total) {
      this(hits, total, true);
    }
  }

  private JsonObject keyword(MemoryStore store, SearchIndex.Searcher searcher, Search q, Instant now,
                             SearchBudget budget) throws SQLException, IOException {
    Optional<Query> query = KeywordQuery.of(q.query());
    if (query.isEmpty()) return empty();
    KeywordHits hits = keywordHits(store, searcher, query.get(), q.filter(), q.limit(), true, now, budget);
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
            .put("bm25", hit.signal())).put("score", score));
      }
      results.add(result);
    }
    JsonObject out = new JsonObject().put("results", results).put("total", hits.total());
    if (!hits.totalExact()) out.put("total_exact", false);
    return out;
  }

  /**
   * The best {@code n} keyword hits passing the filter, and how many match in all ({@code count}: exactly up to
   * {@link #EXACT_TOTAL}, a lower bound beyond; else only as the hits found). A filter tree, which only the database can test, is checked on the best
   * {@code n * 10} hits, widening until {@code n} pass, every match was checked, or the budget runs out.
   */
  private KeywordHits keywordHits(MemoryStore store, SearchIndex.Searcher searcher, Query query, SearchFilter filter,
                                  int n, boolean count, Instant now, SearchBudget budget)
      throws SQLException, IOException {
    if (budget.skip()) return new KeywordHits(List.of(), 0);
    Query simple = SearchIndex.filter(filter);
    if (filter.tree() == null) {
      SearchIndex.Hits hits = searcher.top(query, simple, n, count ? EXACT_TOTAL : n, budget);
      return new KeywordHits(hits.hits(), hits.total(), hits.totalExact());
    }
    int want = Math.max(n * FILTER_OVERSAMPLE, 200);
    KeywordHits found = new KeywordHits(List.of(), 0);
    while (true) {
      SearchIndex.Hits hits = searcher.top(query, simple, want, want, budget);
      List<Long> candidates = ids(hits.hits());
      Optional<Set<Long>> checked = inBudget(store, budget, () -> store.passing(candidates, filter, now));
      if (checked.isEmpty()) return found;
      Set<Long> passing = checked.get();
      List<Ranked> out = new ArrayList<>();
      for (Ranked h : hits.hits()) {
        if (passing.contains(h.id()) && out.size() < n) out.add(h);
      }
      boolean exhausted = hits.totalExact() && hits.hits().size() >= hits.total();
      found = new KeywordHits(out, exhausted ? passing.size() : Math.max(passing.size(), out.size()));
      if (out.size() >= n || exhausted || budget.skip()) return found;
      want *= 4;
    }
  }

  private static Query and(Query a, Query b) {
    return new BooleanQuery.Builder().add(a, Occur.MUST).add(b, Occur.FILTER).build();
  }

  /** BM25 is positive, higher is better; {@code s/(1+s)} keeps the order and lands in (0,1). */
  private static double strength(double s) {
    return s / (1 + s);
  }

  // ---- semantic ----

  private JsonObject semantic(MemoryStore store, SearchIndex.Searcher searcher, Search q, Instant now,
                              SearchBudget budget) throws SQLException, IOException {
    SemanticHits hits = semanticHits(store, searcher, queryVector(q.query()), q.filter(), q.limit(), now, budget);
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

  /** The query's embedding (cached briefly per tenant); null when the text has nothing to embed. */
  private float[] queryVector(String text) {
    float[] v = embeddings.query(tenantId, text);
    for (float x : v) {
      if (x != 0) return v;
    }
    return null;
  }

  /**
   * The {@code n} memories whose vectors are most similar to the query's, at least {@code search.semantic_min_similarity},
   * among those passing the filter (its simple part in the index; a filter tree is checked in SQL on the best
   * {@code n * 10}, widening until {@code n} pass, every vector was considered, or the budget runs out). Memories
   * still waiting for their vector are not in this list (the keyword side covers them).
   */
  private SemanticHits semanticHits(MemoryStore store, SearchIndex.Searcher searcher, float[] query, SearchFilter filter,
                                    int n, Instant now, SearchBudget budget) throws SQLException, IOException {
    if (query == null || budget.skip()) return new SemanticHits(List.of(), 0);
    Query simple = SearchIndex.filter(filter);
    if (filter.tree() == null) {
      List<Ranked> hits = aboveFloor(searcher.nearest(query, n, simple));
      return new SemanticHits(hits, hits.size());
    }
    int want = Math.max(n * FILTER_OVERSAMPLE, 200);
    SemanticHits found = new SemanticHits(List.of(), 0);
    while (true) {
      List<Ranked> hits = aboveFloor(searcher.nearest(query, want, simple));
      List<Long> candidates = ids(hits);
      Optional<Set<Long>> checked = inBudget(store, budget, () -> store.passing(candidates, filter, now));
      if (checked.isEmpty()) return found;
      Set<Long> passing = checked.get();
      List<Ranked> out = new ArrayList<>();
      for (Ranked h : hits) {
        if (passing.contains(h.id()) && out.size() < n) out.add(h);
      }
      found = new SemanticHits(out, out.size());
      if (out.size() >= n || hits.size() < want || budget.skip()) return found;
      want *= 4;
    }
  }

  private List<Ranked> aboveFloor(List<Ranked> hits) {
    double floor = config.semanticMinSimilarity();
    List<Ranked> out = new ArrayList<>(hits.size());
    for (Ranked h : hits) {
      if (h.signal() >= floor) out.add(h);
    }
    return out;
  }

  // ---- hybrid ----

  /**
   * A keyword list (any word, typo-corrected) and a semantic list (the query with its corrections, embedded), each
   * {@code search.candidates} long; every memory of either gets both its BM25 and its cosine, and
   * {@link HybridRanker} fuses them. A quoted phrase keeps out the memories that do not hold it, as in keyword.
   */
  private JsonObject hybrid(MemoryStore store, SearchIndex.Searcher searcher, Search q, Instant now,
                            SearchBudget budget) throws SQLException, IOException {
    List<String> tokens = KeywordQuery.tokens(q.query());
    Map<String, String> corrections = corrections(searcher, tokens, q.vocabularyScope(), budget);
    int pool = Math.max(config.candidates(), q.limit());
    Optional<Query> query = KeywordQuery.of(q.query(), corrections);
    List<Ranked> keyword = query.isEmpty() ? List.of()
        : keywordHits(store, searcher, query.get(), q.filter(), pool, false, now, budget).hits();
    String embedded = corrections.isEmpty() ? q.query() : q.query() + " " + String.join(" ", corrections.values());
    float[] vector = budget.skip() ? null : queryVector(embedded);
    List<Ranked> semantic = semanticHits(store, searcher, vector, q.filter(), pool, now, budget).hits();

    // each list's score for the other list's candidates
    Map<Long, Double> bm25 = new HashMap<>();
    keyword.forEach(r -> bm25.put(r.id(), r.signal()));
    Map<Long, Double> cosine = new HashMap<>();
    semantic.forEach(r -> cosine.put(r.id(), r.signal()));
    List<Long> semanticOnly = new ArrayList<>();
    for (Ranked r : semantic) if (!bm25.containsKey(r.id())) semanticOnly.add(r.id());
    if (query.isPresent() && !semanticOnly.isEmpty() && !budget.skip()) {
      for (Ranked r : searcher.top(query.get(), SearchIndex.ids(semanticOnly), semanticOnly.size(), 0, budget).hits()) {
        bm25.put(r.id(), r.signal());
      }
    }
    List<Long> keywordOnly = new ArrayList<>();
    for (Ranked r : keyword) if (!cosine.containsKey(r.id())) keywordOnly.add(r.id());
    if (vector != null && !keywordOnly.isEmpty() && !budget.skip()) {
      // exact: the filter leaves no more memories than asked for
      for (Ranked r : searcher.nearest(vector, keywordOnly.size(), SearchIndex.ids(keywordOnly))) {
        cosine.put(r.id(), r.signal());
      }
    }
    List<Candidate> candidates = new ArrayList<>();
    Map<Long, Integer> semanticRank = positions(semantic);
    Set<Long> ids = new LinkedHashSet<>(ids(keyword));
    ids.addAll(ids(semantic));
    Map<Long, Integer> keywordRank = positions(keyword);
    // a quoted phrase is required here too: a memory without it has no BM25 for the query
    if (KeywordQuery.quotesPhrase(q.query())) ids.removeIf(id -> !bm25.containsKey(id));
    for (long id : ids) {
      candidates.add(new Candidate(id, bm25.getOrDefault(id, 0.0), cosine.getOrDefault(id, Double.NaN),
          keywordRank.getOrDefault(id, 0), semanticRank.getOrDefault(id, 0)));
    }
    // from the index; the content (from the database) only when the phrase bonus counts or is shown, and whole rows
    // only for the page
    Map<Long, Facts> facts = searcher.facts(ids, q.project());
    if (config.phraseWeight() > 0 || q.explain()) {
      Map<Long, String> contents = store.contents(ids, now);
      facts.replaceAll((id, f) -> new Facts(contents.get(id), f.importance(), f.updatedAt(), f.projectContext()));
    }
    List<Scored> ranked = HybridRanker.withFeedback(HybridRanker.rank(candidates, facts, q.query(), config.weights(),
        now, q.project() != null, q.explain()), store.feedback().signals(ids, q.query()));
    List<Scored> page = ranked.subList(0, Math.min(q.limit(), ranked.size()));
    List<Long> pageIds = new ArrayList<>(page.size());
    for (Scored s : page) pageIds.add(s.id());
    Map<Long, JsonObject> rows = store.rows(pageIds, now);
    JsonArray results = new JsonArray();
    for (Scored s : page) {
      JsonObject memory = rows.get(s.id());
      if (memory == null) continue; // gone since its facts were read
      JsonObject result = new JsonObject().put("memory", memory).put("score", s.score());
      if (q.explain()) result.put("explain", s.explain());
      results.add(result);
    }
    JsonObject out = new JsonObject().put("results", results).put("total", ranked.size());
    if (!corrections.isEmpty()) out.put("corrected_query", corrected(tokens, corrections));
    return out;
  }

  private static Map<Long, Integer> positions(List<Ranked> list) {
    Map<Long, Integer> out = new HashMap<>();
    for (int i = 0; i < list.size(); i++) out.putIfAbsent(list.get(i).id(), i + 1);
    return out;
  }

  // ---- typo correction ----

  /** Within {@code search.budget_ms}; an answer cut short carries {@code partial: true}. */
  Suggestion suggest(Suggest s) throws IOException {
    return Suggestion.of(suggest(s, SearchBudget.ofMillis(config.budgetMs())));
  }

  JsonObject suggest(Suggest s, SearchBudget budget) throws IOException {
    try (SearchIndex.Searcher searcher = index.get().searcher()) {
      List<String> tokens = KeywordQuery.tokens(s.query());
      Map<String, String> corrections = corrections(searcher, tokens, s.vocabularyScope(), budget);
      JsonArray list = new JsonArray();
      corrections.forEach((word, suggestion) -> list.add(new JsonObject().put("word", word)
          .put("suggestion", suggestion).put("distance", EditDistance.within(word, suggestion, Vocabulary.MAX_EDITS))));
      String suggestion = corrections.isEmpty() ? s.query() : corrected(tokens, corrections);
      JsonObject out = new JsonObject().put("query", s.query()).put("suggestion", suggestion)
          .put("changed", !corrections.isEmpty()).put("corrections", list);
      if (budget.partial()) out.put("partial", true);
      return out;
    }
  }

  /**
   * Corrections for the words (letters only, 4+ characters) that match no memory at all, even stemmed: each
   * becomes the tenant's closest word within 2 edits. Words that match somewhere are left alone, and so are stop
   * words. At most {@code search.max_corrections} words are corrected, the first ones in the query. With a
   * {@code scope} (a workspace-restricted key), "matches" and "the tenant's words" mean those of the scope's
   * workspaces only.
   */
  private Map<String, String> corrections(SearchIndex.Searcher searcher, List<String> tokens, Set<String> scope,
                                          SearchBudget budget) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    Set<String> tried = new HashSet<>();
    Vocabulary vocabulary = null;
    Query inScope = scope == null ? null : SearchIndex.filter(workspaces(scope));
    for (String token : tokens) {
      if (out.size() >= config.maxCorrections()) break;
      String word = token.toLowerCase(Locale.ROOT);
      if (word.length() < Vocabulary.MIN_WORD || !word.chars().allMatch(Character::isLetter) || !tried.add(word)) {
        continue;
      }
      Optional<Query> stemmed = KeywordQuery.stemmed(word);
      if (stemmed.isEmpty()) continue; // a stop word
      if (budget.skip()) break;
      if (searcher.count(inScope == null ? stemmed.get() : and(stemmed.get(), inScope)) > 0) continue;
      if (vocabulary == null) vocabulary = cache.vocabulary(searcher::vocabulary);
      Optional<String> correction = scope == null
          ? vocabulary.correct(word).map(Vocabulary.Correction::suggestion)
          : correctWithin(searcher, vocabulary, word, inScope, budget);
      correction.ifPresent(c -> out.put(word, c));
    }
    return out;
  }

  private static SearchFilter workspaces(Set<String> scope) {
    return new SearchFilter(List.copyOf(scope), null, false, null, null, null, null, null, null, null, null, null);
  }

  /**
   * The correction {@link Vocabulary#correct} would make if the tenant held only the scope's memories: the
   * tenant's candidates, fewest edits first, each counted in the scope (a word the scope does not hold is no
   * candidate; the scope's counts, not the tenant's, break ties).
   */
  private static Optional<String> correctWithin(SearchIndex.Searcher searcher, Vocabulary vocabulary, String word,
                                                Query inScope, SearchBudget budget) throws IOException {
    List<Vocabulary.Correction> candidates = vocabulary.candidates(word);
    int i = 0;
    while (i < candidates.size()) {
      int distance = candidates.get(i).distance();
      String best = null;
      int bestDocs = 0;
      for (; i < candidates.size() && candidates.get(i).distance() == distance; i++) {
        String term = candidates.get(i).suggestion();
        if (budget.skip()) return Optional.empty();
        int n = searcher.count(and(SearchIndex.word(term), inScope));
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
