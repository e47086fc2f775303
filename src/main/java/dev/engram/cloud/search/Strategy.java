package dev.engram.cloud.search;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** How a search ranks: the {@code strategy} request field. */
public enum Strategy {
  /** BM25 over content, tags and metadata; every word must match. */
  KEYWORD,
  /** Cosine similarity of the query's embedding to each memory's. */
  SEMANTIC,
  /** Keyword (typo-tolerant, any-word fallback) and semantic lists fused by reciprocal rank, then reranked. */
  HYBRID,
  /** {@link #KEYWORD} for a query that looks like an exact identifier, {@link #HYBRID} for anything else. */
  AUTO;

  /**
   * Found anywhere in a word: a digit next to a letter, or inner punctuation a prose word does not have (file.rs,
   * a@b.c, RML-916). Searched for with find(), not matched as .*(…).*, which backtracks quadratically.
   */
  private static final Pattern IDENTIFIER = Pattern.compile(
      "\\p{L}\\d|\\d\\p{L}|[\\p{L}\\d][._/:@#$\\\\=][\\p{L}\\d]|\\d-|-\\d|\\p{Ll}\\p{Lu}|_");

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Strategy> parse(String s) {
    for (Strategy v : values()) {
      if (v.wireName().equals(s)) return Optional.of(v);
    }
    return Optional.empty();
  }

  /**
   * The rule of {@code auto}: a query in double quotes, or with a token shaped like an identifier (a path, file
   * name, email, ticket number, snake_case or camelCase name, a version), wants exact matches: KEYWORD. Prose gets
   * HYBRID. (The engine falls back to HYBRID when the keyword search of an identifier finds nothing.)
   */
  public static Strategy auto(String query) {
    String q = query.trim();
    if (q.length() >= 2 && q.startsWith("\"") && q.endsWith("\"")) return KEYWORD;
    for (String token : q.split("\\s+")) {
      if (IDENTIFIER.matcher(token).find()) return KEYWORD;
    }
    return HYBRID;
  }
}
