package dev.engram.cloud.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Watches {@code GET /health/live} from its own thread and connection while an abusive request runs, for the
 * abuse suite: every probe must answer 200 within {@code bound}. Use in try-with-resources and call
 * {@link #assertAnswered()} after the abuse (closing stops the watch; it does not assert).
 *
 * <pre>{@code
 * try (Liveness live = Liveness.watch(server.config().port(), Duration.ofSeconds(1))) {
 *   ... the abusive requests ...
 *   live.assertAnswered();
 * }
 * }</pre>
 */
public final class Liveness implements AutoCloseable {

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private final URI uri;
  private final Duration bound;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<String> failures = new ArrayList<>();
  private final Thread thread;
  private int probes;

  private Liveness(int port, Duration bound) {
    this.uri = URI.create("http://127.0.0.1:" + port + "/health/live");
    this.bound = bound;
    this.thread = new Thread(this::run, "liveness-watch");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  public static Liveness watch(int port, Duration bound) {
    return new Liveness(port, bound);
  }

  private void run() {
    while (running.get()) {
      long start = System.nanoTime();
      String failure = null;
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(uri).timeout(bound).build(),
            HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() != 200) failure = "status " + r.statusCode();
      } catch (Exception e) {
        failure = e.getClass().getSimpleName();
      }
      long ms = (System.nanoTime() - start) / 1_000_000;
      synchronized (this) {
        probes++;
        if (failure == null && ms > bound.toMillis()) failure = "answered after " + ms + " ms";
        if (failure != null) failures.add("probe " + probes + ": " + failure);
      }
      try {
        Thread.sleep(50); // the probe interval, not a wait for the server
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /**
   * Waits for one more probe (so the server is also checked after the abuse), then fails when any probe so far got
   * no 200 within the bound.
   */
  public void assertAnswered() {
    int seen;
    synchronized (this) {
      seen = probes;
    }
    Eventually.until(bound.plusSeconds(2), "a liveness probe after the abuse", () -> {
      synchronized (this) {
        return probes > seen;
      }
    });
    synchronized (this) {
      if (failures.isEmpty()) return;
      throw new AssertionError("/health/live did not answer within " + bound.toMillis() + " ms in " + failures.size()
          + " of " + probes + " probes: " + failures.subList(0, Math.min(5, failures.size())));
    }
  }

  @Override
  public void close() {
    running.set(false);
    thread.interrupt();
    try {
      thread.join(bound.toMillis() + 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
