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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Usage is exact across a crash: clients send a known mix of REST and MCP requests from several threads, the server is
 * killed with SIGKILL right after the last reply, and once restarted on the same data it reports exactly the calls,
 * creates and searches that were answered — before and after the recovered spool is folded.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MeteringCrashIT {

  private static final int THREADS = 6;
  private static final int ROUNDS = 8;
  private ChildServer server;
  private Path dataDir;

  @AfterEach
  void cleanUp() {
    if (server != null) server.close();
    if (dataDir != null) TestServer.deleteRecursively(dataDir);
  }

  @Test
  void usage_is_exact_after_kill_minus_9() throws Exception {
    dataDir = Files.createTempDirectory("engram-metering-crash-");
    int port = TestServer.freePort();
    // Folds every second, so that the kill finds usage both folded and only spooled (and may land mid-fold).
    String config = TestServer.withoutRateLimits()
        .put("metering", new JsonObject().put("fold_seconds", 1)).encode();
    server = ChildServer.start(dataDir, port, config, Map.of("ENGRAM_ACCESS_LOG", "OFF"));
    Api api = new Api(port);
    Account account = api.signup();
    String key = account.apiKey();
    long known = api.createMemory(key, new JsonObject().put("content", "metered crash seed")).getLong("id");

    ExecutorService clients = Executors.newFixedThreadPool(THREADS);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      done.add(clients.submit(() -> {
        for (int i = 0; i < ROUNDS; i++) {
          assertEquals(201, api.post("/v1/memories", key,
              new JsonObject().put("content", "metered " + thread + " " + i)).status());
          assertEquals(200, api.post("/v1/search", key, new JsonObject().put("query", "metered")).status());
          assertEquals(200, api.get("/v1/memories/" + known, key).status());
          assertEquals(404, api.get("/v1/memories/999999999", key).status());
          assertEquals(200, mcp(api, key, "memory_create", new JsonObject().put("content", "mcp " + thread + " " + i)));
          assertEquals(200, mcp(api, key, "memory_search", new JsonObject().put("query", "metered")));
        }
        return null;
      }));
    }
    for (Future<?> f : done) f.get(2, TimeUnit.MINUTES);
    server.process().destroyForcibly(); // SIGKILL, right after the last reply
    server.process().waitFor(30, TimeUnit.SECONDS);
    clients.shutdown();

    long rounds = (long) THREADS * ROUNDS;
    long calls = 1 + rounds * 6; // the seed create, then six calls a round
    long creates = 1 + rounds * 2;
    long searches = rounds * 2;

    server = ChildServer.start(dataDir, port, config, Map.of("ENGRAM_ACCESS_LOG", "OFF"));
    assertUsage(api, key, calls, creates, searches, "read from the control plane and the recovered spool");
    Eventually.until(Duration.ofSeconds(30), "the recovered spool (and that read) is folded",
        () -> metric(api, "engram_metering_spool_events") == 0);
    assertUsage(api, key, calls + 1, creates, searches, "after the fold (the first read counts too)");
  }

  private static void assertUsage(Api api, String key, long calls, long creates, long searches, String when) {
    JsonObject totals = api.get("/v1/usage", key).json().getJsonObject("totals");
    assertEquals(calls, totals.getLong("api_calls"), "api calls, " + when);
    assertEquals(creates, totals.getLong("memories_created"), "memories created, " + when);
    assertEquals(searches, totals.getLong("searches"), "searches, " + when);
  }

  /** One MCP tools/call without a session, as Engram's SDKs send it; the HTTP status. */
  private static int mcp(Api api, String key, String tool, JsonObject arguments) {
    JsonObject message = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call")
        .put("params", new JsonObject().put("name", tool).put("arguments", arguments));
    Api.Response r = api.send("POST", "/v1/mcp", Map.of("Authorization", "Bearer " + key,
        "Accept", "application/json, text/event-stream"), message.encode(), "application/json");
    if (r.status() == 200 && r.json().getJsonObject("result").getBoolean("isError", false)) return 500;
    return r.status();
  }

  private static double metric(Api api, String name) {
    for (String line : api.get("/metrics", null).body().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Double.NaN;
  }
}
