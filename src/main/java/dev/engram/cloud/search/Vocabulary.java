package dev.engram.cloud.search;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToIntFunction;

/**
 * A tenant's own words with how many memories contain each, for typo correction: a word of 4+ characters may be
 * corrected to a known word at most 2 edits away (insert, delete, substitute, or swap two neighbours). Immutable
 * once built; safe to share between threads.
 *
 * <p>Candidates come from a delete index (SymSpell's idea): every string obtained by deleting up to 2 characters
 * from the first {@value #PREFIX} characters of a word. Two words within 2 edits of each other share such a string
 * (a substitution or swap is one delete on each side, an insert one delete on the other, and cutting both words to
 * the prefix keeps that true), so looking up the deletes of the query word finds every word within 2 edits, among
 * a few others that {@link EditDistance} then rules out. A lookup costs a few dozen binary searches and a handful of
 * distance checks instead of one check per known word. The index keeps only 32-bit hashes of the deletes: a
 * collision adds a candidate, it never loses one.
 */
public final class Vocabulary {

  public static final int MIN_WORD = 4;
  public static final int MAX_EDITS = 2;
  public static final int MAX_WORD = 40;
  /** Deletes are taken from this many leading characters: longer words share their candidates' verification. */
  private static final int PREFIX = 7;

  /** A suggested replacement for one word. */
  public record Correction(String word, String suggestion, int distance) {}

  private final Map<String, Integer> ids;
  private final String[] terms;
  private final int[] docs;
  /** Sorted {@code (hash of a delete) << 32 | term id}, one entry per distinct delete of each indexed term. */
  private final long[] deletes;
  private final long chars;

  private Vocabulary(Map<String, Integer> ids, String[] terms, int[] docs, long[] deletes, long chars) {
    this.ids = ids;
    this.terms = terms;
    this.docs = docs;
    this.deletes = deletes;
    this.chars = chars;
  }

  public static final class Builder {
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<String> terms = new ArrayList<>();
    private int[] docs = new int[64];

    public Builder add(String term, int docCount) {
      if (term.length() > MAX_WORD || term.length() < 2 || ids.containsKey(term)) return this;
      if (terms.size() == docs.length) docs = Arrays.copyOf(docs, docs.length * 2);
      docs[terms.size()] = docCount;
      ids.put(term, terms.size());
      terms.add(term);
      return this;
    }

    public Vocabulary build() {
      String[] t = terms.toArray(String[]::new);
      int[] d = Arrays.copyOf(docs, t.length);
      long chars = 0;
      long[] entries = new long[64];
      int n = 0;
      for (int id = 0; id < t.length; id++) {
        chars += t[id].length();
        // shorter words are never suggested (a 4-letter word is at most 2 edits from a 2-letter one)
        if (t[id].length() < MIN_WORD - 1) continue;
        for (int hash : deleteHashes(t[id])) {
          if (n == entries.length) entries = Arrays.copyOf(entries, n * 2);
          entries[n++] = ((long) hash << 32) | id;
        }
      }
      long[] sorted = Arrays.copyOf(entries, n);
      Arrays.sort(sorted);
      return new Vocabulary(ids, t, d, sorted, chars);
    }
  }

  public boolean contains(String word) {
    return ids.containsKey(word);
  }

  /** How many memories hold the word (0 when none does). */
  public int docs(String word) {
    Integer id = ids.get(word);
    return id == null ? 0 : docs[id];
  }

  public int size() {
    return terms.length;
  }

  /** Heap bytes held (approximately): the words, their map entries and the delete index. */
  public long bytes() {
    return chars * 2 + terms.length * 100L + deletes.length * 8L;
  }

  /**
   * The closest known word to {@code word} (lowercase), fewest edits first, then the word in the most memories,
   * then the alphabetically first; empty when the word is short, known, or nothing is close enough.
   */
  public Optional<Correction> correct(String word) {
    return correct(word, this::docs);
  }

  /**
   * As {@link #correct(String)}, over only the words {@code docsIn} counts (more than 0 memories): a restricted
   * key's workspaces, whose counts also decide ties.
   */
  public Optional<Correction> correct(String word, ToIntFunction<String> docsIn) {
    int n = word.length();
    if (n < MIN_WORD || n > MAX_WORD || docsIn.applyAsInt(word) > 0) return Optional.empty();
    String best = null;
    int bestDistance = MAX_EDITS + 1;
    int bestDocs = -1;
    for (int hash : deleteHashes(word)) {
      int at = firstAtOrAfter((long) hash << 32);
      for (; at < deletes.length && (int) (deletes[at] >>> 32) == hash; at++) {
        String term = terms[(int) deletes[at]];
        if (Math.abs(term.length() - n) > MAX_EDITS) continue;
        int d = EditDistance.within(word, term, MAX_EDITS);
        if (d > MAX_EDITS || d > bestDistance) continue;
        int count = docsIn.applyAsInt(term);
        if (count <= 0) continue;
        if (d < bestDistance || count > bestDocs || (count == bestDocs && term.compareTo(best) < 0)) {
          best = term;
          bestDistance = d;
          bestDocs = count;
        }
      }
    }
    return best == null ? Optional.empty() : Optional.of(new Correction(word, best, bestDistance));
  }

  private int firstAtOrAfter(long key) {
    int lo = 0;
    int hi = deletes.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (deletes[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Distinct hashes of the strings made by deleting 0, 1 or 2 characters from the word's first PREFIX. */
  static int[] deleteHashes(String word) {
    int n = Math.min(word.length(), PREFIX);
    int[] out = new int[1 + n + n * (n - 1) / 2];
    int k = 0;
    out[k++] = hash(word, n, -1, -1);
    for (int i = 0; i < n; i++) {
      out[k++] = hash(word, n, i, -1);
      for (int j = i + 1; j < n; j++) out[k++] = hash(word, n, i, j);
    }
    Arrays.sort(out);
    int distinct = 0;
    for (int i = 0; i < out.length; i++) {
      if (i == 0 || out[i] != out[i - 1]) out[distinct++] = out[i];
    }
    return Arrays.copyOf(out, distinct);
  }

  /** A hash of word[0, n) without the characters at {@code skip1} and {@code skip2}, mixed so that keys spread. */
  private static int hash(String word, int n, int skip1, int skip2) {
    int h = 0;
    for (int i = 0; i < n; i++) {
      if (i != skip1 && i != skip2) h = 31 * h + word.charAt(i);
    }
    h ^= (n - (skip1 < 0 ? 0 : 1) - (skip2 < 0 ? 0 : 1)) << 24;
    h *= 0x9E3779B1;
    return h ^ (h >>> 15);
  }
}
