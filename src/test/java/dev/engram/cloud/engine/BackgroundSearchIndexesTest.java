package dev.engram.cloud.engine;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The search indexes that are kept beside the database: vectors computed in the background after a write, and the
 * keyword index, caught up or rebuilt from the database. Through the API of real servers; vectors are held back
 * with {@link Embeddings#beforeBatch} where a test needs them missing.
 */
@Timeout(180)
class BackgroundSearchIndexesTest {

  private final CountDownLatch release = new CountDownLatch(1);
  private Path data;

  @AfterEach
  void cleanUp() {
    release.countDown();
    Embeddings.beforeBatch = () -> {};
    TenantEngineVerticle.syncCatchUpLimit = 20_000;
    TenantEngineVerticle.holdCatchUp = false;
    if (data != null) TestServer.deleteRecursively(data);
  }

  /** Holds every vector back until {@link #release} counts down. */
  private void holdVectors() {
    Embeddings.beforeBatch = () -> {
      try {
        release.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }

  private TestServer start(JsonObject search) throws IOException {
    if (data == null) data = Files.createTempDirectory("engram-indexes-");
    return TestServer.start(TestServer.withoutRateLimits().put("data_dir", data.toString()).put("search", search));
  }

  private static long pending(Api api, String key) {
    return api.get("/v1/stats", key).json().getLong("vectors_pending");
  }

  @Test
  void a_memory_is_found_by_keyword_before_its_vector_exists() throws IOException {
    holdVectors();
    TestServer server = start(new JsonObject());
    try {
      Api api = server.api();
      String key = api.signup().apiKey();
      api.createMemory(key, new JsonObject().put("content", "The quokka lives on Rottnest Island"));
      assertEquals(1, pending(api, key), "its vector is not computed yet");
      Eventually.until(Duration.ofSeconds(10), "the operators' gauge counts it",
          () -> server.metric("engram_embedding_backlog") == 1);

      JsonObject found = api.search(key, new JsonObject().put("query", "where does the quokka live").put("explain", true));
      assertEquals("hybrid", found.getString("strategy"));
      assertEquals(List.of("The quokka lives on Rottnest Island"), Api.contents(found));
      JsonObject explain = found.getJsonArray("results").getJsonObject(0).getJsonObject("explain");
      assertNull(explain.getValue("semantic"), "no vector, no semantic part: " + explain);
      assertTrue(Api.contents(api.search(key, new JsonObject().put("query", "quokka island")
          .put("strategy", "semantic"))).isEmpty());

      release.countDown();
      api.awaitVectors(key);
      Eventually.until(Duration.ofSeconds(10), "the gauge is counted again as the batch is stored",
          () -> server.metric("engram_embedding_backlog") == 0);
      assertEquals(1, server.metric("engram_embeddings_computed_total"));
      assertEquals("The quokka lives on Rottnest Island", Api.contents(api.search(key, new JsonObject()
          .put("query", "small marsupial on an island near Perth").put("strategy", "semantic"))).get(0));
    } finally {
      server.stop();
    }
  }

  @Test
  void switching_the_embedder_re_embeds_in_the_background_and_no_search_fails() throws IOException {
    String key;
    List<String> notes = List.of("Our dog barks at the mail carrier every morning",
        "The invoice totals are rounded to two decimals", "Deploys go out on Tuesdays after the standup");
    TestServer hashing = start(new JsonObject().put("embedder", "hashing"));
    try {
      key = hashing.api().signup().apiKey();
      for (String n : notes) hashing.api().createMemory(key, new JsonObject().put("content", n));
      hashing.api().awaitVectors(key);
    } finally {
      hashing.stop();
    }
    holdVectors();
    TestServer minilm = start(new JsonObject().put("embedder", "minilm"));
    try {
      Api api = minilm.api();
      assertEquals(3, pending(api, key), "every memory waits for a vector of the new model");
      for (String strategy : List.of("keyword", "semantic", "hybrid", "auto")) {
        Api.Response r = api.post("/v1/search", key, new JsonObject().put("query", "dog barks").put("strategy", strategy));
        assertEquals(200, r.status(), strategy + ": " + r.body());
      }
      assertTrue(Api.contents(api.search(key, new JsonObject().put("query", "dog barks").put("strategy", "semantic")))
          .isEmpty(), "the old model's vectors are gone, not ranked beside the new ones");
      assertEquals(notes.get(0), Api.contents(api.search(key, new JsonObject().put("query", "dog barks"))).get(0),
          "hybrid finds it by keyword meanwhile");

      release.countDown();
      api.awaitVectors(key);
      assertEquals(notes.get(0), Api.contents(api.search(key, new JsonObject().put("query", "a noisy puppy")
          .put("strategy", "semantic"))).get(0), "the model's vectors: a paraphrase with no shared word");
    } finally {
      minilm.stop();
    }
  }

  @Test
  void a_deleted_or_corrupted_keyword_index_is_rebuilt_from_the_database() throws IOException {
    Api.Account account;
    TestServer first = start(new JsonObject());
    try {
      account = first.api().signup();
      for (int i = 0; i < 5; i++) {
        first.api().createMemory(account.apiKey(), new JsonObject().put("content", "okapi sighting number " + i));
      }
      assertEquals(0, first.metric("engram_search_index_rebuilds_total", "reason=missing"),
          "a new tenant's first index is no rebuild");
    } finally {
      first.stop();
    }
    Path keyword = data.resolve("tenants").resolve(account.tenantId()).resolve("index");
    assertTrue(Files.isDirectory(keyword));

    TestServer.deleteRecursively(keyword);
    TestServer afterDelete = start(new JsonObject());
    try {
      assertEquals(5, keywordTotal(afterDelete.api(), account.apiKey(), "okapi"));
      assertEquals(1, afterDelete.metric("engram_search_index_rebuilds_total", "reason=missing"));
      afterDelete.api().createMemory(account.apiKey(), new JsonObject().put("content", "one more okapi"));
    } finally {
      afterDelete.stop();
    }

    try (Stream<Path> files = Files.list(keyword)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) Files.write(f, "not an index".getBytes());
    }
    TestServer afterCorruption = start(new JsonObject());
    try {
      assertEquals(6, keywordTotal(afterCorruption.api(), account.apiKey(), "okapi"));
      assertEquals(1, afterCorruption.metric("engram_search_index_rebuilds_total", "reason=missing"));
    } finally {
      afterCorruption.stop();
    }
  }

  @Test
  void a_large_rebuild_runs_in_the_background_and_searches_answer_partial_meanwhile() throws IOException {
    Api.Account account;
    TestServer first = start(new JsonObject());
    try {
      account = first.api().signup();
      for (int i = 0; i < 5; i++) {
        first.api().createMemory(account.apiKey(), new JsonObject().put("content", "okapi sighting number " + i));
      }
    } finally {
      first.stop();
    }
    TestServer.deleteRecursively(data.resolve("tenants").resolve(account.tenantId()).resolve("index"));
    TenantEngineVerticle.syncCatchUpLimit = 0; // every gap is "large"
    TenantEngineVerticle.holdCatchUp = true;
    TestServer second = start(new JsonObject());
    try {
      Api api = second.api();
      JsonObject during = api.search(account.apiKey(), new JsonObject().put("query", "okapi").put("strategy", "keyword"));
      assertEquals(true, during.getValue("partial"), during.encode());
      assertEquals(0, during.getLong("total"), "the index holds nothing yet");
      assertEquals(1, second.metric("engram_search_indexes_behind"), "operators see an index catching up");
      api.createMemory(account.apiKey(), new JsonObject().put("content", "an okapi written during the rebuild"));

      TenantEngineVerticle.holdCatchUp = false;
      Eventually.until(Duration.ofSeconds(30), "the rebuild completes", () -> !api.search(account.apiKey(),
          new JsonObject().put("query", "okapi").put("strategy", "keyword")).containsKey("partial"));
      assertEquals(6, keywordTotal(api, account.apiKey(), "okapi"));
      assertFalse(api.search(account.apiKey(), new JsonObject().put("query", "okapi")).containsKey("partial"));
      assertEquals(0, second.metric("engram_search_indexes_behind"));
    } finally {
      second.stop();
    }
  }

  private static long keywordTotal(Api api, String key, String query) {
    JsonObject r = api.search(key, new JsonObject().put("query", query).put("strategy", "keyword"));
    assertFalse(r.containsKey("partial"), r.encode());
    return r.getLong("total");
  }
}
