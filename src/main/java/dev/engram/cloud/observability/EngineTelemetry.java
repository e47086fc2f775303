package dev.engram.cloud.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.vertx.core.internal.ContextInternal;
import dev.engram.cloud.engine.EngineReplies.ActivityList;
import dev.engram.cloud.engine.EngineReplies.EngineReply;
import dev.engram.cloud.engine.EngineReplies.ExportBatch;
import dev.engram.cloud.engine.EngineReplies.ImportResult;
import dev.engram.cloud.engine.EngineReplies.MemoryPage;
import dev.engram.cloud.engine.EngineReplies.ProjectMemories;
import dev.engram.cloud.engine.EngineReplies.RelatedList;
import dev.engram.cloud.engine.EngineReplies.ScanResult;
import dev.engram.cloud.engine.EngineReplies.SearchResults;
import dev.engram.cloud.engine.EngineReplies.Suggestion;
import dev.engram.cloud.engine.EngineReplies.TagList;
import dev.engram.cloud.engine.EngineReplies.VersionPage;
import dev.engram.cloud.engine.EngineReplies.WorkspacePage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the tenant engines tell an operator: activations (cold starts) and their latency, evictions by reason, WAL
 * checkpoints, search latency by strategy, search index rebuilds and the engines whose index is catching up, the
 * size of the active tenants' databases and WALs; and, with tracing on,
 * one span per engine command (tenant, command, batch size, rows) under the event-bus span that delivered it, with
 * the SQLite commit of a write batch as its child. No metric has a tenant label: per-tenant figures are in the
 * spans and logs. One per node, shared by the supervisor and every engine (thread-safe).
 */
public final class EngineTelemetry {

  private static final Duration[] LATENCY_BUCKETS = buckets(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
      1, 2.5, 5, 10);

  private static final RequestContext.Scope NOTHING = () -> { };

  private final Tracer tracer;
  private final MeterRegistry registry;
  private final Counter activations;
  private final Timer activationTime;
  private final Timer checkpointTime;
  private final AtomicLong databaseBytes = new AtomicLong();
  private final AtomicLong walBytes = new AtomicLong();
  private final AtomicLong walMaxBytes = new AtomicLong();
  private final AtomicInteger indexesBehind = new AtomicInteger();

  /** {@code tracer} is null when tracing is off. */
  public EngineTelemetry(MeterRegistry registry, Tracer tracer) {
    this.registry = registry;
    this.tracer = tracer;
    activations = Counter.builder("engram_engine_activations_total")
        .description("Tenant engines started (a tenant's first request after start or eviction)").register(registry);
    activationTime = Timer.builder("engram_engine_activation")
        .description("Time to start a tenant engine: open the database, migrate, open its readers")
        .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    for (String reason : new String[] {"idle", "capacity"}) evictions(reason);
    checkpointTime = Timer.builder("engram_sqlite_checkpoint")
        .description("Time of a WAL checkpoint (TRUNCATE) when a tenant engine stops")
        .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    Gauge.builder("engram_sqlite_database_bytes", databaseBytes, AtomicLong::get)
        .description("Size of the active tenants' database files together").baseUnit("bytes").register(registry);
    Gauge.builder("engram_sqlite_wal_bytes", walBytes, AtomicLong::get)
        .description("Size of the active tenants' write-ahead logs together").baseUnit("bytes").register(registry);
    Gauge.builder("engram_sqlite_wal_max_bytes", walMaxBytes, AtomicLong::get)
        .description("The largest write-ahead log of an active tenant").baseUnit("bytes").register(registry);
    for (String strategy : new String[] {"keyword", "semantic", "hybrid"}) searchTimer(strategy);
    for (String reason : new String[] {"missing", "ahead"}) indexRebuilds(reason);
    Gauge.builder("engram_search_indexes_behind", indexesBehind, AtomicInteger::get)
        .description("Active tenant engines whose search index is catching up with the database (their keyword "
            + "searches answer partial meanwhile)").register(registry);
  }

