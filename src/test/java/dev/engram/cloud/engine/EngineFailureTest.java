package dev.engram.cloud.engine;

import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.bus.LocalCodec;
import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineMessages.Create;
import dev.engram.cloud.engine.EngineMessages.EngineCommand;
import dev.engram.cloud.engine.EngineMessages.Get;
import dev.engram.cloud.engine.EngineMessages.ListMemories;
import dev.engram.cloud.engine.EngineMessages.Reply;
import dev.engram.cloud.engine.EngineMessages.Stats;
import dev.engram.cloud.observability.EngineTelemetry;
import dev.engram.cloud.search.HashingEmbedder;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.TestServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tenant engine driven on its own event bus, with failures no validation foresaw: every command is answered,
 * the one that failed changes nothing, the others of its group commit are kept, and the engine's own counts (the
 * plan's memory cap) stay true. Failures are injected through {@link TenantEngineVerticle#afterWork} or made by
 * SQLite itself (a trigger that rolls the whole transaction back, as a full disk does).
 */
@Timeout(60)
class EngineFailureTest {

  private static final String TENANT = "tn_" + "f".repeat(20);
  private static final EngramConfig CONFIG = EngramConfig.fromJson(ConfigLoader.defaults());
  private static final Caps CAP_OF_FOUR = new Caps("test", 4L, null);

  private Vertx vertx;
  private Embeddings embeddings;
  private Path dir;
  private Path file;

  @BeforeEach
  void given_a_fresh_tenant_database() throws Exception {
    vertx = Vertx.vertx();
    LocalCodec.register(vertx.eventBus());
    embeddings = new Embeddings(new HashingEmbedder(), 1, 16, () -> 0, new SimpleMeterRegistry());
    dir = Files.createTempDirectory("engram-engine-failure-");
    file = dir.resolve("engram.db");
  }

  @AfterEach
  void cleanUp() throws Exception {
    TenantEngineVerticle.afterWork = cmd -> {};
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    embeddings.close();
    TestServer.deleteRecursively(dir);
  }

  static Stream<Supplier<Throwable>> unexpected() {
    return Stream.of(
        () -> new IllegalStateException("injected"),
        () -> new ClassCastException("class java.lang.String cannot be cast to class java.lang.Integer"),
        () -> new StackOverflowError(),
        () -> new OutOfMemoryError("injected"),
        () -> new AssertionError("injected"));
  }

  @ParameterizedTest
  @MethodSource("unexpected")
  void a_command_that_throws_after_its_work_fails_alone_and_its_batch_is_answered(Supplier<Throwable> failure)
      throws Exception {
    deploy(2);
    Gate gate = new Gate();
    TenantEngineVerticle.afterWork = cmd -> {
      gate.holdIfGate(cmd);
      if ("poison".equals(content(cmd))) sneakyThrow(failure.get());
    };
    Future<Reply> opened = send(create("gate"));
    gate.awaitHeld();
    // queued behind the held gate, so they reach the engine together: one group commit
    Future<Reply> before = send(create("before"));
    Future<Reply> poison = send(create("poison"));
    Future<Reply> after = send(create("after"));
    gate.release();

    assertTrue(await(opened).succeeded());
    assertTrue(await(before).succeeded());
    assertTrue(await(after).succeeded());
    ApiException problem = failure(await(poison));
    assertEquals(500, problem.status());
    assertEquals("internal_error", problem.code());
    assertFalse(problem.detail().contains("injected") || problem.detail().contains("java."), problem.detail());

    assertEquals(List.of("after", "before", "gate"), contents());
    assertCapHoldsAt(3);
  }

  @Test
  void when_sqlite_rolls_the_whole_transaction_back_the_batch_fails_and_later_writes_commit_as_answered()
      throws Exception {
    // Full disks and I/O errors make SQLite end the transaction itself, so rolling back to a savepoint fails too.
    createTrigger("BEFORE INSERT ON memories WHEN NEW.content = 'poison'");
    deploy(2);
    Gate gate = new Gate();
    TenantEngineVerticle.afterWork = gate::holdIfGate;
    Future<Reply> opened = send(create("gate"));
    gate.awaitHeld();
    Future<Reply> before = send(create("before"));
    Future<Reply> poison = send(create("poison"));
    Future<Reply> after = send(create("after"));
    gate.release();

    assertTrue(await(opened).succeeded());
    assertEquals(500, failure(await(poison)).status());
    // Nothing of the batch was committed, so the others may be retried.
    assertEquals(503, failure(await(before)).status());
    assertEquals(503, failure(await(after)).status());

    assertTrue(await(send(create("later"))).succeeded(), "a write after the failure is committed and answered");
    assertEquals(List.of("later", "gate"), contents());
    assertEquals(List.of("later", "gate"), contentsOnDisk(), "what was answered is what is stored");
    assertCapHoldsAt(2);
  }

