package dev.engram.cloud.abuse;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Liveness;
import dev.engram.cloud.testing.RawHttp;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bodies are read only once the request is authenticated, large uploads in flight are bounded per tenant and per
 * node, and a body that trickles in times out instead of holding its connection and its buffer.
 */
@Timeout(180)
class SlowBodyTest {

  static final long LARGE = 2L << 20; // over the 1 MiB normal body limit: a large upload
  static final int GRACE_SECONDS = 5;
  static TestServer server;
  static Api api;
  /** One thread per upload waiting for its answer (the common pool may have a single thread). */
  static final ExecutorService readers = Executors.newCachedThreadPool();

  @BeforeAll
  static void start() {
    server = TestServer.start(TestServer.withoutRateLimits().put("http", new JsonObject()
        .put("large_uploads_per_node", 3).put("large_uploads_per_tenant", 2)
        .put("body_min_bytes_per_second", 64 * 1024).put("body_grace_seconds", GRACE_SECONDS)));
    api = server.api();
  }

  @AfterAll
  static void stop() {
    readers.shutdownNow();
    server.close();
  }

  static RawHttp upload(String key, long length) {
    RawHttp http = RawHttp.connect(server.config().port());
    Map<String, String> headers = new java.util.HashMap<>(Map.of("Content-Type", "application/json",
        "Content-Length", Long.toString(length)));
    if (key != null) headers.put("Authorization", "Bearer " + key);
    http.head("POST", "/v1/import", headers);
    return http;
  }

  static long memories(String key) {
    return api.get("/v1/stats", key).json().getLong("total_memories");
  }

  /** An import document of at least {@code bytes} bytes, in memories of 90,000 characters each. */
  static String document(int bytes, String content) {
    JsonArray memories = new JsonArray();
    for (int i = 0; i * 90_000 < bytes; i++) {
      memories.add(new JsonObject().put("content", content + " " + i + " " + "p".repeat(90_000)));
    }
    return new JsonObject().put("version", "1.0").put("memories", memories).encode();
  }

  static int memoriesIn(int bytes) {
    return (bytes + 89_999) / 90_000;
  }

  @Test
  void an_unauthenticated_upload_is_answered_401_before_its_body_is_read() {
    Account bystander = api.signup();
    api.createMemory(bystander.apiKey(), new JsonObject().put("content", "untouched"));
    byte[] chunk = new byte[64 * 1024];
    java.util.Arrays.fill(chunk, (byte) ' ');
    try (Liveness live = Liveness.watch(server.config().port(), Duration.ofSeconds(1))) {
      List<RawHttp> connections = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        RawHttp http = upload(null, 30L << 20);
        http.send(chunk);
        connections.add(http);
      }
      for (RawHttp http : connections) {
        RawHttp.Response r = http.response(Duration.ofSeconds(10));
        assertEquals(401, r.status(), r.body());
        assertTrue(http.bodyBytesSent() < (1 << 20), "answered after " + http.bodyBytesSent() + " of 30 MiB");
        assertTrue(http.closedByServer(Duration.ofSeconds(10)), "the rest of the body is not waited for");
        http.close();
      }
      live.assertAnswered();
    }
    assertEquals(1, memories(bystander.apiKey()), "nothing changed for anyone");
  }

  @Test
  void an_expect_100_continue_upload_without_credentials_gets_401_instead_of_continue() {
    try (RawHttp http = RawHttp.connect(server.config().port())) {
      http.head("POST", "/v1/import", Map.of("Content-Type", "application/json",
          "Content-Length", Long.toString(30L << 20), "Expect", "100-continue"));
      assertEquals(401, http.response(Duration.ofSeconds(10)).status());
    }
  }

  @Test
  void large_uploads_in_flight_are_bounded_and_trickling_bodies_time_out() throws Exception {
    Account a = api.signup();
    Account b = api.signup();
    Account c = api.signup();
    AtomicBoolean trickling = new AtomicBoolean(true);
    List<RawHttp> open = new ArrayList<>();
    Thread trickle = new Thread(() -> {
      while (trickling.get()) {
        synchronized (open) {
          open.forEach(h -> h.send(" ".repeat(16).getBytes(StandardCharsets.UTF_8)));
        }
        try {
          Thread.sleep(100); // the abuse: 160 bytes a second per upload
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "trickle");
    try (Liveness live = Liveness.watch(server.config().port(), Duration.ofSeconds(1))) {
      List<CompletableFuture<Integer>> aStatuses = new ArrayList<>();
      for (int i = 0; i < 3; i++) aStatuses.add(startSlowUpload(a.apiKey(), open));
      trickle.start();
      int first = (Integer) CompletableFuture.anyOf(aStatuses.toArray(CompletableFuture[]::new))
          .get(10, TimeUnit.SECONDS);
      assertEquals(429, first, "a tenant's third large upload at once waits its turn");

      List<CompletableFuture<Integer>> others = List.of(startSlowUpload(b.apiKey(), open),
          startSlowUpload(c.apiKey(), open));
      int next = (Integer) CompletableFuture.anyOf(others.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      assertEquals(503, next, "the node holds three large uploads at once, from any tenants");

      Api.Response small = api.send("POST", "/v1/import", Map.of("Authorization", "Bearer " + c.apiKey()),
          document(10_000, "small import while the slots are full"), "application/json");
      assertEquals(200, small.status(), "an ordinary body does not need a large-upload slot: " + small.body());

      List<Integer> aAll = new ArrayList<>();
      for (CompletableFuture<Integer> f : aStatuses) aAll.add(f.get(60, TimeUnit.SECONDS));
      aAll.sort(null);
      assertEquals(List.of(408, 408, 429), aAll, "the trickling uploads time out");
      List<Integer> bcAll = new ArrayList<>();
      for (CompletableFuture<Integer> f : others) bcAll.add(f.get(60, TimeUnit.SECONDS));
      bcAll.sort(null);
      assertEquals(List.of(408, 503), bcAll);
      live.assertAnswered();
    } finally {
      trickling.set(false);
      trickle.interrupt();
      synchronized (open) {
        open.forEach(RawHttp::close);
      }
    }

    assertEquals(0, memories(a.apiKey()), "nothing of the refused or timed-out uploads was written");
    for (Account account : List.of(a, b)) {
      Api.Response large = api.send("POST", "/v1/import", Map.of("Authorization", "Bearer " + account.apiKey()),
          document((int) LARGE, "large import once the slots are free"), "application/json");
      assertEquals(200, large.status(), large.body());
      assertEquals(memoriesIn((int) LARGE), memories(account.apiKey()));
    }
  }

  /** Opens a large upload, sends its first KiB, and reads its answer (whenever it comes) on another thread. */
  private static CompletableFuture<Integer> startSlowUpload(String key, List<RawHttp> open) {
    RawHttp http = upload(key, LARGE);
    http.send(" ".repeat(1024).getBytes(StandardCharsets.UTF_8));
    synchronized (open) {
      open.add(http);
    }
    return CompletableFuture.supplyAsync(() -> {
      RawHttp.Response r = http.response(Duration.ofSeconds(60));
      if (r.status() == 429 || r.status() == 503) assertNotNull(r.header("Retry-After"), "Retry-After on " + r.status());
      return r.status();
    }, readers);
  }
}
