package dev.engram.cloud.search;

import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * An in-memory matrix of one tenant's quantised vectors, stored dimension-major ({@code columns[d][row]}), so a
 * query touches only the columns where it is non-zero: a short query has a few dozen of 384, and scoring 100,000
 * rows is a few million multiply-adds over contiguous arrays. Rows are kept in ascending id order (ids are
 * assigned in increasing order), which makes lookup by id a binary search. Not thread-safe: the owner guards it.
 */
public final class VectorIndex {

  /** A scored row. */
  public record Hit(long id, float similarity) {}

  /** Result of a top-k scan: the hits, best first, and how many rows reached the similarity floor. */
  public record TopK(Hit[] hits, int aboveFloor) {}

  private final int dims;
  private byte[][] columns;
  private float[] scales;
  private long[] ids;
  private boolean[] deleted;
  private int size;
  private int live;

  public VectorIndex(int dims, int capacity) {
    this.dims = dims;
    int cap = Math.max(16, capacity);
    columns = new byte[dims][cap];
    scales = new float[cap];
    ids = new long[cap];
    deleted = new boolean[cap];
  }

  public int size() {
    return live;
  }

  /** Heap bytes held (approximately). */
  public long bytes() {
    return (long) ids.length * (dims + 4 + 8 + 1);
  }

  /**
   * Adds or replaces the vector of {@code id}. Returns false when the id is below the largest id and not present
   * (ids out of order): the caller should rebuild the index from storage.
   */
  public boolean upsert(long id, byte[] stored) {
    int row = find(id);
    if (row < 0) {
      if (size > 0 && id < ids[size - 1]) return false;
      if (size == ids.length) grow();
      row = size++;
      ids[row] = id;
      live++;
    } else if (deleted[row]) {
      deleted[row] = false;
      live++;
    }
    scales[row] = Vectors.scale(stored);
    for (int d = 0; d < dims; d++) columns[d][row] = stored[4 + d];
    return true;
  }

  public void remove(long id) {
    int row = find(id);
    if (row >= 0 && !deleted[row]) {
      deleted[row] = true;
      live--;
    }
  }

  /**
   * The {@code k} rows most similar to {@code query} (a unit vector), best first, among rows whose cosine is at
   * least {@code floor}.
   */
  public TopK top(float[] query, int k, float floor) {
    float[] acc = new float[size];
    for (int d = 0; d < dims; d++) {
      float q = query[d];
      if (q == 0) continue;
      byte[] col = columns[d];
      for (int r = 0; r < size; r++) acc[r] += q * col[r];
    }
    PriorityQueue<Hit> heap = new PriorityQueue<>(Math.max(1, k), (a, b) -> Float.compare(a.similarity(), b.similarity()));
    int above = 0;
    for (int r = 0; r < size; r++) {
      if (deleted[r]) continue;
      float sim = acc[r] * scales[r];
      if (sim < floor) continue;
      above++;
      if (heap.size() < k) {
        heap.add(new Hit(ids[r], sim));
      } else if (k > 0 && sim > heap.peek().similarity()) {
        heap.poll();
        heap.add(new Hit(ids[r], sim));
      }
    }
    Hit[] out = new Hit[heap.size()];
    for (int i = out.length - 1; i >= 0; i--) out[i] = heap.poll();
    return new TopK(out, above);
  }

  private int find(long id) {
    int row = Arrays.binarySearch(ids, 0, size, id);
    return row >= 0 ? row : -1;
  }

  private void grow() {
    int cap = ids.length * 2;
    for (int d = 0; d < dims; d++) columns[d] = Arrays.copyOf(columns[d], cap);
    scales = Arrays.copyOf(scales, cap);
    ids = Arrays.copyOf(ids, cap);
    deleted = Arrays.copyOf(deleted, cap);
  }
}
