package dev.engram.cloud.search;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Turns any user text into a safe FTS5 query: each whitespace-separated token becomes a quoted phrase (so
 * {@code file.rs}, {@code a@b.com}, {@code C++}, {@code OR} or a stray quote are text, never syntax), tokens without a
 * letter or digit are dropped, and all remaining tokens must match.
 */
public final class FtsQuery {

  private FtsQuery() {}

  /** The MATCH expression, or empty when the text has nothing searchable. */
  public static Optional<String> of(String text) {
    return all(tokens(text), Map.of());
  }

  /** The searchable whitespace-separated tokens of the text, as typed. */
  public static List<String> tokens(String text) {
    List<String> out = new ArrayList<>();
    for (String token : text.trim().split("\\s+")) {
      if (token.codePoints().anyMatch(Character::isLetterOrDigit)) out.add(token);
    }
    return out;
  }

  /**
   * Every token must match; a token with an entry in {@code alternatives} (keyed by the lowercased token) may match
   * either spelling: {@code ("asynch" OR "async")}.
   */
  public static Optional<String> all(List<String> tokens, Map<String, String> alternatives) {
    // an explicit AND: FTS5 only joins plain phrases implicitly, not parenthesised groups
    return join(tokens, alternatives, alternatives.isEmpty() ? " " : " AND ");
  }

  /** Any token may match (BM25 still ranks memories with more of them first). */
  public static Optional<String> any(List<String> tokens, Map<String, String> alternatives) {
    return join(tokens, alternatives, " OR ");
  }

  private static Optional<String> join(List<String> tokens, Map<String, String> alternatives, String separator) {
    List<String> groups = new ArrayList<>();
    for (String token : tokens) {
      String alt = alternatives.get(token.toLowerCase(Locale.ROOT));
      groups.add(alt == null ? quote(token) : "(" + quote(token) + " OR " + quote(alt) + ")");
    }
    return groups.isEmpty() ? Optional.empty() : Optional.of(String.join(separator, groups));
  }

  private static String quote(String token) {
    return '"' + token.replace("\"", "\"\"") + '"';
  }
}