  @Test
  void a_failing_expiry_sweep_leaves_no_transaction_behind() throws Exception {
    createTrigger("BEFORE DELETE ON memories WHEN OLD.content = 'undying'");
    deploy(2);
    long id = await(send(new Create("undying", "note", List.of(), new JsonObject(), 0.5, "default", "daily", 1L,
        Caps.NONE))).result().body() instanceof EngineReplies.Memory m ? m.id() : 0;
    // every read sweeps expired memories first; this sweep keeps failing
    Eventually.until(Duration.ofSeconds(10), "the memory expires",
        () -> await(send(new Get(id))).failed());

    assertTrue(await(send(create("later"))).succeeded());
    assertEquals(List.of("later"), contents());
    assertEquals(List.of("later", "undying"), contentsOnDisk(), "the write committed; the expired row stays stored");
    assertCapHoldsAt(2);
  }

  @ParameterizedTest(name = "with {0} reader connections")
  @ValueSource(ints = {0, 2})
  void a_read_that_throws_is_answered_with_a_500(int readers) throws Exception {
    deploy(readers);
    TenantEngineVerticle.afterWork = cmd -> {
      if (cmd instanceof Stats) throw new StackOverflowError();
    };
    ApiException problem = failure(await(send(new Stats())));
    assertEquals(500, problem.status());
    assertEquals("internal_error", problem.code());
    assertTrue(await(send(new ListMemories(null, null, null, 10, null))).succeeded(), "the engine still answers");
  }

  // ---- helpers ----

  /** Holds the engine inside the command "gate" until released, so that what is sent meanwhile queues up. */
  private static final class Gate {
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    void holdIfGate(EngineCommand cmd) {
      if (!"gate".equals(content(cmd))) return;
      held.countDown();
      try {
        released.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    void awaitHeld() throws InterruptedException {
      assertTrue(held.await(30, TimeUnit.SECONDS), "the engine reached the gate");
    }

    void release() {
      released.countDown();
    }
  }

  private void deploy(int readers) throws Exception {
    TenantEngineVerticle engine = new TenantEngineVerticle(TENANT, file, 256, readers, new AtomicInteger(),
        embeddings, new CacheBudget(64L << 20), CONFIG.search(),
        new EngineTelemetry(new SimpleMeterRegistry(), null), ChangeLogSink.NONE);
    vertx.deployVerticle(engine, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** A trigger that makes SQLite abort the statement and roll back the whole transaction. */
  private void createTrigger(String when) throws Exception {
    try (MemoryStore migrated = MemoryStore.open(file, new HashingEmbedder());
         Connection conn = DriverManager.getConnection("jdbc:sqlite:" + file);
         Statement s = conn.createStatement()) {
      s.execute("CREATE TRIGGER injected_failure " + when + " BEGIN SELECT RAISE(ROLLBACK, 'injected'); END");
    }
  }

  private Future<Reply> send(EngineCommand cmd) {
    return vertx.eventBus().<Reply>request(Addresses.engine(TENANT), cmd, new DeliveryOptions().setSendTimeout(20_000))
        .map(Message::body);
  }

  private static Future<Reply> await(Future<Reply> f) {
    try {
      f.toCompletionStage().toCompletableFuture().get(25, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // the future holds the outcome
    }
    assertTrue(f.isComplete(), "answered");
    return f;
  }

  private static ApiException failure(Future<Reply> f) {
    assertTrue(f.failed(), "failed");
    return ApiException.from(f.cause());
  }

  private List<String> contents() {
    return ((EngineReplies.MemoryPage) await(send(new ListMemories(null, null, null, 100, null))).result().body())
        .data().stream().map(EngineReplies.Memory::content).toList();
  }

  /** Every stored row, expired or not, newest first, read from the file by a connection of its own. */
  private List<String> contentsOnDisk() throws Exception {
    try (Connection conn = DriverManager.getConnection("jdbc:sqlite:" + file);
         Statement s = conn.createStatement();
         var rs = s.executeQuery("SELECT content FROM memories ORDER BY id DESC")) {
      List<String> out = new java.util.ArrayList<>();
      while (rs.next()) out.add(rs.getString(1));
      return out;
    }
  }

  /** The engine's own count of stored memories is {@code stored}: a cap of four lets exactly 4 - stored more in. */
  private void assertCapHoldsAt(int stored) {
    for (int i = stored; i < CAP_OF_FOUR.memories(); i++) {
      assertTrue(await(send(new Create("filler " + i, "note", List.of(), new JsonObject(), 0.5, "default",
          "permanent", null, CAP_OF_FOUR))).succeeded());
    }
    ApiException refused = failure(await(send(new Create("one too many", "note", List.of(), new JsonObject(), 0.5,
        "default", "permanent", null, CAP_OF_FOUR))));
    assertEquals(402, refused.status());
    assertEquals(CAP_OF_FOUR.memories(), refused.extensions().getLong("used"));
  }

  private static Create create(String content) {
    return new Create(content, "note", List.of(), new JsonObject(), 0.5, "default", "permanent", null, Caps.NONE);
  }

  private static String content(EngineCommand cmd) {
    return cmd instanceof Create c ? c.content() : null;
  }

  @SuppressWarnings("unchecked")
  private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
    throw (T) t;
  }
}
