package dev.engram.cloud.search;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The scoring code of one search at {@code rows} memories: embedding the query (the model and the hashing
 * embedder), the nearest 100 vectors in the search index's HNSW graph, a keyword top-10 of three words each held by
 * a third of the memories, fusion + rerank of 200 candidates, and typo correction against a vocabulary.
 * {@code baselineDenseFloatScan} is the exact alternative measured in the same run (a float32 dot product with every
 * row), and {@code baselineKeywordCountAll} visits every match as scoring them all would.
 *
 * <p>Run: {@code mvn -Pjmh -DskipTests test-compile exec:exec} (add {@code -Djmh.args="-f 1 -wi 2 -i 3"} to change
 * JMH options). Not part of {@code mvn verify}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ScoringBench {

  @Param({"100000"})
  int rows;

  static final String[] WORDS = ("postgres redis kafka kubernetes docker sqlite react rust java python terraform "
      + "billing auth search checkout ingestion payments console gateway scheduler export invoices webhooks api worker "
      + "database cache queue cron migration client consumer cluster index dashboard alert pipeline pooling retries "
      + "idempotency breakers flags replicas limiting logging schema canary pagination tracing health secret rotation "
      + "timeouts batch sharding compression shutdown backpressure error stale duplicate slow deadlock crash latency "
      + "review weekly reminder document runbook spike compare moved upgrade checklist looking into consider").split(" ");

  final Embedder embedder = new HashingEmbedder();
  final Embedder model = Embedders.named("minilm");
  java.nio.file.Path dir;
  SearchIndex index;
  SearchIndex.Searcher searcher;
  org.apache.lucene.search.Query common;
  float[][] dense;
  float[] query;
  List<HybridRanker.Candidate> candidates;
  Map<Long, HybridRanker.Facts> facts;
  Vocabulary vocabulary;
  Instant now = Instant.now();

  @Setup
  public void setup() throws java.io.IOException {
    Random r = new Random(42);
    dir = java.nio.file.Files.createTempDirectory("scoring-bench");
    index = SearchIndex.open(dir);
    dense = new float[rows][];
    List<SearchIndex.Doc> docs = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      StringBuilder text = new StringBuilder();
      int n = 8 + r.nextInt(25);
      for (int w = 0; w < n; w++) text.append(WORDS[r.nextInt(WORDS.length)]).append(r.nextInt(50) == 0 ? "s " : " ");
      if (r.nextInt(3) == 0) text.append("tenant ");
      if (r.nextInt(3) == 0) text.append("quota ");
      if (r.nextInt(3) == 0) text.append("latency");
      float[] v = embedder.embed(text.toString());
      dense[i] = v;
      docs.add(new SearchIndex.Doc(i + 1, text.toString(), List.of(), "{}", "default", "note", "permanent", 0.5, now,
          now, v));
      if (docs.size() == 10_000) {
        index.apply(docs, List.of(), i + 1);
        docs.clear();
      }
    }
    index.apply(docs, List.of(), rows);
    index.commit();
    searcher = index.searcher();
    common = KeywordQuery.of("tenant quota latency").orElseThrow();
    query = embedder.embed("postgres connection pooling timeouts");
    candidates = new ArrayList<>();
    facts = new HashMap<>();
    for (int i = 0; i < 200; i++) {
      long id = 1 + r.nextInt(rows);
      candidates.add(new HybridRanker.Candidate(id, r.nextDouble() * 10, r.nextDouble(), i < 100 ? i + 1 : 0,
          i >= 100 ? i - 99 : 0));
      facts.put(id, new HybridRanker.Facts("postgres pool notes", 0.5, now));
    }
    Vocabulary.Builder b = new Vocabulary.Builder();
    for (int i = 0; i < 30_000; i++) {
      StringBuilder w = new StringBuilder();
      int len = 3 + r.nextInt(9);
      for (int c = 0; c < len; c++) w.append((char) ('a' + r.nextInt(26)));
      b.add(w.toString(), 1 + r.nextInt(100));
    }
    for (String w : WORDS) b.add(w, 500);
    vocabulary = b.build();
  }

  @org.openjdk.jmh.annotations.TearDown
  public void tearDown() throws java.io.IOException {
    searcher.close();
    index.close();
  }

  @Benchmark
  public float[] embedQueryHashing() {
    return embedder.embed("how do we tune postgres connection pooling timeouts");
  }

  @Benchmark
  public float[] embedQueryModel() {
    return model.embed("how do we tune postgres connection pooling timeouts");
  }

  @Benchmark
  public Object nearest100() throws java.io.IOException {
    return searcher.nearest(query, 100, null);
  }

  @Benchmark
  public float baselineDenseFloatScan() {
    float best = -1;
    for (float[] row : dense) {
      float dot = 0;
      for (int d = 0; d < row.length; d++) dot += row[d] * query[d];
      if (dot > best) best = dot;
    }
    return best;
  }

  @Benchmark
  public Object keywordTop10CommonWords() throws java.io.IOException {
    return searcher.top(common, null, 10, 10, SearchBudget.ofMillis(60_000));
  }

  @Benchmark
  public int baselineKeywordCountAll() throws java.io.IOException {
    return searcher.count(common);
  }

  @Benchmark
  public List<HybridRanker.Scored> fuseAndRerank() {
    return HybridRanker.rank(candidates, facts, "postgres pool", HybridRanker.Weights.DEFAULT, now, false);
  }

  @Benchmark
  public Object correctTypo() {
    return vocabulary.correct("postgress");
  }
}
