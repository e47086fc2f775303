package dev.engram.cloud.engine;

import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.bus.LocalMessage;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.observability.EngineTelemetry;
import dev.engram.cloud.search.Embedders;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Activates tenant engines on demand (one deployment per tenant, however many requests ask at once) and
 * undeploys those idle for {@code engines.idle_seconds}, or the least recently used when {@code engines.max_active}
 * is reached.
 */
public final class EngineSupervisor extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(EngineSupervisor.class);
  private static final Pattern TENANT_ID = Pattern.compile("tn_[a-z0-9]{20}");
  static final String WORKER_POOL = "engram-engines";
  /** How often the active tenants' database and WAL sizes are measured for /metrics. */
  private static final long MEASURE_FILES_MS = 15_000;

  /** Asks for a tenant's engine to be running. */
  public record Activate(String tenantId) implements LocalMessage {}

  public record Activated() implements LocalMessage {}

  /**
   * A deleted tenant: its engine is stopped, its directory removed (on a worker), and it is never activated again by
   * this node (a request already past authentication gets 410 {@code tenant_deleted}).
   */
  public record Retire(String tenantId) implements LocalMessage {}

  private record Engine(String deploymentId, TenantEngineVerticle verticle) {}

  private final EngramConfig.Engines config;
  private final EngramConfig.Search searchConfig;
  private final MeterRegistry registry;
  /** Set by {@link #start} (loading the model takes about a second, on a worker). */
  private Embeddings embeddings;
  private final CacheBudget cacheBudget;
  private final Path tenantsDir;
  private final AtomicInteger queueDepth = new AtomicInteger();
  private final EngineTelemetry telemetry;
  /** Access-ordered: the first entry is the least recently activated or used. */
  private final Map<String, Future<Engine>> engines = new LinkedHashMap<>(16, 0.75f, true);
  /**
   * Engines being stopped, by tenant: a tenant's next engine starts only once its last one has stopped, since its
   * search index admits one writer at a time (and its files must be closed before they are opened again).
   */
  private final Map<String, Future<Void>> stopping = new HashMap<>();
  private final Set<String> retired = new HashSet<>();
  private long sweepTimer;
  private long measureTimer;

  private final ChangeLogSink changeLog;

  public EngineSupervisor(EngramConfig config, MeterRegistry registry, EngineTelemetry telemetry) {
    this(config, registry, telemetry, ChangeLogSink.NONE);
  }

  public EngineSupervisor(EngramConfig config, MeterRegistry registry, EngineTelemetry telemetry,
                          ChangeLogSink changeLog) {
    this.changeLog = changeLog;
    this.config = config.engines();
    this.telemetry = telemetry;
    this.searchConfig = config.search();
    this.cacheBudget = new CacheBudget((long) config.search().vocabularyCacheMb() << 20);
    this.registry = registry;
    Gauge.builder("engram_search_cache_bytes", cacheBudget, CacheBudget::usedBytes)
        .description("Heap held by tenants' typo-correction vocabularies").register(registry);
    this.tenantsDir = config.dataDir().resolve("tenants");
    Gauge.builder("engram_engines_active", engines, Map::size)
        .description("Tenant engines currently deployed").register(registry);
    Gauge.builder("engram_engine_queue_depth", queueDepth, AtomicInteger::get)
        .description("Commands received by tenant engines and not yet answered").register(registry);
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> Embedders.named(searchConfig.embedder())).compose(embedder -> {
      embeddings = new Embeddings(embedder, searchConfig.embeddingThreads(), config.maxActive(), queueDepth::get,
          registry);
      long sweepMs = Math.max(1000, Math.min(30_000, config.idleSeconds() * 1000L / 2));
      sweepTimer = vertx.setPeriodic(sweepMs, id -> evictIdle());
      measureTimer = vertx.setPeriodic(MEASURE_FILES_MS, id -> measureFiles());
      return Future.all(
          vertx.eventBus().<Activate>localConsumer(Addresses.ENGINE_SUPERVISOR, this::onActivate).completion(),
          vertx.eventBus().<Retire>localConsumer(Addresses.ENGINE_RETIRE, this::onRetire).completion());
    });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweepTimer);
    vertx.cancelTimer(measureTimer);
    var undeploys = new ArrayList<Future<?>>();
    engines.values().forEach(f -> undeploys.add(f.compose(e -> vertx.undeploy(e.deploymentId()))));
    engines.clear();
    return Future.join(undeploys).eventually(() -> {
      if (embeddings != null) embeddings.close();
      return Future.succeededFuture();
    });
  }

  private void onActivate(Message<Activate> msg) {
    Future<Engine> engine;
    try {
      engine = activate(msg.body().tenantId());
    } catch (Throwable t) {
      log.error("activating the engine of tenant {} failed", msg.body().tenantId(), t);
      engine = Future.failedFuture(t);
    }
    engine.onComplete(ar -> {
      if (ar.succeeded()) msg.reply(new Activated());
      else ApiException.fail(msg, ar.cause());
    });
  }

  private void onRetire(Message<Retire> msg) {
    String tenantId = msg.body().tenantId();
    if (!TENANT_ID.matcher(tenantId).matches()) {
      ApiException.fail(msg, ApiException.internal("invalid tenant id"));
      return;
    }
    retired.add(tenantId);
    Future<Engine> engine = engines.remove(tenantId);
    Future<Void> evicted = stopping.getOrDefault(tenantId, Future.succeededFuture()); // its files still open
    Future<?> stopped = (engine == null ? Future.succeededFuture()
        : engine.compose(e -> vertx.undeploy(e.deploymentId())).recover(err -> Future.succeededFuture()))
        .transform(ignored -> evicted.recover(err -> Future.succeededFuture()));
    stopped.compose(v -> vertx.executeBlocking(() -> {
          deleteTree(tenantsDir.resolve(tenantId));
          return null;
        }, false))
        .onSuccess(v -> msg.reply(new Activated()))
        .onFailure(err -> {
          log.error("removing the files of deleted tenant {} failed", tenantId, err);
          ApiException.fail(msg, err);
        });
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  private Future<Engine> activate(String tenantId) {
    if (!TENANT_ID.matcher(tenantId).matches()) {
      return Future.failedFuture(ApiException.internal("invalid tenant id"));
    }
    if (retired.contains(tenantId)) {
      return Future.failedFuture(new ApiException(410, "tenant_deleted", "This tenant has been deleted."));
    }
    Future<Engine> existing = engines.get(tenantId);
    if (existing != null) return existing;
    if (engines.size() >= config.maxActive()) evictLeastRecentlyUsed();
    TenantEngineVerticle verticle = new TenantEngineVerticle(tenantId,
        tenantsDir.resolve(tenantId).resolve("engram.db"), config.groupCommitMax(),
        config.readersPerTenant(), queueDepth, embeddings, cacheBudget, searchConfig, telemetry, changeLog);
    long start = System.nanoTime();
    Future<Void> previous = stopping.getOrDefault(tenantId, Future.succeededFuture());
    Future<Engine> deployed = previous.transform(ignored -> vertx.deployVerticle(verticle, new DeploymentOptions()
            .setThreadingModel(ThreadingModel.WORKER)
            .setWorkerPoolName(WORKER_POOL)
            .setWorkerPoolSize(config.workerPoolSize())))
        .map(id -> {
          telemetry.activated(System.nanoTime() - start);
          measureFiles();
          return new Engine(id, verticle);
        });
    engines.put(tenantId, deployed);
    return deployed.onFailure(err -> {
      engines.remove(tenantId);
      log.error("cannot start engine for tenant {}", tenantId, err);
    });
  }

  private void evictIdle() {
    long idleNanos = TimeUnit.SECONDS.toNanos(config.idleSeconds());
    for (Iterator<Map.Entry<String, Future<Engine>>> it = engines.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      Engine engine = entry.getValue().result();
      if (engine != null && engine.verticle().inFlight() == 0 && engine.verticle().idleNanos() > idleNanos) {
        it.remove();
        telemetry.evicted("idle");
        undeploy(entry.getKey(), engine);
      }
    }
  }

  /** Measures the active tenants' files off the event loop (a stat of two files each). */
  private void measureFiles() {
    List<Path> files = engines.keySet().stream().map(id -> tenantsDir.resolve(id).resolve("engram.db")).toList();
    vertx.executeBlocking(() -> {
      telemetry.measureFiles(files);
      return null;
    }, false);
  }

  private void evictLeastRecentlyUsed() {
    for (Iterator<Map.Entry<String, Future<Engine>>> it = engines.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      Engine engine = entry.getValue().result();
      if (engine != null && engine.verticle().inFlight() == 0) {
        it.remove();
        telemetry.evicted("capacity");
        undeploy(entry.getKey(), engine);
        return;
      }
    }
  }

  private void undeploy(String tenantId, Engine engine) {
    Future<Void> stopped = vertx.undeploy(engine.deploymentId())
        .onFailure(err -> log.warn("undeploying engine of tenant {} failed: {}", tenantId, err.toString()));
    stopping.put(tenantId, stopped);
    stopped.onComplete(ar -> stopping.remove(tenantId, stopped));
  }
}
