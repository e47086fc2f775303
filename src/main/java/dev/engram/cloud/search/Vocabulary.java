package dev.engram.cloud.search;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A tenant's own words with how many memories contain each, grouped by length, for typo correction: a word of 4+
 * characters may be corrected to a known word at most 2 edits away (insert, delete, substitute, or swap two
 * neighbours). Immutable once built; safe to share between threads.
 */
public final class Vocabulary {

  public static final int MIN_WORD = 4;
  public static final int MAX_EDITS = 2;
  private static final int MAX_WORD = 40;

  /** A suggested replacement for one word. */
  public record Correction(String word, String suggestion, int distance) {}

  private final Map<String, Integer> docs = new HashMap<>();
  private final List<List<String>> byLength = new ArrayList<>();
  private long chars;

  public static final class Builder {
    private final Vocabulary v = new Vocabulary();

    public Builder add(String term, int docCount) {
      if (term.length() > MAX_WORD || term.length() < 2) return this;
      if (v.docs.put(term, docCount) == null) {
        while (v.byLength.size() <= term.length()) v.byLength.add(new ArrayList<>());
        v.byLength.get(term.length()).add(term);
        v.chars += term.length();
      }
      return this;
    }

    public Vocabulary build() {
      return v;
    }
  }

  public boolean contains(String word) {
    return docs.containsKey(word);
  }

  public int size() {
    return docs.size();
  }

  /** Heap bytes held (approximately). */
  public long bytes() {
    return chars * 2 + docs.size() * 96L;
  }

  /**
   * The closest known word to {@code word} (lowercase), fewest edits first, then the word in the most memories;
   * empty when the word is short, known, or nothing is close enough.
   */
  public Optional<Correction> correct(String word) {
    int n = word.length();
    if (n < MIN_WORD || n > MAX_WORD || docs.containsKey(word)) return Optional.empty();
    String best = null;
    int bestDistance = MAX_EDITS + 1;
    int bestDocs = -1;
    for (int len = Math.max(MIN_WORD - 1, n - MAX_EDITS); len <= n + MAX_EDITS && len < byLength.size(); len++) {
      for (String term : byLength.get(len)) {
        int d = EditDistance.within(word, term, Math.min(MAX_EDITS, bestDistance));
        if (d > MAX_EDITS) continue;
        int count = docs.get(term);
        if (d < bestDistance || (d == bestDistance && (count > bestDocs || (count == bestDocs && term.compareTo(best) < 0)))) {
          best = term;
          bestDistance = d;
          bestDocs = count;
        }
      }
    }
    return best == null ? Optional.empty() : Optional.of(new Correction(word, best, bestDistance));
  }
}
