package dev.engram.cloud.engine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.engram.cloud.search.Embedder;
import dev.engram.cloud.search.Vectors;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntSupplier;

/**
 * The embedder, shared by every tenant engine of the server: background inference threads that compute the vectors
 * of stored memories off the write path ({@code search.embedding_threads}, one by default, never an event loop or
 * an engine thread), and a short-lived cache of query embeddings. Each engine keeps at most one batch in the queue
 * and sends the next when it is done, so tenants take turns and the queue is bounded by the number of engines.
 *
 * <p>Requests come first: while commands wait in the engines, an inference thread rests four times as long as its
 * last batch took, so it takes at most a fifth of a core from them; the backlog still drains (more slowly) under
 * constant load, and at full speed when the server is idle.
 */
final class Embeddings implements AutoCloseable {

  /** Memories per batch: one read and one write transaction of the engine for this many inferences. */
  static final int BATCH = 16;
  private static final int QUERY_CACHE_ENTRIES = 10_000;
  private static final Duration QUERY_CACHE_TTL = Duration.ofMinutes(10);
  private static final int RATE_WINDOW_SECONDS = 60;
  /** While requests wait: rest this many times as long as the batch took. */
  private static final int BUSY_REST = 4;
  private static final long MAX_REST_NANOS = 2_000_000_000L;
  /** Test hook: runs on the inference thread before each batch. Tests block it to hold vectors back. */
  static volatile Runnable beforeBatch = () -> {};

  private final Embedder embedder;
  private final IntSupplier waitingCommands;
  private final ThreadPoolExecutor inference;
  /** Keyed by tenant and text: one tenant's searches never show (by their speed) what another one asked. */
  private final Cache<String, float[]> queries = Caffeine.newBuilder().maximumSize(QUERY_CACHE_ENTRIES)
      .expireAfterWrite(QUERY_CACHE_TTL).build();
  private final AtomicLong backlog = new AtomicLong();
  private final Counter computed;
  /** Vectors computed per second over the last minute, by second: the drain-rate gauge. */
  private final AtomicLongArray perSecond = new AtomicLongArray(RATE_WINDOW_SECONDS);
  private final AtomicLongArray secondOf = new AtomicLongArray(RATE_WINDOW_SECONDS);

  /** {@code waitingCommands}: how many commands the engines hold unanswered (requests first, see above). */
  Embeddings(Embedder embedder, int threads, int maxQueued, IntSupplier waitingCommands, MeterRegistry registry) {
    this.embedder = embedder;
    this.waitingCommands = waitingCommands;
    AtomicInteger n = new AtomicInteger();
    this.inference = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(Math.max(1, maxQueued)), r -> {
          Thread t = new Thread(r, "engram-embedding-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    Gauge.builder("engram_embedding_backlog", backlog, AtomicLong::get)
        .description("Memories of active tenants waiting for their vector").register(registry);
    computed = Counter.builder("engram_embeddings_computed")
        .description("Vectors computed for stored memories").register(registry);
    Gauge.builder("engram_embedding_rate", this, Embeddings::ratePerSecond)
        .description("Vectors computed per second, averaged over the last minute").register(registry);
  }

  Embedder embedder() {
    return embedder;
  }

  /** The query's embedding, from the cache when the tenant asked the same text in the last minutes. */
  float[] query(String tenantId, String text) {
    return queries.get(tenantId + '\u0000' + text, k -> embedder.embed(text));
  }

  /**
   * Embeds {@code texts} on an inference thread; the quantized vectors arrive on {@code context}. Fails with
   * {@link RejectedExecutionException} when the queue is full (the caller tries again later).
   */
  Future<List<byte[]>> embed(List<String> texts, Context context) {
    Promise<List<byte[]>> promise = Promise.promise();
    try {
      inference.execute(() -> {
        try {
          beforeBatch.run();
          long start = System.nanoTime();
          List<byte[]> out = new ArrayList<>(texts.size());
          for (String text : texts) out.add(Vectors.quantize(embedder.embed(text)));
          counted(out.size());
          context.runOnContext(v -> promise.complete(out));
          if (waitingCommands.getAsInt() > 0) {
            long rest = Math.min(MAX_REST_NANOS, (System.nanoTime() - start) * BUSY_REST);
            Thread.sleep(rest / 1_000_000, (int) (rest % 1_000_000));
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt(); // shutting down
        } catch (Throwable t) {
          context.runOnContext(v -> promise.fail(t));
        }
      });
    } catch (RejectedExecutionException e) {
      return Future.failedFuture(e);
    }
    return promise.future();
  }

  /** Engines report changes of their backlog here (+ when counted at start, - as it drains or when they stop). */
  void backlogChanged(long delta) {
    backlog.addAndGet(delta);
  }

  private void counted(int n) {
    computed.increment(n);
    long second = System.currentTimeMillis() / 1000;
    int slot = (int) (second % RATE_WINDOW_SECONDS);
    if (secondOf.getAndSet(slot, second) != second) perSecond.set(slot, 0);
    perSecond.addAndGet(slot, n);
  }

  private double ratePerSecond() {
    long now = System.currentTimeMillis() / 1000;
    long sum = 0;
    for (int i = 0; i < RATE_WINDOW_SECONDS; i++) {
      if (now - secondOf.get(i) < RATE_WINDOW_SECONDS) sum += perSecond.get(i);
    }
    return (double) sum / RATE_WINDOW_SECONDS;
  }

  @Override
  public void close() {
    inference.shutdownNow();
  }
}
