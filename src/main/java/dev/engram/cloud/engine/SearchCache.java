package dev.engram.cloud.engine;

import dev.engram.cloud.search.VectorIndex;
import dev.engram.cloud.search.Vocabulary;

import java.io.IOException;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One tenant's in-memory search state: the vector matrix (from its database) and the vocabulary (from its keyword
 * index), loaded lazily, kept in step with committed writes by the engine, and dropped under memory pressure (see
 * {@link VectorBudget}).
 *
 * <p>Consistency: the matrix is loaded while holding the write lock, and the engine applies each committed batch
 * of vector changes under the same lock, so a batch is either in the loaded snapshot or applied after it
 * (applying twice is harmless: changes are upserts and removals by id).
 */
final class SearchCache {

  /** A function over the loaded matrix that may read the database. */
  interface IndexRead<T> {
    T apply(VectorIndex index) throws SQLException;
  }

  /** Builds the vocabulary (from the keyword index). */
  interface VocabularySource {
    Vocabulary load() throws IOException;
  }

  /** A large vocabulary is rebuilt at most this often while writes keep coming (rebuilding scans the index). */
  private static final long VOCABULARY_STALE_NANOS = 5_000_000_000L;
  private static final int SMALL_VOCABULARY = 5_000;

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final VectorBudget budget;
  private final int dims;
  private VectorIndex index;
  private volatile Vocabulary vocabulary;
  private volatile long vocabularyGeneration;
  private volatile long vocabularyBuiltNanos;
  /** Bumped whenever the words of the tenant's memories changed. */
  private volatile long generation;
  private volatile long lastUsedNanos = System.nanoTime();
  private long reportedBytes;

  SearchCache(VectorBudget budget, int dims) {
    this.budget = budget;
    this.dims = dims;
  }

  long lastUsedNanos() {
    return lastUsedNanos;
  }

  /** Runs {@code read} over the matrix, loading it from {@code store} first if needed. */
  <T> T withIndex(MemoryStore store, IndexRead<T> read) throws SQLException {
    lastUsedNanos = System.nanoTime();
    while (true) {
      lock.readLock().lock();
      try {
        if (index != null) return read.apply(index);
      } finally {
        lock.readLock().unlock();
      }
      lock.writeLock().lock();
      try {
        if (index == null) {
          VectorIndex loaded = new VectorIndex(dims, store.vectorCount() + 1024);
          store.loadVectors(loaded);
          index = loaded;
        }
      } finally {
        lock.writeLock().unlock();
      }
      report();
    }
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
    report();
    return v;
  }

  /** The keyword index took changes: the vocabulary is rebuilt before it is next used. */
  void wordsChanged() {
    generation++;
  }

  /** Applies the vector changes of a committed batch (engine thread). */
  void committed(List<MemoryStore.VectorChange> changes) {
    if (changes.isEmpty()) return;
    boolean rebuild = false;
    lock.writeLock().lock();
    try {
      if (index != null) {
        for (MemoryStore.VectorChange c : changes) {
          if (c.removes()) {
            index.remove(c.id());
          } else if (!index.upsert(c.id(), c.embedding())) {
            rebuild = true;
            break;
          }
        }
        if (rebuild) index = null; // out-of-order ids: reload from the database next time
      }
    } finally {
      lock.writeLock().unlock();
    }
    report();
  }

  /** Frees the memory; the next search reloads. */
  void drop() {
    lock.writeLock().lock();
    try {
      index = null;
      vocabulary = null;
    } finally {
      lock.writeLock().unlock();
    }
    synchronized (this) {
      reportedBytes = 0;
    }
  }

  void close() {
    drop();
    budget.forget(this);
  }

  /** Tells the budget when the size changed noticeably (by an eighth), so small writes cost no accounting. */
  private void report() {
    long bytes;
    lock.readLock().lock();
    try {
      bytes = (index == null ? 0 : index.bytes());
    } finally {
      lock.readLock().unlock();
    }
    Vocabulary v = vocabulary;
    if (v != null) bytes += v.bytes();
    synchronized (this) {
      if (Math.abs(bytes - reportedBytes) <= reportedBytes / 8 && reportedBytes != 0) return;
      reportedBytes = bytes;
    }
    budget.resized(this, bytes);
  }
}
