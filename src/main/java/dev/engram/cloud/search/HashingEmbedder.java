package dev.engram.cloud.search;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A local embedder with no model and no network: feature hashing of word stems, word pairs and character trigrams
 * into 384 signed buckets, with sublinear term frequency. Shared stems and word pairs carry most of the similarity;
 * trigrams make misspelt or differently inflected words land near each other ({@code asynch} near {@code async}).
 * Stop words are left out, which stands in for the inverse document frequency a corpus-wide model would use.
 */
public final class HashingEmbedder implements Embedder {

  public static final int DIMENSIONS = 384;
  private static final float WORD = 1.0f;
  private static final float PAIR = 0.5f;
  /** Shared across a word's trigrams, so a long word does not outweigh its own stem. */
  private static final float TRIGRAMS = 0.6f;

  static final Set<String> STOP_WORDS = Set.of(
      "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from", "has", "have", "how",
      "i", "if", "in", "into", "is", "it", "its", "of", "on", "or", "our", "should", "so", "that", "the", "their",
      "then", "there", "these", "this", "to", "was", "we", "were", "what", "when", "where", "which", "who", "why",
      "will", "with", "you", "your", "my", "me", "us", "about", "any", "all", "some", "use", "used", "using");

  @Override
  public String id() {
    return "hashing-v1-384";
  }

  @Override
  public int dimensions() {
    return DIMENSIONS;
  }

  @Override
  public float[] embed(String text) {
    List<String> words = words(text);
    Map<Integer, Float> features = new HashMap<>();
    String previous = null;
    for (String word : words) {
      String stem = stem(word);
      add(features, "w:" + stem, WORD);
      if (previous != null) add(features, "p:" + previous + ' ' + stem, PAIR);
      previous = stem;
      String padded = '#' + word + '#';
      int grams = padded.length() - 2;
      for (int i = 0; i < grams; i++) add(features, "t:" + padded.substring(i, i + 3), TRIGRAMS / grams);
    }
    float[] v = new float[DIMENSIONS];
    for (Map.Entry<Integer, Float> e : features.entrySet()) {
      int h = e.getKey();
      float sum = e.getValue();
      // sublinear in repetition: a word said five times is not five times as telling
      float weight = sum > 1 ? (float) (1 + Math.log(sum)) : sum;
      v[Math.floorMod(h, DIMENSIONS)] += (h & 0x4000_0000) != 0 ? weight : -weight;
    }
    return Vectors.normalize(v);
  }

  private static void add(Map<Integer, Float> features, String feature, float weight) {
    features.merge(mix(feature.hashCode()), weight, Float::sum);
  }

  /** Spreads String.hashCode's bits (murmur3's finaliser), so nearby strings land in unrelated buckets. */
  private static int mix(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }

  /** Lowercased runs of letters and digits, without stop words and single characters. */
  static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    String lower = text.toLowerCase(Locale.ROOT);
    int start = -1;
    for (int i = 0; i <= lower.length(); i++) {
      boolean wordChar = i < lower.length() && Character.isLetterOrDigit(lower.charAt(i));
      if (wordChar && start < 0) start = i;
      if (!wordChar && start >= 0) {
        String w = lower.substring(start, i);
        if (w.length() > 1 && !STOP_WORDS.contains(w)) out.add(w);
        start = -1;
      }
    }
    return out;
  }

  /** A light English suffix stripper: enough to bring plural, past and -ing forms together. */
  static String stem(String w) {
    int n = w.length();
    if (n > 5 && w.endsWith("ing")) return trimDouble(w.substring(0, n - 3));
    if (n > 4 && w.endsWith("ies")) return w.substring(0, n - 3) + "y";
    if (n > 4 && w.endsWith("ed")) return trimDouble(w.substring(0, n - 2));
    if (n > 5 && w.endsWith("ences")) return w.substring(0, n - 5);
    if (n > 4 && w.endsWith("ence")) return w.substring(0, n - 4);
    if (n > 3 && w.endsWith("es") && (w.endsWith("ses") || w.endsWith("xes") || w.endsWith("ches"))) {
      return w.substring(0, n - 2);
    }
    if (n > 3 && w.endsWith("s") && !w.endsWith("ss") && !w.endsWith("us")) return w.substring(0, n - 1);
    if (n > 4 && w.endsWith("e")) return w.substring(0, n - 1);
    return w;
  }

  private static String trimDouble(String w) {
    int n = w.length();
    if (n > 3 && w.charAt(n - 1) == w.charAt(n - 2) && "lsz".indexOf(w.charAt(n - 1)) < 0) return w.substring(0, n - 1);
    return w;
  }
}
