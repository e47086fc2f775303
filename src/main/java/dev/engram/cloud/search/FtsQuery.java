package dev.engram.cloud.search;

import java.util.ArrayList;
import java.util.List;
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
    List<String> phrases = new ArrayList<>();
    for (String token : text.trim().split("\\s+")) {
      if (token.codePoints().anyMatch(Character::isLetterOrDigit)) {
        phrases.add('"' + token.replace("\"", "\"\"") + '"');
      }
    }
    return phrases.isEmpty() ? Optional.empty() : Optional.of(String.join(" ", phrases));
  }
}
