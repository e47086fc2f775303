package dev.engram.cloud.search;

import java.util.Arrays;

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
    // a min-heap of rows on primitive arrays (the worst kept row on top): a boxed PriorityQueue of Hits was a
    // third of a 100k-row scan's time
    int cap = Math.max(0, Math.min(k, size));
    float[] heapSim = new float[cap];
    int[] heapRow = new int[cap];
    int kept = 0;
    int above = 0;
    for (int r = 0; r < size; r++) {
      float sim = acc[r] * scales[r];
      if (sim < floor || deleted[r]) continue;
      above++;
      if (kept < cap) {
        heapSim[kept] = sim;
        heapRow[kept] = r;
        siftUp(heapSim, heapRow, kept++);
      } else if (cap > 0 && sim > heapSim[0]) {
        heapSim[0] = sim;
        heapRow[0] = r;
        siftDown(heapSim, heapRow, kept);
      }
    }
    Hit[] out = new Hit[kept];
    for (int i = 0; i < kept; i++) out[i] = new Hit(ids[heapRow[i]], heapSim[i]);
    // best first; among equal similarities the older row (lower id) first
    Arrays.sort(out, (a, b) -> a.similarity() != b.similarity() ? Float.compare(b.similarity(), a.similarity())
        : Long.compare(a.id(), b.id()));
    return new TopK(out, above);
  }

  /** The cosine of {@code id}'s vector with {@code query} (a unit vector); NaN when the index has no vector for it. */
  public float similarity(long id, float[] query) {
    int row = find(id);
    if (row < 0 || deleted[row]) return Float.NaN;
    float dot = 0;
    for (int d = 0; d < dims; d++) dot += query[d] * columns[d][row];
    return dot * scales[row];
  }

  /** True when (sa, ra) should sit above (sb, rb) in the heap: the lower similarity, then the later row. */
  private static boolean worse(float sa, int ra, float sb, int rb) {
    return sa < sb || (sa == sb && ra > rb);
  }

  private static void siftUp(float[] sim, int[] row, int i) {
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!worse(sim[i], row[i], sim[parent], row[parent])) return;
      swap(sim, row, i, parent);
      i = parent;
    }
  }

  private static void siftDown(float[] sim, int[] row, int n) {
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      if (l >= n) return;
      int c = l + 1 < n && worse(sim[l + 1], row[l + 1], sim[l], row[l]) ? l + 1 : l;
      if (!worse(sim[c], row[c], sim[i], row[i])) return;
      swap(sim, row, i, c);
      i = c;
    }
  }

  private static void swap(float[] sim, int[] row, int a, int b) {
    float s = sim[a];
    sim[a] = sim[b];
    sim[b] = s;
    int r = row[a];
    row[a] = row[b];
    row[b] = r;
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
