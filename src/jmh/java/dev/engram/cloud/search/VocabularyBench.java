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

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Typo correction at {@code words} distinct words: building the vocabulary with its delete index, and correcting one
 * word (a typo of a known word, or a random string) through the index. {@code baselineScanOneWord} is the former way
 * measured in the same run: an edit distance to every word of similar length. The index's heap size is printed at
 * setup ({@link Vocabulary#bytes()}).
 *
 * <p>Run: {@code mvn -Pjmh -DskipTests test-compile exec:exec -Djmh.args="VocabularyBench"}. Not part of verify.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class VocabularyBench {

  @Param({"10000", "100000"})
  int words;

  Map<String, Integer> counts;
  Vocabulary vocabulary;
  List<String> queries;
  int next;

  @Setup
  public void setup() {
    Random r = new Random(words);
    counts = new LinkedHashMap<>();
    while (counts.size() < words) {
      int length = 3 + (int) Math.min(17, Math.abs(r.nextGaussian() * 3 + 5));
      StringBuilder w = new StringBuilder();
      for (int c = 0; c < length; c++) w.append((char) ('a' + r.nextInt(26)));
      counts.put(w.toString(), 1 + r.nextInt(50));
    }
    vocabulary = build();
    List<String> known = new ArrayList<>(counts.keySet());
    queries = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      StringBuilder typo = new StringBuilder(known.get(r.nextInt(known.size())));
      typo.setCharAt(r.nextInt(typo.length()), (char) ('a' + r.nextInt(26)));
      queries.add(typo.toString());
      StringBuilder random = new StringBuilder();
      for (int c = 0; c < 7; c++) random.append((char) ('a' + r.nextInt(26)));
      queries.add(random.toString());
    }
    System.out.printf("%n%,d words: vocabulary with its delete index holds ~%.1f MB%n", words, vocabulary.bytes() / 1e6);
  }

  private Vocabulary build() {
    Vocabulary.Builder b = new Vocabulary.Builder();
    counts.forEach(b::add);
    return b.build();
  }

  private String nextQuery() {
    next = (next + 1) % queries.size();
    return queries.get(next);
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public Vocabulary buildVocabulary() {
    return build();
  }

  @Benchmark
  public Object correctOneWord() {
    return vocabulary.correct(nextQuery());
  }

  @Benchmark
  public Object baselineScanOneWord() {
    String word = nextQuery();
    String best = null;
    int bestDistance = Vocabulary.MAX_EDITS + 1;
    for (String term : counts.keySet()) {
      if (Math.abs(term.length() - word.length()) > Vocabulary.MAX_EDITS) continue;
      int d = EditDistance.within(word, term, Math.min(Vocabulary.MAX_EDITS, bestDistance));
      if (d < bestDistance) {
        best = term;
        bestDistance = d;
      }
    }
    return best;
  }
}
