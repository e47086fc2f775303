package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After N requests the usage counters say exactly N, a graceful restart keeps them, and a spool segment folded twice
 * counts once. (The crash case is {@code durability.MeteringCrashIT}.)
 */
class MeteringTest {

  @Test
  void counters_are_exact_and_survive_a_graceful_restart() {
    TestServer server = TestServer.start();
    Api api = server.api();
    Account account = api.signup();
    String key = account.apiKey();

    int creates = 12;
    int searches = 7;
    int gets = 9;
    int failed = 4;
    long firstId = 0;
    for (int i = 0; i < creates; i++) {
      long id = api.createMemory(key, new JsonObject().put("content", "metered " + i)).getLong("id");
      if (i == 0) firstId = id;
    }
    for (int i = 0; i < searches; i++) {
      assertEquals(200, api.post("/v1/search", key, new JsonObject().put("query", "metered")).status());
    }
    for (int i = 0; i < gets; i++) {
      assertEquals(200, api.get("/v1/memories/" + firstId, key).status());
    }
    for (int i = 0; i < failed; i++) {
      assertEquals(404, api.get("/v1/memories/999999", key).status());
    }
    assertEquals(401, api.get("/v1/stats", null).status(), "unauthenticated calls are not billed");

    int calls = creates + searches + gets + failed;
    JsonObject totals = api.get("/v1/usage", key).json().getJsonObject("totals");
    assertEquals(calls, totals.getLong("api_calls"));
    assertEquals(creates, totals.getLong("memories_created"));
    assertEquals(searches, totals.getLong("searches"));

    server.stop();
    TestServer restarted = TestServer.start(new JsonObject().put("data_dir", server.dataDir().toString()));
    try {
      JsonObject after = restarted.api().get("/v1/usage", key).json().getJsonObject("totals");
      assertEquals(calls + 1, after.getLong("api_calls"), "the earlier usage read counts too");
      assertEquals(creates, after.getLong("memories_created"));
      assertEquals(searches, after.getLong("searches"));
    } finally {
      restarted.close();
    }
  }

  @Test
  void a_spool_segment_found_again_after_its_fold_adds_nothing() throws Exception {
    // No fold until the stop: the usage stays in the spool, where a copy of it can be taken.
    JsonObject noTimedFold = new JsonObject().put("metering", new JsonObject().put("fold_seconds", 3600));
    TestServer server = TestServer.start(noTimedFold);
    String key = server.api().signup().apiKey();
    for (int i = 0; i < 5; i++) server.api().createMemory(key, new JsonObject().put("content", "replayed " + i));
    Path spool = server.dataDir().resolve("spool");
    Path copy = Files.createTempDirectory("engram-spool-copy-");
    try {
      for (Path segment : segments(spool)) Files.copy(segment, copy.resolve(segment.getFileName()));
      server.stop(); // folds, then deletes the segments
      assertTrue(segments(spool).isEmpty());
      // As if the node had died after the fold committed and before the files were deleted.
      for (Path segment : segments(copy)) Files.copy(segment, spool.resolve(segment.getFileName()));

      TestServer restarted = TestServer.start(noTimedFold.copy().put("data_dir", server.dataDir().toString()));
      try {
        JsonObject totals = restarted.api().get("/v1/usage", key).json().getJsonObject("totals");
        assertEquals(5, totals.getLong("api_calls"));
        assertEquals(5, totals.getLong("memories_created"));
      } finally {
        restarted.close();
      }
    } finally {
      TestServer.deleteRecursively(copy);
    }
  }

  private static List<Path> segments(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".spool")).toList();
    }
  }
}
