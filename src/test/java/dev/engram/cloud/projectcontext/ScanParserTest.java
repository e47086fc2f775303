package dev.engram.cloud.projectcontext;

import dev.engram.cloud.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parsing runs on its own small pool, never on an event loop, and refuses work beyond its bound instead of queuing. */
@Timeout(30)
class ScanParserTest {

  Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void parses_on_its_own_pool_and_refuses_what_would_queue_beyond_the_bound() throws Exception {
    ScanParser parser = onEventLoop(() -> new ScanParser(vertx));
    CountDownLatch release = new CountDownLatch(1);
    List<Future<String>> running = new ArrayList<>();
    for (int i = 0; i < ScanParser.MAX_WAITING; i++) {
      running.add(onEventLoop(() -> parser.parse(() -> {
        release.await();
        return Thread.currentThread().getName();
      })));
    }
    Future<String> refused = onEventLoop(() -> parser.parse(() -> "never runs"));
    Throwable cause = refused.toCompletionStage().toCompletableFuture().handle((ok, err) -> err).get(10, TimeUnit.SECONDS);
    assertTrue(cause instanceof ApiException e && e.status() == 503, String.valueOf(cause));

    release.countDown();
    for (Future<String> f : running) {
      String thread = f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertTrue(thread.startsWith(ScanParser.POOL), thread);
    }
    assertEquals("again", onEventLoop(() -> parser.parse(() -> "again")).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS), "the bound frees up as parses finish");
  }

  /** Runs {@code body} on an event loop, as the HTTP verticle would, and returns its result. */
  private <T> T onEventLoop(java.util.concurrent.Callable<T> body) throws Exception {
    java.util.concurrent.CompletableFuture<T> out = new java.util.concurrent.CompletableFuture<>();
    vertx.runOnContext(v -> {
      try {
        out.complete(body.call());
      } catch (Exception e) {
        out.completeExceptionally(e);
      }
    });
    return out.get(10, TimeUnit.SECONDS);
  }
}
