package dev.engram.cloud.engine;

import dev.engram.cloud.search.Vocabulary;

import java.io.IOException;

/**
 * One tenant's in-memory search state: the vocabulary typo correction draws on (from its search index), built
 * lazily, rebuilt after the words changed, and dropped under memory pressure (see {@link CacheBudget}).
 */
final class SearchCache {

  /** Builds the vocabulary (from the search index). */
  interface VocabularySource {
    Vocabulary load() throws IOException;
  }

  /** A large vocabulary is rebuilt at most this often while writes keep coming (rebuilding scans the index). */
  private static final long VOCABULARY_STALE_NANOS = 5_000_000_000L;
  private static final int SMALL_VOCABULARY = 5_000;

  private final CacheBudget budget;
  private volatile Vocabulary vocabulary;
  private volatile long vocabularyGeneration;
  private volatile long vocabularyBuiltNanos;
  /** Bumped whenever the words of the tenant's memories changed. */
  private volatile long generation;
  private volatile long lastUsedNanos = System.nanoTime();

  SearchCache(CacheBudget budget) {
    this.budget = budget;
  }

  long lastUsedNanos() {
    return lastUsedNanos;
  }

  /** The vocabulary, rebuilt when writes changed it (at most every few seconds for a large one). */
  Vocabulary vocabulary(VocabularySource source) throws IOException {
    lastUsedNanos = System.nanoTime();
    Vocabulary v = vocabulary;
    long gen = generation;
    boolean fresh = v != null && (vocabularyGeneration == gen
        || (v.size() > SMALL_VOCABULARY && System.nanoTime() - vocabularyBuiltNanos < VOCABULARY_STALE_NANOS));
    if (fresh) return v;
    v = source.load();
    vocabulary = v;
    vocabularyGeneration = gen;
    vocabularyBuiltNanos = System.nanoTime();
    budget.resized(this, v.bytes());
    return v;
  }

  /** The search index took changes: the vocabulary is rebuilt before it is next used. */
  void wordsChanged() {
    generation++;
  }

  /** Frees the memory; the next use rebuilds. */
  void drop() {
    vocabulary = null;
  }

  void close() {
    drop();
    budget.forget(this);
  }
}
