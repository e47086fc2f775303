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
 * The scoring code of one search at {@code rows} memories: embedding the query, the sparse column scan of the int8
 * matrix with top-k, fusion + rerank of two 100-long lists, and typo correction against a vocabulary.
 * {@code baselineDenseFloatScan} is the naive alternative measured in the same run (a float32 dot product with
 * every row): the ratio of {@code vectorTop10} to it is the gain of the layout.
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
  VectorIndex index;
  float[][] dense;
  float[] query;
  List<HybridRanker.Ranked> keyword;
  List<HybridRanker.Ranked> semantic;
  Map<Long, HybridRanker.Facts> facts;
  Vocabulary vocabulary;
  Instant now = Instant.now();

  @Setup
  public void setup() {
    Random r = new Random(42);
    index = new VectorIndex(HashingEmbedder.DIMENSIONS, rows);
    dense = new float[rows][];
    for (int i = 0; i < rows; i++) {
      StringBuilder text = new StringBuilder();
      int n = 8 + r.nextInt(25);
      for (int w = 0; w < n; w++) text.append(WORDS[r.nextInt(WORDS.length)]).append(r.nextInt(50) == 0 ? "s " : " ");
      float[] v = embedder.embed(text.toString());
      dense[i] = v;
      index.upsert(i + 1, Vectors.quantize(v));
    }
    query = embedder.embed("postgres connection pooling timeouts");
    keyword = new ArrayList<>();
    semantic = new ArrayList<>();
    facts = new HashMap<>();
    for (int i = 0; i < 100; i++) {
      keyword.add(new HybridRanker.Ranked(1 + r.nextInt(rows), 10 - i * 0.05));
      semantic.add(new HybridRanker.Ranked(1 + r.nextInt(rows), 0.9 - i * 0.005));
    }
    for (HybridRanker.Ranked k : keyword) facts.put(k.id(), new HybridRanker.Facts("postgres pool notes", 0.5, now));
    for (HybridRanker.Ranked s : semantic) facts.put(s.id(), new HybridRanker.Facts("postgres pool notes", 0.5, now));
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

  @Benchmark
  public float[] embedQuery() {
    return embedder.embed("how do we tune postgres connection pooling timeouts");
  }

  @Benchmark
  public VectorIndex.TopK vectorTop10() {
    return index.top(query, 10, 0.05f);
  }

  @Benchmark
  public VectorIndex.TopK vectorTop100() {
    return index.top(query, 100, 0.05f);
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
  public List<HybridRanker.Scored> fuseAndRerank() {
    return HybridRanker.rank(keyword, semantic, facts, "postgres pool", HybridRanker.Weights.DEFAULT, now);
  }

  @Benchmark
  public Object correctTypo() {
    return vocabulary.correct("postgress");
  }
}
