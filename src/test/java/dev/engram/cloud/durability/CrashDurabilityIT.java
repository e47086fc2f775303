package dev.engram.cloud.durability;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Starts the shaded jar as a child process, writes from many threads, kills the process with SIGKILL while writes
 * are still in flight, restarts it on the same data directory, and finds every write that was answered 201.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CrashDurabilityIT {

  private static final int ACKS_BEFORE_KILL = 400;
  private Process process;
  private Path dataDir;

  @AfterEach
  void cleanUp() {
    if (process != null) process.destroyForcibly();
    if (dataDir != null) TestServer.deleteRecursively(dataDir);
  }

  @Test
  void every_acknowledged_write_survives_kill_minus_9() throws Exception {
    dataDir = Files.createTempDirectory("engram-crash-");
    int port = TestServer.freePort();
    process = startJar(port);
    Api api = new Api(port);
    Account account = api.signup();

    Map<Long, String> acknowledged = new ConcurrentHashMap<>();
    AtomicInteger sequence = new AtomicInteger();
    CountDownLatch enough = new CountDownLatch(ACKS_BEFORE_KILL);
    ExecutorService writers = Executors.newFixedThreadPool(16);
    for (int t = 0; t < 16; t++) {
      writers.submit(() -> {
        while (true) {
          String content = "durable write " + sequence.incrementAndGet();
          Api.Response r;
          try {
            r = api.post("/v1/memories", account.apiKey(), new JsonObject().put("content", content));
          } catch (RuntimeException connectionLost) {
            return;
          }
          if (r.status() == 201) {
            acknowledged.put(r.json().getLong("id"), content);
            enough.countDown();
          }
        }
      });
    }
    assertTrue(enough.await(60, TimeUnit.SECONDS), "the server acknowledged " + ACKS_BEFORE_KILL + " writes");
    process.destroyForcibly();   // SIGKILL, with writers still sending
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    writers.shutdown();
    assertTrue(writers.awaitTermination(60, TimeUnit.SECONDS));
    Map<Long, String> acked = Map.copyOf(acknowledged);
    assertTrue(acked.size() >= ACKS_BEFORE_KILL);

    process = startJar(port);
    for (Map.Entry<Long, String> e : acked.entrySet()) {
      Api.Response r = api.get("/v1/memories/" + e.getKey(), account.apiKey());
      assertEquals(200, r.status(), "acknowledged memory " + e.getKey() + " is still there");
      assertEquals(e.getValue(), r.json().getString("content"));
    }
    long total = api.get("/v1/stats", account.apiKey()).json().getLong("total_memories");
    assertTrue(total >= acked.size(), "nothing acknowledged was lost (" + total + " >= " + acked.size() + ")");
    assertTrue(total <= sequence.get(), "nothing was written that was never sent");
  }

  /**
   * Vectors are computed after the write is acknowledged; a kill in between leaves the memory "pending" in the
   * database, and the restarted server computes its vector when the tenant's engine starts again.
   */
  @Test
  void an_acknowledged_write_gets_its_vector_after_a_kill_minus_9() throws Exception {
    dataDir = Files.createTempDirectory("engram-crash-vectors-");
    int port = TestServer.freePort();
    process = startJar(port);
    Api api = new Api(port);
    Account account = api.signup();
    io.vertx.core.json.JsonArray backlog = new io.vertx.core.json.JsonArray();
    for (int i = 0; i < 900; i++) backlog.add(new JsonObject().put("content", "filler note " + i + " about nothing"));
    Api.Response imported = api.post("/v1/import", account.apiKey(), new JsonObject().put("version", "1.0")
        .put("memories", backlog));
    assertEquals(200, imported.status(), imported.body());
    String quokka = "The quokka lives on Rottnest Island";
    long id = api.createMemory(account.apiKey(), new JsonObject().put("content", quokka)).getLong("id");
    assertTrue(api.get("/v1/stats", account.apiKey()).json().getLong("vectors_pending") > 0,
        "killed with a backlog of vectors");
    process.destroyForcibly();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));

    process = startJar(port);
    JsonObject found = api.search(account.apiKey(), new JsonObject().put("query", "quokka").put("strategy", "keyword"));
    assertEquals(id, found.getJsonArray("results").getJsonObject(0).getJsonObject("memory").getLong("id"),
        "found by keyword at once");
    dev.engram.cloud.testing.Eventually.until(java.time.Duration.ofSeconds(90), "the backlog is computed",
        () -> api.get("/v1/stats", account.apiKey()).json().getLong("vectors_pending") == 0);
    JsonObject semantic = api.search(account.apiKey(), new JsonObject()
        .put("query", "small marsupial on an island near Perth").put("strategy", "semantic"));
    assertEquals(quokka, Api.contents(semantic).get(0));
  }

  /** Starts the jar and returns once it logs that it is listening. */
  private Process startJar(int port) throws Exception {
    String jar = System.getProperty("engram.jar", "target/engram-cloud.jar");
    Path config = dataDir.resolve("test-config.json");
    Files.writeString(config, TestServer.withoutRateLimits().encode());
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar, "--port", Integer.toString(port), "--data-dir", dataDir.toString(), "--config", config.toString())
        .redirectErrorStream(true);
    pb.environment().put("ENGRAM_ACCESS_LOG", "OFF");
    Process p = pb.start();
    CompletableFuture<Void> listening = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = out.readLine()) != null; ) {
          if (line.contains("engram-cloud listening")) listening.complete(null);
        }
        listening.completeExceptionally(new IllegalStateException("server exited before listening"));
      } catch (Exception e) {
        listening.completeExceptionally(e);
      }
    }, "engram-child-output");
    reader.setDaemon(true);
    reader.start();
    listening.get(60, TimeUnit.SECONDS);
    return p;
  }
}