  public void activated(long nanos) {
    activations.increment();
    activationTime.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** {@code reason}: {@code idle} (unused for engines.idle_seconds) or {@code capacity} (engines.max_active). */
  public void evicted(String reason) {
    evictions(reason).increment();
  }

  public void checkpointed(long nanos) {
    checkpointTime.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** One search answered: its latency by the strategy it ran (the reply's {@code strategy}). */
  public void searched(String strategy, long nanos) {
    if (strategy != null) searchTimer(strategy).record(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * A tenant's search index is rebuilt from its database: {@code missing} (no readable index: deleted, damaged, or
   * never built, as on the first start after an upgrade) or {@code ahead} (the index knew changes the database does
   * not: the database was restored from an earlier copy).
   */
  public void searchIndexRebuilt(String reason) {
    indexRebuilds(reason).increment();
  }

  /** An engine's search index fell behind its database ({@code true}) or caught up (or the engine stopped). */
  public void searchIndexBehind(boolean behind) {
    indexesBehind.addAndGet(behind ? 1 : -1);
  }

  /** A refusal decided by an engine (402 memories or storage_bytes). */
  public void refused(int status, String cap) {
    Refusals.count(registry, status, cap);
  }

  /** Sums the database and WAL files of the active tenants (blocking: stats two files per tenant). */
  public void measureFiles(Collection<Path> databases) {
    long db = 0;
    long wal = 0;
    long walMax = 0;
    for (Path file : databases) {
      db += size(file);
      long w = size(file.resolveSibling(file.getFileName() + "-wal"));
      wal += w;
      walMax = Math.max(walMax, w);
    }
    databaseBytes.set(db);
    walBytes.set(wal);
    walMaxBytes.set(walMax);
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (NoSuchFileException gone) {
      return 0;
    } catch (IOException e) {
      return 0;
    }
  }

  private Counter evictions(String reason) {
    return Counter.builder("engram_engine_evictions_total").description("Tenant engines stopped, by reason")
        .tag("reason", reason).register(registry);
  }

  private Counter indexRebuilds(String reason) {
    return Counter.builder("engram_search_index_rebuilds_total")
        .description("Tenant search indexes rebuilt from the database, by reason").tag("reason", reason)
        .register(registry);
  }

  private Timer searchTimer(String strategy) {
    return Timer.builder("engram_search").description("Time to answer a search in the tenant's engine, by strategy")
        .tag("strategy", strategy).serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
  }

  /**
   * Called by an engine as a command arrives, on the context that delivered it: keeps the request's ids and, when
   * traced, the event-bus span it came in, for the command's span (which may start later, in a write batch).
   */
  public CommandTrace received(String tenantId, String command) {
    RequestContext request = RequestContext.current();
    Context parent = null;
    if (tracer != null) {
      ContextInternal ctx = ContextInternal.current();
      if (ctx != null && ctx.tracer() != null) {
        Context current = Context.current();
        if (Span.fromContext(current).getSpanContext().isValid()) parent = current;
      }
    }
    return new CommandTrace(request, parent, tenantId, command);
  }

  /** One command's request and trace, kept from its arrival until it runs. */
  public final class CommandTrace {
    private final RequestContext request;
    private final Context parent;
    private final String tenantId;
    private final String command;

    private CommandTrace(RequestContext request, Context parent, String tenantId, String command) {
      this.request = request;
      this.parent = parent;
      this.tenantId = tenantId;
      this.command = command;
    }

    /** Starts the command's work: its span (when traced) in a batch of {@code batchSize} commands. */
    public CommandSpan start(int batchSize) {
      if (parent == null) return new CommandSpan(null, request);
      Span span = tracer.spanBuilder("engine " + command)
          .setParent(parent)
          .setSpanKind(SpanKind.INTERNAL)
          .setAttribute("engram.tenant_id", tenantId)
          .setAttribute("engram.command", command)
          .setAttribute("engram.batch_size", batchSize)
          .setAttribute("db.system", "sqlite")
          .startSpan();
      var ids = span.getSpanContext();
      return new CommandSpan(span, request == null ? null : request.inSpan(ids.getTraceId(), ids.getSpanId()));
    }
  }

  /** A command being run: its span (null untraced) and the request ids its log lines carry. */
  public final class CommandSpan {
    private final Span span;
    private final RequestContext request;

    private CommandSpan(Span span, RequestContext request) {
      this.span = span;
      this.request = request;
    }

    /** Makes the command's request current on this thread (for its log lines) until the scope closes. */
    public RequestContext.Scope enter() {
      return request == null ? NOTHING : request.enter();
    }

    /** The SQLite commit that made this (write) command durable, shared with the rest of its batch. */
    public void committed(Instant start, Instant end, int batchSize) {
      if (span == null || !span.isRecording()) return;
      tracer.spanBuilder("sqlite commit").setParent(Context.root().with(span)).setStartTimestamp(start)
          .setAttribute("db.system", "sqlite").setAttribute("engram.batch_size", batchSize)
          .startSpan().end(end);
    }

    /** Ends the span with the rows the command returned or changed, or its failure. Never throws. */
    public void end(EngineReply result, Throwable failure) {
      if (span == null) return;
      try {
        if (failure != null) span.setStatus(StatusCode.ERROR, failure.getClass().getSimpleName());
        else span.setAttribute("engram.rows", rows(result));
      } catch (RuntimeException unexpected) {
        // an attribute is not worth a command: the span still ends
      }
      span.end();
    }
  }

  /** Rows an answer holds: 1 for a single memory or link, else its count or the length of its list; 0 for none. */
  static long rows(EngineReply result) {
    if (result == null) return 0;
    if (result instanceof ImportResult i) return i.imported();
    if (result instanceof ScanResult scan) return scan.created() + scan.updated() + scan.retired();
    if (result instanceof MemoryPage p) return p.data().size();
    if (result instanceof SearchResults r) return r.results().size();
    if (result instanceof TagList t) return t.tags().size();
    if (result instanceof VersionPage v) return v.versions().size();
    if (result instanceof ActivityList a) return a.activities().size();
    if (result instanceof WorkspacePage w) return w.workspaces().size();
    if (result instanceof RelatedList r) return r.related().size();
    if (result instanceof ExportBatch e) return e.memories().size();
    if (result instanceof ProjectMemories p) return p.memories().size();
    if (result instanceof Suggestion s) return s.corrections().size();
    return 1;
  }

  private static Duration[] buckets(double... seconds) {
    Duration[] out = new Duration[seconds.length];
    for (int i = 0; i < seconds.length; i++) out[i] = Duration.ofNanos((long) (seconds[i] * 1e9));
    return out;
  }
}
