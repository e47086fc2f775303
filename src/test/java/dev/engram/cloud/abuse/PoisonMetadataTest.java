package dev.engram.cloud.abuse;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Liveness;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memories whose metadata imitates a project scan's with values of the wrong type (issue 9: a string
 * {@code section_index} made the next scan throw inside the engine, left its transaction open, and let the free plan
 * pass its memory cap). Wrong types are treated as unknown: the scan and the project context answer, the plan cap
 * holds to the memory, and nothing beyond each request's own effect changes.
 */
@Timeout(120)
class PoisonMetadataTest {

  static final long CAP = 7;
  static TestServer server;
  static Api api;

  @BeforeAll
  static void start() {
    JsonObject plans = new JsonObject().put("free", new JsonObject().put("memories", CAP));
    server = TestServer.start(ConfigLoader.deepMerge(TestServer.withoutRateLimits(), new JsonObject().put("plans", plans)));
    api = server.api();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** A memory that looks like a section a scan of project p stored for {@code sourceFile}. */
  static JsonObject lookalike(Object sourceFile, Object sectionPath) {
    return new JsonObject().put("content", "planted " + sourceFile + " " + sectionPath).put("memory_type", "context")
        .put("tags", new JsonArray().add("project-context").add("section").add("cursorrules").add("project:p"))
        .put("metadata", new JsonObject().put("project", "p").put("source_file", sourceFile)
            .put("file_type", 7).put("section_path", sectionPath).put("section_index", "x"));
  }

  static JsonObject scanBody(JsonObject files) {
    JsonArray list = new JsonArray();
    files.forEach(f -> list.add(new JsonObject().put("path", f.getKey()).put("content", f.getValue())));
    return new JsonObject().put("project", "p").put("files", list);
  }

  static long total(String key) {
    Api.Response r = api.get("/v1/stats", key);
    assertEquals(200, r.status(), r.body());
    return r.json().getLong("total_memories");
  }

  static JsonObject context(String key) {
    Api.Response r = api.get("/v1/project-context?project=p", key);
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  @Test
  void lookalike_metadata_of_the_wrong_type_is_unknown_and_the_memory_cap_holds() throws Exception {
    Account attacker = api.signup();
    Account bystander = api.signup();
    String key = attacker.apiKey();
    api.createMemory(bystander.apiKey(), new JsonObject().put("content", "someone else's note"));
    api.createMemory(key, lookalike(".cursorrules", "Instructions"));
    api.createMemory(key, lookalike(".cursorrules", new JsonArray().add("not").add("a string")));
    long foreign = api.createMemory(key, lookalike(42, "Instructions")).getLong("id");
    assertEquals(3, total(key));

    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (Liveness live = Liveness.watch(server.config().port(), Duration.ofSeconds(1))) {
      // Listed, in an order of their own, rather than a 500; the one naming no file by a string is not context.
      assertEquals(2, context(key).getInteger("count"));

      // The scan and the writes sent with it (one group commit, most likely) are all answered, promptly.
      CompletableFuture<Api.Response> scan = async(pool, () ->
          api.post("/v1/project-context/scan", key, scanBody(new JsonObject().put(".cursorrules", "Never log secrets.\n"))));
      List<CompletableFuture<Api.Response>> creates = List.of(
          async(pool, () -> api.post("/v1/memories", key, new JsonObject().put("content", "beside the scan 1"))),
          async(pool, () -> api.post("/v1/memories", key, new JsonObject().put("content", "beside the scan 2"))));
      Api.Response scanned = scan.get();
      assertEquals(200, scanned.status(), scanned.body());
      // A parent is created; the lookalike at the same section path is taken as that section and updated; the other
      // lookalike of that file is retired.
      assertEquals(List.of(1, 1, 1), List.of(scanned.json().getInteger("memories_created"),
          scanned.json().getInteger("memories_updated"), scanned.json().getInteger("memories_retired")));
      for (CompletableFuture<Api.Response> c : creates) assertEquals(201, c.get().status(), c.get().body());

      assertEquals(5, total(key), "3 planted + 2 created + 1 parent - 1 retired");
      assertEquals(2, context(key).getInteger("count"), "the parent and its one section");
      assertEquals(200, api.get("/v1/memories/" + foreign, key).status(), "not context, so not retired");

      // The cap counts to the memory: exactly CAP fit, the next is refused.
      while (total(key) < CAP) api.createMemory(key, new JsonObject().put("content", "filler " + total(key)));
      Api.Response over = api.post("/v1/memories", key, new JsonObject().put("content", "one too many"));
      assertEquals(402, over.status(), over.body());
      assertEquals(CAP, over.json().getLong("used"));

      // A scan that would grow past the cap is refused whole.
      Api.Response bigger = api.post("/v1/project-context/scan", key, scanBody(new JsonObject()
          .put(".cursorrules", "Never log secrets.\n").put("AGENTS.md", "# Rules\n\nBe brief.\n")));
      assertEquals(402, bigger.status(), bigger.body());
      assertEquals(CAP, total(key));
      assertEquals(2, context(key).getInteger("count"));
      live.assertAnswered();
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, total(bystander.apiKey()), "the other tenant is untouched");
  }

  private static <T> CompletableFuture<T> async(ExecutorService pool, Supplier<T> call) {
    return CompletableFuture.supplyAsync(call, pool);
  }
}
