package dev.engram.cloud.search;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A tenant's own words with how many memories contain each, for typo correction: a word of 4+ characters may be
 * corrected to a known word at most 2 edits away (insert, delete, substitute, or swap two neighbours). Immutable
 * once built; safe to share between threads.
 *
 * <p>Candidates come from a delete index (SymSpell's idea): every string obtained by deleting up to 2 characters
 * from the first {@value #PREFIX} characters of a word. Two words within 2 edits of each other share such a string
 * (a substitution or swap is one delete on each side, an insert one delete on the other, and cutting both words to
 * the prefix keeps that true), so looking up the deletes of the query word finds every word within 2 edits, among
 * a few others that {@link EditDistance} then rules out. A lookup costs a few dozen hash probes and a handful of
 * distance checks instead of one check per known word. The index keeps only 32-bit hashes of the deletes, grouped
 * by their top bits into slots of about four: a collision adds a candidate, it never loses one.
 */
public final class Vocabulary {

  public static final int MIN_WORD = 4;
  public static final int MAX_EDITS = 2;
  public static final int MAX_WORD = 40;
  /**
   * Deletes are taken from this many leading characters only (SymSpell's prefix length), which holds the index to
   * at most 29 entries a word; words that share a prefix are told apart by EditDistance.
   */
  private static final int PREFIX = 7;

  /** A suggested replacement for one word. */
  public record Correction(String word, String suggestion, int distance) {}

  private final Map<String, Integer> ids;
  private final String[] terms;
  private final int[] docs;
  /** The index: slot s holds entries [slotStart[s], slotStart[s + 1]), each a delete's hash and its term's id. */
  private final int slotBits;
  private final int[] slotStart;
  private final int[] entryHash;
  private final int[] entryTerm;
  private final long chars;

  private Vocabulary(Map<String, Integer> ids, String[] terms, int[] docs, int slotBits, int[] slotStart,
                     int[] entryHash, int[] entryTerm, long chars) {
    this.ids = ids;
    this.terms = terms;
    this.docs = docs;
    this.slotBits = slotBits;
    this.slotStart = slotStart;
    this.entryHash = entryHash;
    this.entryTerm = entryTerm;
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

    /** Collects every (delete hash, term) pair, then places them by slot in one counting pass. */
    public Vocabulary build() {
      String[] t = terms.toArray(String[]::new);
      long chars = 0;
      int[] hashes = new int[Math.max(64, t.length * 16)];
      int[] owners = new int[hashes.length];
      int n = 0;
      for (int id = 0; id < t.length; id++) {
        chars += t[id].length();
        // shorter words are never suggested (a 4-letter word is at most 2 edits from a 2-letter one)
        if (t[id].length() < MIN_WORD - 1) continue;
        for (int hash : deleteHashes(t[id])) {
          if (n == hashes.length) {
            hashes = Arrays.copyOf(hashes, n * 2);
            owners = Arrays.copyOf(owners, n * 2);
          }
          hashes[n] = hash;
          owners[n++] = id;
        }
      }
      int bits = Math.max(1, 32 - Integer.numberOfLeadingZeros(Math.max(1, n / 4)));
      int[] start = new int[(1 << bits) + 1];
      for (int i = 0; i < n; i++) start[(hashes[i] >>> (32 - bits)) + 1]++;
      for (int s = 0; s < (1 << bits); s++) start[s + 1] += start[s];
      int[] next = Arrays.copyOf(start, start.length - 1);
      int[] entryHash = new int[n];
      int[] entryTerm = new int[n];
      for (int i = 0; i < n; i++) {
        int at = next[hashes[i] >>> (32 - bits)]++;
        entryHash[at] = hashes[i];
        entryTerm[at] = owners[i];
      }
      return new Vocabulary(ids, t, Arrays.copyOf(docs, t.length), bits, start, entryHash, entryTerm, chars);
    }
  }

  public int size() {
    return terms.length;
  }

  /** Heap bytes held (approximately): the words, their map entries and the delete index. */
  public long bytes() {
    return chars * 2 + terms.length * 100L + entryHash.length * 8L + slotStart.length * 4L;
  }

  /**
   * The closest known word to {@code word} (lowercase), fewest edits first, then the word in the most memories,
   * then the alphabetically first; empty when the word is short, known, or nothing is close enough.
   */
  public Optional<Correction> correct(String word) {
    if (ids.containsKey(word)) return Optional.empty();
    List<Correction> candidates = candidates(word);
    return candidates.isEmpty() ? Optional.empty() : Optional.of(candidates.get(0));
  }

  /**
   * Every other known word within 2 edits of {@code word} (lowercase, 4+ characters), in the order
   * {@link #correct} prefers them: fewest edits, then most memories, then alphabetical.
   */
  public List<Correction> candidates(String word) {
    int n = word.length();
    if (n < MIN_WORD || n > MAX_WORD) return List.of();
    List<Correction> out = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    for (int hash : deleteHashes(word)) {
      int slot = hash >>> (32 - slotBits);
      for (int at = slotStart[slot]; at < slotStart[slot + 1]; at++) {
        int id = entryTerm[at];
        if (entryHash[at] != hash || Math.abs(terms[id].length() - n) > MAX_EDITS || !seen.add(id)) continue;
        int d = EditDistance.within(word, terms[id], MAX_EDITS);
        if (d > 0 && d <= MAX_EDITS) out.add(new Correction(word, terms[id], d));
      }
    }
    out.sort(Comparator.comparingInt(Correction::distance)
        .thenComparing(c -> docs[ids.get(c.suggestion())], Comparator.reverseOrder())
        .thenComparing(Correction::suggestion));
    return out;
  }

  /** Distinct hashes of the strings made by deleting 0, 1 or 2 characters from the word's first PREFIX. */
  private static int[] deleteHashes(String word) {
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
