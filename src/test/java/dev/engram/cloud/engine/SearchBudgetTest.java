package dev.engram.cloud.engine;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineMessages.Create;
import dev.engram.cloud.engine.EngineMessages.Search;
import dev.engram.cloud.engine.EngineMessages.Suggest;
import dev.engram.cloud.search.HashingEmbedder;
import dev.engram.cloud.search.SearchIndex;
import dev.engram.cloud.search.Vectors;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.engram.cloud.search.SearchBudget;
import dev.engram.cloud.search.SearchFilter;
import dev.engram.cloud.search.Strategy;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A search whose budget is spent answers at once with what it has, flagged partial, in every strategy and in
 * suggest; with time to spare the same search is complete and unflagged. Real tenant database, real search.
 */
class SearchBudgetTest {

  @TempDir
  static Path dir;
  static MemoryStore store;
  static SearchIndex index;
  static Embeddings embeddings;
  static TenantSearch search;

  @BeforeAll
  static void given_a_tenant_with_memories() throws Exception {
    HashingEmbedder embedder = new HashingEmbedder();
    store = MemoryStore.open(dir.resolve("engram.db"), embedder);
    Instant now = Instant.now();
    for (String content : List.of("Use async/await for I/O-bound work in Rust", "Postgres connection pooling",
        "Rust ownership and borrowing")) {
      store.create(new Create(content, "note", List.of(), new JsonObject(), 0.5, "default", "permanent", null,
          Caps.NONE), now);
    }
    store.commit();
    // what the engine does after a commit, here by hand: index the changes, embed the pending memories
    index = SearchIndex.open(dir.resolve("index"));
    MemoryStore.Changes changes = store.changesSince(0, 100);
    index.apply(changes.upserts(), changes.deletes(), changes.lastSeq());
    List<MemoryStore.ComputedVector> vectors = new java.util.ArrayList<>();
    for (MemoryStore.PendingVector p : store.pendingVectors(0, 100)) {
      vectors.add(new MemoryStore.ComputedVector(p, Vectors.quantize(embedder.embed(p.text()))));
    }
    store.storeVectors(vectors);
    store.commit();
    MemoryStore.Changes withVectors = store.changesSince(index.appliedSeq(), 100);
    index.apply(withVectors.upserts(), withVectors.deletes(), withVectors.lastSeq());
    EngramConfig.Search config = EngramConfig.fromJson(ConfigLoader.defaults()).search();
    embeddings = new Embeddings(embedder, 1, 16, () -> 0, new SimpleMeterRegistry());
    search = new TenantSearch("tn_budget", embeddings, new SearchCache(new CacheBudget(1 << 20)), () -> index,
        () -> true, config);
  }

  @AfterAll
  static void close() throws Exception {
    index.close();
    embeddings.close();
    store.close();
  }

  @Test
  void every_strategy_answers_partial_when_the_budget_is_spent() throws Exception {
    for (Strategy strategy : Strategy.values()) {
      Search q = new Search("async rust", 10, SearchFilter.NONE, strategy, false);
      JsonObject spent = search.search(store, q, Instant.now(), SearchBudget.spent());
      assertEquals(true, spent.getValue("partial"), strategy + ": " + spent.encode());
      assertEquals(0, spent.getJsonArray("results").size(), strategy + ": nothing was searched");

      JsonObject complete = search.search(store, q, Instant.now(), SearchBudget.ofMillis(60_000));
      assertFalse(complete.containsKey("partial"), strategy + ": " + complete.encode());
      assertFalse(complete.getJsonArray("results").isEmpty(), strategy + ": " + complete.encode());
    }
  }

  @Test
  void suggest_answers_partial_when_the_budget_is_spent() throws Exception {
    JsonObject spent = search.suggest(new Suggest("asynch awiat"), SearchBudget.spent());
    assertEquals(true, spent.getValue("partial"), spent.encode());
    assertEquals("asynch awiat", spent.getString("suggestion"));
    JsonObject complete = search.suggest(new Suggest("asynch awiat"), SearchBudget.ofMillis(60_000));
    assertEquals("async await", complete.getString("suggestion"));
    assertFalse(complete.containsKey("partial"));
  }

  @Test
  void a_statement_running_past_the_deadline_is_interrupted_and_the_connection_stays_usable() throws Exception {
    // the filtered semantic stage's check of a million candidate ids: far longer than 20 ms
    List<Long> ids = java.util.stream.LongStream.rangeClosed(1, 1_000_000).boxed().toList();
    SearchFilter filter = SearchFilter.of("default", null, "note");
    java.sql.SQLException e = assertThrows(java.sql.SQLException.class,
        () -> store.interruptibleUntil(System.nanoTime() + 20_000_000L, () -> store.passing(ids, filter, Instant.now())));
    assertTrue(MemoryStore.interrupted(e), e.toString());
    assertEquals(3, store.passing(List.of(1L, 2L, 3L, 4L), filter, Instant.now()).size(), "not interrupted any more");
    EngineReplies.SearchResults after = search.search(store, new Search("rust", 10, SearchFilter.NONE,
        Strategy.KEYWORD, false), Instant.now());
    assertEquals(2, after.results().size(), after.toJson().encode());
  }
}
