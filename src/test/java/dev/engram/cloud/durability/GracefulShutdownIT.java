package dev.engram.cloud.durability;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.ChildServer;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM under load drains the server: it exits 0 within {@code shutdown.grace_seconds} (plus the margin for the
 * engines, metering and span export); every request it accepted was answered (the access log, one line per request
 * the server began, has no aborted request, and as many lines as the clients got answers); every acknowledged write
 * is there after a restart and nothing else is; the usage counters equal the requests answered; the tenant's WAL was
 * checkpointed; and no log line of either run holds the API key or the password used.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class GracefulShutdownIT {

  private static final int GRACE_SECONDS = 10;
  private static final int ACKS_BEFORE_SIGTERM = 300;
  private ChildServer server;
  private Path dataDir;

  @AfterEach
  void cleanUp() {
    if (server != null) server.close();
    if (dataDir != null) TestServer.deleteRecursively(dataDir);
  }

  @Test
  void sigterm_under_load_answers_everything_accepted_keeps_every_acknowledged_write_and_meters_exactly()
      throws Exception {
    dataDir = Files.createTempDirectory("engram-drain-");
    int port = TestServer.freePort();
    String config = TestServer.withoutRateLimits()
        .put("plans", new JsonObject().put("free", new JsonObject().put("memories", 10_000_000)
            .put("api_calls_per_month", 10_000_000)))
        .put("shutdown", new JsonObject().put("grace_seconds", GRACE_SECONDS))
        .encode();
    server = ChildServer.start(dataDir, port, config, Map.of("ENGRAM_ACCESS_LOG", "INFO"));
    Api api = new Api(port, java.net.http.HttpClient.Version.HTTP_1_1);
    Account account = api.signup();

    Map<Long, String> acknowledged = new ConcurrentHashMap<>();
    AtomicInteger answered = new AtomicInteger();
    AtomicInteger sequence = new AtomicInteger();
    CountDownLatch enough = new CountDownLatch(ACKS_BEFORE_SIGTERM);
    ExecutorService writers = Executors.newFixedThreadPool(16);
    for (int t = 0; t < 16; t++) {
      writers.submit(() -> {
        while (true) {
          String content = "drained write " + sequence.incrementAndGet();
          Api.Response r;
          try {
            r = api.post("/v1/memories", account.apiKey(), new JsonObject().put("content", content));
          } catch (RuntimeException refusedOrClosed) {
            return; // the server stopped accepting: no answer, and (checked below) nothing done
          }
          answered.incrementAndGet();
          if (r.status() == 201) {
            acknowledged.put(r.json().getLong("id"), content);
            enough.countDown();
          }
        }
      });
    }
    assertTrue(enough.await(60, TimeUnit.SECONDS), "the server acknowledged " + ACKS_BEFORE_SIGTERM + " writes");
    // SIGTERM, with writers still sending. Through the handle: Process.destroy() would also close our end of the
    // child's output, and lose what it logs while it drains.
    assertTrue(server.process().toHandle().destroy());
    assertTrue(server.process().waitFor(GRACE_SECONDS + 15, TimeUnit.SECONDS), "the server stopped in time");
    assertEquals(0, server.process().exitValue(), "a drained stop exits 0");
    writers.shutdown();
    assertTrue(writers.awaitTermination(60, TimeUnit.SECONDS));
    List<String> firstRun = server.outputAfterExit();
    assertTrue(firstRun.stream().anyMatch(l -> l.contains("SIGTERM received")),
        "the stop was a drain: " + firstRun.size() + " lines, " + answered.get() + " answered, "
            + firstRun.stream().filter(l -> l.contains("engram.access")).count() + " access lines; last: "
            + firstRun.subList(Math.max(0, firstRun.size() - 2), firstRun.size()));

    List<String> accessLines = firstRun.stream()
        .filter(l -> l.contains("\"logger_name\":\"engram.access\"") && l.contains("\"route\":\"/v1/memories\"")).toList();
    assertTrue(accessLines.stream().noneMatch(l -> l.contains("\"aborted\":true")),
        "no request was dropped after it was accepted");
    assertEquals(answered.get(), accessLines.size(), "every request the server began was answered and received");
    Path tenantDir = dataDir.resolve("tenants").resolve(account.tenantId());
    Path wal = tenantDir.resolve("engram.db-wal");
    assertTrue(!Files.exists(wal) || Files.size(wal) == 0, "the WAL was checkpointed into the database");

    server = ChildServer.start(dataDir, port, config, Map.of());
    Map<Long, String> acked = Map.copyOf(acknowledged);
    long total = api.get("/v1/stats", account.apiKey()).json().getLong("total_memories");
    assertEquals(acked.size(), total, "every acknowledged write is there, and nothing that was not acknowledged; "
        + "statuses logged: " + accessLines.stream().map(l -> l.replaceAll(".*\"status\":(\\d+).*", "$1"))
            .collect(java.util.stream.Collectors.groupingBy(x -> x, java.util.stream.Collectors.counting())));
    for (Map.Entry<Long, String> e : acked.entrySet()) {
      Api.Response r = api.get("/v1/memories/" + e.getKey(), account.apiKey());
      assertEquals(200, r.status(), "acknowledged memory " + e.getKey() + " is still there");
      assertEquals(e.getValue(), r.json().getString("content"));
    }
    // Usage is flushed on a graceful stop; what the second run counted (the gets above) is not flushed yet.
    JsonObject usage = api.get("/v1/usage", account.apiKey()).json().getJsonObject("totals");
    assertEquals(acked.size(), usage.getLong("memories_created"), "metering counted every write that was made");
    assertEquals(answered.get() + acked.size() + 1, usage.getLong("api_calls"),
        "metering counted every answered write, then the second run's gets and the stats call");

    Eventually.until(Duration.ofSeconds(5), "the second run's log is read", () -> !server.output().isEmpty());
    for (String line : Stream.concat(firstRun.stream(), server.output().stream()).toList()) {
      assertFalse(line.contains(account.apiKey()), "the API key is in a log line: " + line);
      assertFalse(line.contains(account.password()), "the password is in a log line: " + line);
    }
  }
}
