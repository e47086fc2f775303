package dev.engram.cloud.search;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The delete index finds exactly the correction a scan of every known word finds (fewest edits, then most memories,
 * then alphabetical), on random vocabularies dense with near neighbours.
 */
class VocabularyTest {

  @Test
  void the_same_corrections_as_a_scan_of_every_word() {
    Random random = new Random(7);
    for (String alphabet : List.of("abc", "abcdef", "abcdefghijklmnopqrstuvwxyz")) {
      Map<String, Integer> words = new HashMap<>();
      while (words.size() < 2000) words.put(word(random, alphabet, 2, 14), 1 + random.nextInt(5));
      for (int i = 0; i < 50; i++) words.put(word(random, alphabet, 30, 45), 1 + random.nextInt(5));
      Vocabulary.Builder b = new Vocabulary.Builder();
      words.forEach(b::add);
      Vocabulary v = b.build();
      List<String> known = new ArrayList<>(words.keySet());
      known.sort(null);
      for (int q = 0; q < 3000; q++) {
        // half are typos of known words (1 or 2 random edits), half any string
        String query = q % 2 == 0 ? word(random, alphabet, 3, 16)
            : typo(random, alphabet, known.get(random.nextInt(known.size())), 1 + random.nextInt(2));
        List<Vocabulary.Correction> all = scan(words, query);
        assertEquals(all, v.candidates(query), query);
        assertEquals(words.containsKey(query) || all.isEmpty() ? Optional.empty() : Optional.of(all.get(0)),
            v.correct(query), query);
      }
    }
  }

  @Test
  void typical_typos() {
    Vocabulary v = new Vocabulary.Builder().add("async", 3).add("await", 2).add("rust", 5).add("postgres", 1)
        .add("pooling", 1).add("authentication", 1).add("authenticate", 4).build();
    assertEquals("async", v.correct("asynch").orElseThrow().suggestion());
    assertEquals("await", v.correct("awiat").orElseThrow().suggestion(), "a swap is one edit");
    assertEquals("authentication", v.correct("authentcation").orElseThrow().suggestion());
    assertEquals(Optional.empty(), v.correct("rust"), "known words are not corrected");
    assertEquals(Optional.empty(), v.correct("rst"), "words under 4 letters are not corrected");
    assertEquals(Optional.empty(), v.correct("zebra"));
  }

  /** The former linear scan, as the reference: every word 1 or 2 edits away, best first. */
  private static List<Vocabulary.Correction> scan(Map<String, Integer> words, String word) {
    int n = word.length();
    List<Vocabulary.Correction> out = new ArrayList<>();
    if (n < Vocabulary.MIN_WORD || n > Vocabulary.MAX_WORD) return out;
    for (String term : words.keySet()) {
      if (term.length() < Vocabulary.MIN_WORD - 1 || term.length() > Vocabulary.MAX_WORD) continue;
      int d = EditDistance.within(word, term, Vocabulary.MAX_EDITS);
      if (d > 0 && d <= Vocabulary.MAX_EDITS) out.add(new Vocabulary.Correction(word, term, d));
    }
    out.sort(Comparator.comparingInt(Vocabulary.Correction::distance)
        .thenComparing(c -> words.get(c.suggestion()), Comparator.reverseOrder())
        .thenComparing(Vocabulary.Correction::suggestion));
    return out;
  }

  /** The word after {@code edits} random inserts, deletes, substitutions or swaps of neighbours. */
  private static String typo(Random random, String alphabet, String word, int edits) {
    StringBuilder sb = new StringBuilder(word);
    for (int e = 0; e < edits; e++) {
      int at = random.nextInt(sb.length() + 1);
      char c = alphabet.charAt(random.nextInt(alphabet.length()));
      switch (random.nextInt(4)) {
        case 0 -> sb.insert(at, c);
        case 1 -> {
          if (at < sb.length()) sb.deleteCharAt(at);
        }
        case 2 -> {
          if (at < sb.length()) sb.setCharAt(at, c);
        }
        default -> {
          if (at + 1 < sb.length()) {
            char t = sb.charAt(at);
            sb.setCharAt(at, sb.charAt(at + 1));
            sb.setCharAt(at + 1, t);
          }
        }
      }
    }
    return sb.toString();
  }

  private static String word(Random random, String alphabet, int min, int max) {
    int length = min + random.nextInt(max - min + 1);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < length; i++) sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
    return sb.toString();
  }
}
