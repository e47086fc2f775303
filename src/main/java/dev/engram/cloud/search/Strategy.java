package dev.engram.cloud.search;

import java.util.Locale;
import java.util.Optional;

/** How a search ranks: the {@code strategy} request field. */
public enum Strategy {
  /** BM25 over content, tags and metadata: any word may match, memories holding every word first. */
  KEYWORD,
  /** Cosine similarity of the query's embedding to each memory's. */
  SEMANTIC,
  /** Keyword (typo-tolerant) and semantic lists fused by their scores, then lightly reranked. */
  HYBRID,
  /**
   * Another name for {@link #HYBRID} (Engram's clients send it). It used to send identifier-like queries to
   * keyword first; hybrid finds identifiers as well (relevance harness) and measured no worse on LoCoMo.
   */
  AUTO;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Strategy> parse(String s) {
    for (Strategy v : values()) {
      if (v.wireName().equals(s)) return Optional.of(v);
    }
    return Optional.empty();
  }
}
