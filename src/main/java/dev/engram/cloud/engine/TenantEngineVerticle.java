package dev.engram.cloud.engine;

import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.engine.ChangeRecords.ChangeRecord;
import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineMessages.Create;
import dev.engram.cloud.engine.EngineMessages.CreateBlock;
import dev.engram.cloud.engine.EngineMessages.CreateIdentity;
import dev.engram.cloud.engine.EngineMessages.Delete;
import dev.engram.cloud.engine.EngineMessages.EditBlock;
import dev.engram.cloud.engine.EngineMessages.EngineCommand;
import dev.engram.cloud.engine.EngineMessages.ExportPage;
import dev.engram.cloud.engine.EngineMessages.FeedbackStats;
import dev.engram.cloud.engine.EngineMessages.Get;
import dev.engram.cloud.engine.EngineMessages.GetBlock;
import dev.engram.cloud.engine.EngineMessages.GetMany;
import dev.engram.cloud.engine.EngineMessages.Import;
import dev.engram.cloud.engine.EngineMessages.Link;
import dev.engram.cloud.engine.EngineMessages.ListBlocks;
import dev.engram.cloud.engine.EngineMessages.ListMemories;
import dev.engram.cloud.engine.EngineMessages.MoveWorkspace;
import dev.engram.cloud.engine.EngineMessages.ProjectContext;
import dev.engram.cloud.engine.EngineMessages.Read;
import dev.engram.cloud.engine.EngineMessages.Reads;
import dev.engram.cloud.engine.EngineMessages.RecentActivity;
import dev.engram.cloud.engine.EngineMessages.RecordFeedback;
import dev.engram.cloud.engine.EngineMessages.Related;
import dev.engram.cloud.engine.EngineMessages.Reply;
import dev.engram.cloud.engine.EngineMessages.ResolveIdentity;
import dev.engram.cloud.engine.EngineMessages.ScanProject;
import dev.engram.cloud.engine.EngineMessages.Scoped;
import dev.engram.cloud.engine.EngineMessages.Search;
import dev.engram.cloud.engine.EngineMessages.Stats;
import dev.engram.cloud.engine.EngineMessages.Suggest;
import dev.engram.cloud.engine.EngineMessages.Tags;
import dev.engram.cloud.engine.EngineMessages.Unlink;
import dev.engram.cloud.engine.EngineMessages.Update;
import dev.engram.cloud.engine.EngineMessages.Versions;
import dev.engram.cloud.engine.EngineMessages.WorkspaceList;
import dev.engram.cloud.engine.EngineMessages.WorkspaceStats;
import dev.engram.cloud.engine.EngineMessages.Write;
import dev.engram.cloud.engine.EngineMessages.Writes;
import dev.engram.cloud.engine.EngineReplies.ActivityList;
import dev.engram.cloud.engine.EngineReplies.Block;
import dev.engram.cloud.engine.EngineReplies.BlockList;
import dev.engram.cloud.engine.EngineReplies.Deleted;
import dev.engram.cloud.engine.EngineReplies.EngineReply;
import dev.engram.cloud.engine.EngineReplies.ExportBatch;
import dev.engram.cloud.engine.EngineReplies.FeedbackRecorded;
import dev.engram.cloud.engine.EngineReplies.FeedbackSummary;
import dev.engram.cloud.engine.EngineReplies.Identity;
import dev.engram.cloud.engine.EngineReplies.IdentityResolution;
import dev.engram.cloud.engine.EngineReplies.ImportResult;
import dev.engram.cloud.engine.EngineReplies.Memory;
import dev.engram.cloud.engine.EngineReplies.MemoryLink;
import dev.engram.cloud.engine.EngineReplies.MemoryList;
import dev.engram.cloud.engine.EngineReplies.MemoryPage;
import dev.engram.cloud.engine.EngineReplies.MemoryStats;
import dev.engram.cloud.engine.EngineReplies.Moved;
import dev.engram.cloud.engine.EngineReplies.ProjectMemories;
import dev.engram.cloud.engine.EngineReplies.RelatedList;
import dev.engram.cloud.engine.EngineReplies.ScanResult;
import dev.engram.cloud.engine.EngineReplies.SearchResults;
import dev.engram.cloud.engine.EngineReplies.Suggestion;
import dev.engram.cloud.engine.EngineReplies.TagList;
import dev.engram.cloud.engine.EngineReplies.Unlinked;
import dev.engram.cloud.engine.EngineReplies.VersionPage;
import dev.engram.cloud.engine.EngineReplies.WorkspacePage;
import dev.engram.cloud.engine.EngineReplies.WorkspaceSummary;
import dev.engram.cloud.search.SearchIndex;
import dev.engram.cloud.observability.EngineTelemetry.CommandSpan;
import dev.engram.cloud.observability.EngineTelemetry.CommandTrace;
import dev.engram.cloud.observability.EngineTelemetry;
import dev.engram.cloud.search.Embedder;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Owns one tenant's SQLite database. Runs as a worker verticle, so exactly one thread at a time touches the
 * writing connection; reads run in parallel on a few read-only connections (WAL), and are answered from data that
 * every acknowledged write has already committed. Writes that arrive together are committed in one transaction
 * (group commit) and answered only after that commit.
 *
 * <p>Failure rules: every command is answered, whatever it throws. A write runs inside its own savepoint, so any
 * failure of it (an {@link ApiException}, an {@link SQLException}, or any other {@link Throwable}) undoes only that
 * write. When the transaction itself fails (a savepoint, the rollback to one, or the commit), nothing of the batch is
 * kept and every write of it is refused. The writer's transaction never outlives the batch or sweep that opened it,
 * so no later commit can carry work that was not acknowledged.
 *
 * <p>Search indexes: after each commit the engine applies the committed changes to the tenant's search index
 * ({@link SearchIndex}, from the database's change sequence) before it answers, so an acknowledged write is found
 * by keyword at once; the index commits on its own every few seconds and, when opened, catches up from its last
 * commit (or rebuilds). Vectors are computed off the write path: a write leaves its memory "pending" in the database,
 * and the engine hands pending memories, a batch at a time, to the shared {@link Embeddings} threads and stores the
 * vectors they return in a transaction of its own, after which the index takes them like any other change.
 */
final class TenantEngineVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(TenantEngineVerticle.class);
  private static final long EXPIRY_SWEEP_MS = 10 * 60 * 1000;
  /**
   * Reads by id are counted in memory and written with the next write batch, or by this timer when no write comes:
   * never a write per read. A crash loses at most this long of counts.
   */
  private static final long ACCESS_FLUSH_MS = 1000;
  /** The search index commits (one fsync) at most this often; a crash loses nothing, the database replays it. */
  private static final long INDEX_COMMIT_MS = 5_000;
  /** Changes applied to the search index per step while it catches up in the background. */
  private static final int CATCH_UP_CHUNK = 2_000;
  private static final long RETRY_MS = 1_000;
  /**
   * Test hook: an index this many changes behind (or less) catches up before the engine starts; a larger gap is
   * applied in the background while searches answer from what is indexed, flagged partial.
   */
  static volatile int syncCatchUpLimit = 20_000;
  /** Test hook: while true, the background catch-up waits (searches meanwhile answer partial). */
  static volatile boolean holdCatchUp;
  /** Test hook: runs after each command's work, before it is kept and answered. Tests throw from it. */
  static volatile Consumer<EngineCommand<?>> afterWork = cmd -> {};

  private final String tenantId;
  private final Path file;
  private final int groupCommitMax;
  private final int readerCount;
  /** Idle read-only connections; a read takes one to run off the engine thread, in parallel with others. */
  private final ArrayBlockingQueue<MemoryStore> idleReaders;
  private final List<MemoryStore> readers = new ArrayList<>();
  private final AtomicInteger queueDepth;
  private final Embeddings embeddings;
  private final SearchCache searchCache;
  private final TenantSearch search;
  private final Path indexDir;
  /** Replaced only when it failed beyond repair (see {@link #reopenSearchIndex}). */
  private volatile SearchIndex searchIndex;
  /** True while the search index has not applied every committed change (catching up in the background). */
  private volatile boolean indexBehind;
  private boolean catchUpScheduled;
  private boolean indexCommitting;
  private long indexCommitTimer;
  /** A batch of pending memories is with the embedding threads. */
  private boolean embedding;
  /** The pending memories up to this id were taken in the current pass over the backlog. */
  private long embedCursor;
  /** A write committed since the current pass began, possibly leaving memories behind the cursor pending. */
  private boolean writtenSincePass;
  /** This engine's backlog as last counted (and added to {@link Embeddings}' gauge). */
  private long backlog;
  private boolean stopping;
  private final EngineTelemetry telemetry;
  private final ChangeLogSink changeLog;
  /** The last change record committed into the database (see {@link ChangePosition}). */
  private ChangePosition position;
  private final ArrayDeque<PendingWrite> pendingWrites = new ArrayDeque<>();
  /** Reads by id not yet written (readers add to it in parallel; the engine thread takes it). */
  private final ConcurrentHashMap<Long, MemoryStore.AccessCount> pendingAccess = new ConcurrentHashMap<>();
  private long accessTimer;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile long lastUsedNanos = System.nanoTime();
  /** The writing connection; null after it had to be replaced and could not be reopened (see {@link #writer}). */
  private MemoryStore store;
  /** Stored memories, kept by the writer (this thread) so that the plan's memory cap is exact and costs nothing. */
  private long storedMemories;
  private MessageConsumer<EngineCommand<?>> consumer;
  private boolean drainScheduled;
  private long sweepTimer;

  /** A write waiting for the next batch, with what its span and log lines need (observability). */
  private record PendingWrite(Message<EngineCommand<?>> msg, CommandTrace trace) {}

  TenantEngineVerticle(String tenantId, Path file, int groupCommitMax, int readerCount, AtomicInteger queueDepth,
                      Embeddings embeddings, CacheBudget budget, dev.engram.cloud.config.EngramConfig.Search searchConfig,
                      EngineTelemetry telemetry, ChangeLogSink changeLog) {
    this.changeLog = changeLog;
    this.tenantId = tenantId;
    this.file = file;
    this.indexDir = file.resolveSibling("index");
    this.groupCommitMax = groupCommitMax;
    this.readerCount = readerCount;
    this.idleReaders = new ArrayBlockingQueue<>(Math.max(1, readerCount));
    this.queueDepth = queueDepth;
    this.embeddings = embeddings;
    this.searchCache = new SearchCache(budget);
    this.search = new TenantSearch(tenantId, embeddings, searchCache, () -> searchIndex, () -> !indexBehind,
        searchConfig);
    this.telemetry = telemetry;
  }

  @Override
  public Future<?> start() throws Exception {
    try {
      store = openWriter();
      for (int i = 0; i < readerCount; i++) {
        MemoryStore reader = MemoryStore.openReader(file, embeddings.embedder());
        readers.add(reader);
        idleReaders.add(reader);
      }
      openSearchIndex();
      backlog = store.pendingVectorCount();
      store.endRead();
      embeddings.backlogChanged(backlog);
    } catch (Throwable t) {
      closeAll();
      throw t;
    }
    sweepTimer = vertx.setPeriodic(EXPIRY_SWEEP_MS, id -> sweepExpired(Instant.now()));
    accessTimer = vertx.setPeriodic(ACCESS_FLUSH_MS, id -> flushAccesses());
    indexCommitTimer = vertx.setPeriodic(INDEX_COMMIT_MS, id -> commitSearchIndex());
    consumer = vertx.eventBus().localConsumer(Addresses.engine(tenantId), this::onCommand);
    return consumer.completion().onSuccess(v -> embedNext());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweepTimer);
    vertx.cancelTimer(accessTimer);
    vertx.cancelTimer(indexCommitTimer);
    stopping = true; // no more embedding or catching up; queued writes still commit and are indexed
    return consumer.unregister().eventually(() -> {
      try {
        drain(); // answers every write still queued
        flushAccesses();
        checkpoint();
      } finally {
        closeAll(); // closing rolls back whatever a connection still holds
      }
      return Future.succeededFuture();
    });
  }

  /** Moves the WAL into the database and empties it, so a stopped tenant is one file (a copy or backup of it is whole). */
  private void checkpoint() {
    if (store == null) return;
    long start = System.nanoTime();
    try {
      store.checkpoint();
      telemetry.checkpointed(System.nanoTime() - start);
    } catch (Throwable t) {
      log.warn("WAL checkpoint failed for tenant {}: {}", tenantId, t.toString());
    }
  }

  private void closeAll() {
    readers.forEach(this::closeQuietly);
    closeQuietly(store);
    store = null;
    closeSearchIndex();
    indexBehind(false);
    searchCache.close();
    embeddings.backlogChanged(-backlog);
    backlog = 0;
  }

  long idleNanos() {
    return System.nanoTime() - lastUsedNanos;
  }

  int inFlight() {
    return inFlight.get();
  }

  private void onCommand(Message<EngineCommand<?>> msg) {
    lastUsedNanos = System.nanoTime();
    inFlight.incrementAndGet();
    queueDepth.incrementAndGet();
    EngineCommand<?> cmd = msg.body();
    CommandTrace trace = telemetry.received(tenantId, name(cmd));
    if (cmd.writes()) {
      pendingWrites.add(new PendingWrite(msg, trace));
      if (!drainScheduled) {
        drainScheduled = true;
        context.runOnContext(v -> drain());
      }
      return;
    }
    if (search.embedsQuery(cmd)) {
      // the query's embedding costs milliseconds of CPU and no connection: made on a worker first (and cached), so
      // that a search falling back to the engine thread below does not hold up the tenant's writes with it
      vertx.executeBlocking(() -> {
        search.embedQuery(cmd);
        return null;
      }, false).onComplete(ar -> read(msg, trace));
      return;
    }
    read(msg, trace);
  }

  /** Answers a read on an idle reader connection, or on the engine thread when every reader is busy. */
  private void read(Message<EngineCommand<?>> msg, CommandTrace trace) {
    Instant now = Instant.now();
    try {
      sweepIfExpired(now);
    } catch (Throwable t) {
      answer(msg, null, t);
      return;
    }
    MemoryStore reader = idleReaders.poll();
    if (reader == null) {
      // Every reader is busy: read on the engine thread with the writer's connection instead of waiting.
      try {
        answerRead(msg, writer(), now, trace);
      } catch (ApiException unavailable) {
        answer(msg, null, unavailable);
      }
      return;
    }
    vertx.executeBlocking(() -> {
      try {
        answerRead(msg, reader, now, trace);
      } finally {
        idleReaders.add(reader);
      }
      return null;
    }, false).onFailure(err -> {
      // The read never ran (answerRead never throws): the worker pool refused it, as while shutting down.
      idleReaders.add(reader);
      answer(msg, null, err);
    });
  }

  /** Answers a read, whatever it throws. */
  private void answerRead(Message<EngineCommand<?>> msg, MemoryStore from, Instant now, CommandTrace trace) {
    CommandSpan span = trace.start(1);
    try (var scope = span.enter()) {
      EngineReply body;
      try {
        body = read(from, msg.body(), now);
        afterWork.accept(msg.body());
        if (body instanceof Memory m && unwrap(msg.body()) instanceof Get) {
          pendingAccess.merge(m.id(), new MemoryStore.AccessCount(1, now), (counted, one) -> counted.plus(now));
        }
      } catch (Throwable t) {
        answer(msg, null, t);
        span.end(null, t);
        return;
      }
      answer(msg, body, null);
      span.end(body, null);
    }
  }

  private EngineReply read(MemoryStore from, EngineCommand<?> cmd, Instant now) throws SQLException, IOException {
    if (cmd instanceof Scoped<?> scoped) {
      WorkspaceGuard guard = new WorkspaceGuard(scoped.workspaces());
      return read(from, guard.admit(scoped.command(), from, now), now);
    }
    return ((Read<?>) cmd).runOn(new StoreReads(from, now));
  }

  /** The write as it runs: a restricted key's command after the workspace guard has checked and narrowed it. */
  private Write<?> admit(EngineCommand<?> cmd, Instant now) throws SQLException {
    if (cmd instanceof Scoped<?> scoped) {
      return admit(new WorkspaceGuard(scoped.workspaces()).admit(scoped.command(), store, now), now);
    }
    return (Write<?>) cmd;
  }

  /** The reads, on one connection (a reader's, or the writer's when every reader is busy). */
  private final class StoreReads implements Reads {
    private final MemoryStore from;
    private final Instant now;

    StoreReads(MemoryStore from, Instant now) {
      this.from = from;
      this.now = now;
    }

    @Override
    public Memory get(Get g) throws SQLException {
      return Memory.of(from.get(g.id(), now).orElseThrow(() -> ApiException.notFound("No memory with id " + g.id()
          + ".")));
    }

    @Override
    public MemoryPage list(ListMemories l) throws SQLException {
      return from.list(l, now);
    }

    @Override
    public SearchResults search(Search s) throws SQLException, IOException {
      long start = System.nanoTime();
      List<String> names = from.identities().expansions(s.query());
      SearchResults found = search.search(from, names.isEmpty() ? s : s.withQuery(s.query() + " "
          + String.join(" ", names)), now);
      telemetry.searched(found.strategy(), System.nanoTime() - start);
      return found;
    }

    @Override
    public Suggestion suggest(Suggest s) throws IOException {
      return search.suggest(s);
    }

    @Override
    public MemoryStats stats(Stats s) throws SQLException {
      return from.stats(now);
    }

    @Override
    public TagList tags(Tags t) throws SQLException {
      return from.tags(t, now);
    }

    @Override
    public VersionPage versions(Versions v) throws SQLException {
      return from.versions(v, now);
    }

    @Override
    public ActivityList recentActivity(RecentActivity a) throws SQLException {
      return from.recentActivity(a, now);
    }

    @Override
    public WorkspacePage workspaces(WorkspaceList w) throws SQLException {
      return from.workspaces(w, now);
    }

    @Override
    public WorkspaceSummary workspace(WorkspaceStats w) throws SQLException {
      return from.workspace(w.workspace(), now).orElseThrow(() ->
          ApiException.notFound("Workspace '" + w.workspace() + "' has no memories."));
    }

    @Override
    public RelatedList related(Related r) throws SQLException {
      return from.links().related(r, now);
    }

    @Override
    public ExportBatch exportPage(ExportPage p) throws SQLException {
      return from.exportPage(p, now);
    }

    @Override
    public ProjectMemories projectContext(ProjectContext p) throws SQLException {
      return new ProjectContextStore(from).get(p, now);
    }

    @Override
    public MemoryList memories(GetMany g) throws SQLException {
      return new MemoryList(EngineReplies.memories(new JsonArray(from.memoriesById(g.ids(), g.within(), now))));
    }

    @Override
    public BlockList blocks(ListBlocks l) throws SQLException {
      return from.blocks().list(l);
    }

    @Override
    public Block block(GetBlock g) throws SQLException {
      return from.blocks().get(g);
    }

    @Override
    public IdentityResolution resolveIdentity(ResolveIdentity r) throws SQLException {
      return new IdentityResolution(r.alias(), from.identities().resolve(r.alias()).orElse(null));
    }

    @Override
    public FeedbackSummary feedbackStats(FeedbackStats f) throws SQLException {
      Set<String> scope = f.workspace() != null ? Set.of(f.workspace()) : f.within();
      return from.feedback().summary(scope, now);
    }
  }

  /** The writes, on the writer's connection inside the batch's transaction, within the plan's caps. */
  private final class StoreWrites implements Writes {
    private final Instant now;

    StoreWrites(Instant now) {
      this.now = now;
    }

    @Override
    public Memory create(Create c) throws SQLException {
      enforce(c.caps(), true);
      return Memory.of(store.create(c, now));
    }

    @Override
    public Memory update(Update u) throws SQLException {
      enforce(u.caps(), false);
      return Memory.of(store.update(u, now));
    }

    @Override
    public Deleted delete(Delete d) throws SQLException {
      store.delete(d.id(), now);
      return new Deleted(d.id());
    }

    @Override
    public Moved move(MoveWorkspace m) throws SQLException {
      return store.move(m, now);
    }

    @Override
    public MemoryLink link(Link l) throws SQLException {
      return store.links().link(l, now);
    }

    @Override
    public Unlinked unlink(Unlink u) throws SQLException {
      return store.links().unlink(u);
    }

    @Override
    public ImportResult importMemories(Import i) throws SQLException {
      enforce(i.caps(), false);
      ImportResult result = store.importMemories(i, now);
      // Counted after the fact, since duplicates are skipped; the savepoint undoes the whole import on a 402.
      if (i.caps().memories() != null && storedMemories + result.imported() > i.caps().memories()) {
        throw ApiException.planLimit("memories", i.caps().memories(), storedMemories, i.caps().plan());
      }
      return result;
    }

    @Override
    public Block createBlock(CreateBlock c) throws SQLException {
      enforce(c.caps(), false);
      return store.blocks().create(c, now);
    }

    @Override
    public Block editBlock(EditBlock e) throws SQLException {
      enforce(e.caps(), false);
      return store.blocks().edit(e, now);
    }

    @Override
    public Identity createIdentity(CreateIdentity c) throws SQLException {
      enforce(c.caps(), false);
      return store.identities().create(c, now);
    }

    @Override
    public FeedbackRecorded recordFeedback(RecordFeedback r) throws SQLException {
      if (store.get(r.memoryId(), now).isEmpty()) throw ApiException.notFound("No memory with id " + r.memoryId() + ".");
      return store.feedback().record(r, now);
    }

    @Override
    public ScanResult scan(ScanProject scan) throws SQLException {
      enforce(scan.caps(), false);
      ScanResult result = new ProjectContextStore(store).scan(scan, now);
      long added = result.created() - result.retired();
      // As for an import: checked after the fact, and the savepoint undoes the whole scan on a 402.
      if (scan.caps().memories() != null && added > 0 && storedMemories + added > scan.caps().memories()) {
        throw ApiException.planLimit("memories", scan.caps().memories(), storedMemories, scan.caps().plan());
      }
      return result;
    }
  }

  /** Refuses a write (402) that the plan does not allow: a new memory over the count cap, any growth over storage. */
  private void enforce(Caps caps, boolean creates) throws SQLException {
    if (creates && caps.memories() != null && storedMemories >= caps.memories()) {
      throw ApiException.planLimit("memories", caps.memories(), storedMemories, caps.plan());
    }
    if (caps.storageBytes() != null) {
      long used = store.usedBytes();
      if (used >= caps.storageBytes()) throw ApiException.planLimit("storage_bytes", caps.storageBytes(), used, caps.plan());
    }
  }

  /** How many memories a write added (negative: removed), from its reply. */
  private static long countChange(EngineCommand<?> cmd, EngineReply result) {
    if (cmd instanceof Scoped<?> scoped) return countChange(scoped.command(), result);
    if (cmd instanceof Create) return 1;
    if (result instanceof ImportResult i) return i.imported();
    if (result instanceof Deleted) return -1;
    if (result instanceof ScanResult scan) return scan.created() - scan.retired();
    return 0;
  }

  /** Applies up to {@code groupCommitMax} queued writes in one transaction, then answers every one of them. */
  private void drain() {
    drainScheduled = false;
    while (!pendingWrites.isEmpty()) {
      List<PendingWrite> polled = new ArrayList<>();
      while (polled.size() < groupCommitMax && !pendingWrites.isEmpty()) polled.add(pendingWrites.poll());
      List<Message<EngineCommand<?>>> batch = new ArrayList<>(polled.size());
      List<CommandSpan> spans = new ArrayList<>(polled.size());
      for (PendingWrite write : polled) {
        batch.add(write.msg());
        spans.add(write.trace().start(polled.size()));
      }
      EngineReply[] results = new EngineReply[batch.size()];
      Throwable[] failures = new Throwable[batch.size()];
      long countBefore = storedMemories;
      try {
        commitBatch(batch, spans, results, failures);
      } catch (Throwable t) {
        log.error("a write batch of {} commands failed for tenant {}; none of it was kept", batch.size(), tenantId, t);
        abandonTransaction(countBefore);
        // Nothing of the batch was committed, so a write that had succeeded on its own may be sent again.
        ApiException notKept = new ApiException(503, "unavailable", "The write was not saved; retry shortly.");
        for (int i = 0; i < batch.size(); i++) {
          if (failures[i] == null) failures[i] = notKept;
        }
      } finally {
        for (int i = 0; i < batch.size(); i++) {
          try (var scope = spans.get(i).enter()) {
            answer(batch.get(i), results[i], failures[i]);
            spans.get(i).end(results[i], failures[i]);
          }
        }
      }
    }
    embedNext();
  }

  /**
   * Runs each write of the batch in a savepoint of its own (any failure undoes that write alone and becomes its
   * answer), then commits. Throws when the transaction itself fails; the caller then abandons all of it.
   */
  private void commitBatch(List<Message<EngineCommand<?>>> batch, List<CommandSpan> spans, EngineReply[] results,
                           Throwable[] failures) throws SQLException {
    MemoryStore db = writer();
    Instant now = Instant.now();
    JsonArray ops = new JsonArray();
    int kept = 0;
    for (int i = 0; i < batch.size(); i++) {
      EngineCommand<?> cmd = batch.get(i).body();
      db.savepoint();
      try (var scope = spans.get(i).enter()) {
        Write<?> admitted = admit(cmd, now);
        EngineReply result = admitted.runOn(new StoreWrites(now));
        long added = countChange(cmd, result);
        afterWork.accept(cmd);
        if (changeLog.enabled()) ops.add(ChangeRecords.encode(admitted));
        db.releaseSavepoint();
        storedMemories += added;
        results[i] = result;
        kept++;
      } catch (Throwable t) {
        failures[i] = t;
        db.rollbackToSavepoint();
        if (ops.size() > kept) ops.remove(ops.size() - 1);
      }
    }
    JsonObject reads = writeAccesses(db);
    if (reads != null && changeLog.enabled()) ops.add(reads);
    boolean changed = kept > 0 || reads != null;
    ChangePosition next = changed ? position.next(now) : position;
    if (changed) db.writeChangePosition(next);
    Instant commitStart = Instant.now();
    db.commit();
    Instant committed = Instant.now();
    for (CommandSpan span : spans) span.committed(commitStart, committed, batch.size());
    position = next;
    if (changed) logChange(ops, now);
    publishCommitted(db);
    writtenSincePass = true;
  }

  /** The reads counted so far, taken out of the pending map (each id at most once). */
  private Map<Long, MemoryStore.AccessCount> takeAccesses() {
    Map<Long, MemoryStore.AccessCount> taken = new HashMap<>();
    for (Long id : pendingAccess.keySet()) {
      MemoryStore.AccessCount count = pendingAccess.remove(id);
      if (count != null) taken.put(id, count);
    }
    return taken;
  }

  /**
   * Adds the counted reads to the writer's open transaction, in a savepoint of their own: should that fail, the
   * counts are lost (logged), never the batch's writes. Returns the change log's op for them, null when none were
   * written.
   */
  private JsonObject writeAccesses(MemoryStore db) throws SQLException {
    if (pendingAccess.isEmpty()) return null;
    Map<Long, MemoryStore.AccessCount> reads = takeAccesses();
    if (reads.isEmpty()) return null;
    db.savepoint();
    try {
      db.recordAccesses(reads);
      db.releaseSavepoint();
      return ChangeRecords.accesses(reads);
    } catch (Throwable t) {
      db.rollbackToSavepoint();
      log.warn("recording {} memories' reads failed for tenant {}; those counts are lost", reads.size(), tenantId, t);
      return null;
    }
  }

  /** The timer's flush, when reads came but no write did: a transaction of its own. */
  private void flushAccesses() {
    if (pendingAccess.isEmpty() || store == null) return;
    long countBefore = storedMemories;
    Instant now = Instant.now();
    try {
      MemoryStore db = writer();
      JsonObject reads = writeAccesses(db);
      ChangePosition next = reads == null ? position : position.next(now);
      if (reads != null) db.writeChangePosition(next);
      db.commit();
      if (reads == null) return;
      position = next;
      logChange(new JsonArray().add(reads), now);
    } catch (Throwable t) {
      log.warn("recording reads failed for tenant {}", tenantId, t);
      abandonTransaction(countBefore);
    }
  }

  private static EngineCommand<?> unwrap(EngineCommand<?> cmd) {
    return cmd instanceof Scoped<?> scoped ? unwrap(scoped.command()) : cmd;
  }

  /**
   * Hands the group of writes just committed to the change log, before they are answered: for a local log that
   * syncs each record, an acknowledged write is in the log.
   */
  private void logChange(JsonArray ops, Instant now) {
    if (!changeLog.enabled()) return;
    changeLog.append(tenantId, new ChangeRecord(position.seq(), position.generation(), now, storedMemories, ops));
  }

  /**
   * Ends the writer's transaction keeping nothing of it, and puts the counts back as they were before it. When even
   * the rollback fails, the connection's state is unknown: SQLite may have ended the transaction on its own (a full
   * disk, an I/O error), after which every statement of this connection would commit by itself. So the connection
   * is replaced; closing it rolls back whatever it still held.
   */
  private void abandonTransaction(long countBefore) {
    if (store == null) return;
    try {
      store.rollback();
      storedMemories = countBefore;
    } catch (Throwable t) {
      log.error("rollback failed for tenant {}; reopening its database", tenantId, t);
      replaceWriter();
    }
  }

  /**
   * Hands a commit's changes (memories, and vectors stored) to the search index. Should the index fail, the changes
   * stay in the database's change sequence and the index catches up in the background; the commit stands either way.
   */
  private void publishCommitted(MemoryStore db) {
    if (indexBehind) return; // the catch-up applies these too
    try {
      indexChanges(db, Integer.MAX_VALUE);
    } catch (Throwable t) {
      log.error("updating the search index failed for tenant {}; it catches up in the background", tenantId, t);
      indexBehind(true);
      scheduleCatchUp(RETRY_MS);
    }
  }

  // ---- search index ----

  /**
   * Opens the search index and brings it level with the database: a small gap (a crash's last seconds) before the
   * engine answers anything, a large one (a rebuild) in the background.
   */
  private void openSearchIndex() throws IOException, SQLException {
    searchIndex = SearchIndex.open(indexDir);
    long last = store.lastChangeSeq();
    if (searchIndex.appliedSeq() > last) {
      // ahead of the database: the database was replaced (a restore); nothing in the index can be trusted
      log.warn("search index of tenant {} is ahead of its database ({} > {}); rebuilding it", tenantId,
          searchIndex.appliedSeq(), last);
      searchIndex.clear();
      telemetry.searchIndexRebuilt("ahead");
    } else if (searchIndex.created() && last > 0) {
      telemetry.searchIndexRebuilt("missing"); // no readable index (deleted, damaged, or never built) for a database
    }
    long gap = last - searchIndex.appliedSeq();
    if (gap <= syncCatchUpLimit) {
      indexChanges(store, Integer.MAX_VALUE);
    } else {
      log.info("search index of tenant {} is {} changes behind its database; catching up in the background",
          tenantId, gap);
      indexBehind(true);
      scheduleCatchUp(0);
    }
  }

  /**
   * Applies to the search index up to {@code max} changes after its position; true when none remain. Runs on the
   * engine thread, so no commit interleaves.
   */
  private boolean indexChanges(MemoryStore db, int max) throws SQLException, IOException {
    int applied = 0;
    try {
      while (applied < max) {
        MemoryStore.Changes c = db.changesSince(searchIndex.appliedSeq(), Math.min(CATCH_UP_CHUNK, max - applied));
        if (c.count() == 0) return true;
        searchIndex.apply(c.upserts(), c.deletes(), c.lastSeq());
        searchCache.wordsChanged();
        applied += c.count();
      }
      return false;
    } finally {
      db.endRead();
    }
  }

  private void scheduleCatchUp(long delayMs) {
    if (catchUpScheduled || stopping) return;
    catchUpScheduled = true;
    if (delayMs == 0) context.runOnContext(v -> catchUp());
    else vertx.setTimer(delayMs, id -> catchUp());
  }

  /** One step of the background catch-up; the next is queued behind whatever writes arrived meanwhile. */
  private void catchUp() {
    catchUpScheduled = false;
    if (stopping) return;
    if (holdCatchUp) {
      scheduleCatchUp(50);
      return;
    }
    try {
      if (searchIndex == null) reopenSearchIndex();
      if (indexChanges(writer(), CATCH_UP_CHUNK)) {
        indexBehind(false);
        log.info("search index of tenant {} caught up with its database", tenantId);
      } else {
        scheduleCatchUp(0);
      }
    } catch (Throwable t) {
      log.error("search index of tenant {} cannot catch up; reopening it and retrying", tenantId, t);
      reopenSearchIndex();
      scheduleCatchUp(RETRY_MS);
    }
  }

  /** Replaces a failed search index by a new instance over its files (rebuilt if they cannot be read). */
  private void reopenSearchIndex() {
    closeSearchIndex();
    try {
      searchIndex = SearchIndex.open(indexDir);
      indexBehind(true);
    } catch (Throwable t) {
      log.error("reopening the search index of tenant {} failed", tenantId, t);
    }
  }

  /** Sets {@link #indexBehind}, and the operators' count of engines whose index is behind. */
  private void indexBehind(boolean behind) {
    if (indexBehind == behind) return;
    indexBehind = behind;
    telemetry.searchIndexBehind(behind);
  }

  private void closeSearchIndex() {
    SearchIndex index = searchIndex;
    if (index == null) return;
    searchIndex = null;
    try {
      index.close(); // commits what was applied
    } catch (Throwable t) {
      log.warn("closing the search index of tenant {} failed: {}", tenantId, t.toString());
    }
  }

  /** Makes the applied changes durable, off the engine thread (an fsync); at most one at a time. */
  private void commitSearchIndex() {
    SearchIndex index = searchIndex;
    if (index == null || indexCommitting || !index.uncommitted()) return;
    indexCommitting = true;
    vertx.executeBlocking(() -> {
      index.commit();
      return null;
    }, false).onComplete(ar -> {
      indexCommitting = false;
      if (ar.failed()) log.warn("committing the search index of tenant {} failed: {}", tenantId, ar.cause().toString());
    });
  }

  // ---- vectors ----

  /**
   * Sends the next batch of the backlog to the embedding threads, unless one is there already. Memories are taken in
   * id order from a cursor; a pass that ends after writes committed starts over, for memories changed behind it.
   */
  private void embedNext() {
    if (embedding || stopping || store == null) return;
    List<MemoryStore.PendingVector> batch;
    try {
      MemoryStore db = writer();
      try {
        batch = db.pendingVectors(embedCursor, Embeddings.BATCH);
        // once per batch sent: the gauge follows writes even while inference fails (its alert needs it)
        countBacklog(db);
      } finally {
        db.endRead();
      }
    } catch (Throwable t) {
      log.error("reading the embedding backlog of tenant {} failed", tenantId, t);
      return;
    }
    if (batch.isEmpty()) {
      boolean again = embedCursor > 0 && writtenSincePass;
      embedCursor = 0;
      writtenSincePass = false;
      if (again) embedNext();
      return;
    }
    embedCursor = batch.get(batch.size() - 1).id();
    List<String> texts = new ArrayList<>(batch.size());
    for (MemoryStore.PendingVector p : batch) texts.add(p.text());
    embedding = true;
    embeddings.embed(texts, context).onComplete(ar -> {
      embedding = false;
      if (stopping) return;
      lastUsedNanos = System.nanoTime(); // an engine with a backlog is not idle
      if (ar.succeeded()) {
        storeVectors(batch, ar.result());
        embedNext();
      } else {
        if (!(ar.cause() instanceof RejectedExecutionException)) {
          log.error("embedding memories of tenant {} failed; retrying", tenantId, ar.cause());
        }
        embedCursor = 0;
        vertx.setTimer(RETRY_MS, id -> embedNext());
      }
    });
  }

  /** Stores computed vectors in a transaction of their own (their memories leave the backlog) and publishes them. */
  private void storeVectors(List<MemoryStore.PendingVector> batch, List<byte[]> vectors) {
    List<MemoryStore.ComputedVector> computed = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) computed.add(new MemoryStore.ComputedVector(batch.get(i), vectors.get(i)));
    MemoryStore db;
    try {
      db = writer();
      db.storeVectors(computed);
      db.commit();
    } catch (Throwable t) {
      log.error("storing vectors failed for tenant {}; they are computed again", tenantId, t);
      abandonTransaction(storedMemories);
      return;
    }
    publishCommitted(db);
    try {
      countBacklog(db);
    } catch (Throwable t) {
      log.warn("counting the embedding backlog of tenant {} failed: {}", tenantId, t.toString());
    } finally {
      endReadQuietly(db);
    }
  }

  private void countBacklog(MemoryStore db) throws SQLException {
    long count = db.pendingVectorCount();
    embeddings.backlogChanged(count - backlog);
    backlog = count;
  }

  private void endReadQuietly(MemoryStore db) {
    try {
      db.endRead();
    } catch (Throwable t) {
      log.warn("ending a read of tenant {} failed: {}", tenantId, t.toString());
    }
  }

  /** The writing connection, reopened first when an earlier failure left none; 503 when it cannot be. */
  private MemoryStore writer() {
    if (store == null) replaceWriter();
    if (store == null) {
      throw new ApiException(503, "unavailable", "This tenant's database is unavailable; retry shortly.");
    }
    return store;
  }

  private void replaceWriter() {
    closeQuietly(store);
    store = null;
    searchCache.drop();
    try {
      store = openWriter();
    } catch (Throwable t) {
      log.error("reopening the database of tenant {} failed", tenantId, t);
    }
  }

  /** Opens the writing connection and counts what it holds. */
  private MemoryStore openWriter() throws SQLException {
    MemoryStore opened = MemoryStore.open(file, embeddings.embedder());
    try {
      storedMemories = opened.countStored();
      position = opened.changePosition();
      if (position == null || !changeLog.continues(tenantId, position)) {
        // The log does not end where this database stands (backups were off, or the process died between a commit
        // and its record): a new lineage starts here, and the log asks for a snapshot of it.
        position = ChangePosition.fresh();
        opened.writeChangePosition(position);
        opened.commit();
      }
      return opened;
    } catch (Throwable t) {
      closeQuietly(opened);
      throw t;
    }
  }

  /** Replies once; never throws, so that one answer cannot keep the others of its batch from being sent. */
  private void answer(Message<EngineCommand<?>> msg, EngineReply body, Throwable failure) {
    inFlight.decrementAndGet();
    queueDepth.decrementAndGet();
    try {
      if (failure == null) {
        msg.reply(new Reply(body));
        return;
      }
      if (failure instanceof ApiException e && e.status() == 402 && e.extensions() != null) {
        telemetry.refused(402, e.extensions().getString("cap"));
      }
      if (!(failure instanceof ApiException)) {
        // The client gets a bare 500 (internal_error, its request id, no detail); the cause stays in the log.
        log.error("engine command {} failed for tenant {}", name(msg.body()), tenantId, failure);
      }
      ApiException.fail(msg, failure);
    } catch (Throwable t) {
      log.error("answering engine command {} failed for tenant {}", name(msg.body()), tenantId, t);
    }
  }

  private static String name(EngineCommand<?> cmd) {
    return cmd instanceof Scoped<?> scoped ? name(scoped.command()) : cmd.getClass().getSimpleName();
  }

  /**
   * Removes expired memories before a read when there are any, so that reads (search's index-only count above
   * all) never meet a stored but expired row. Costs one index probe when there is nothing to remove.
   */
  private void sweepIfExpired(Instant now) throws SQLException {
    if (writer().hasExpired(now)) sweepExpired(now);
  }

  private void sweepExpired(Instant now) {
    long countBefore = storedMemories;
    MemoryStore db;
    int removed;
    ChangePosition next = position;
    try {
      db = writer();
      removed = db.deleteExpired(now);
      if (removed > 0) {
        next = position.next(now);
        db.writeChangePosition(next);
      }
      db.commit();
    } catch (Throwable t) {
      log.warn("expiry sweep failed for tenant {}", tenantId, t);
      abandonTransaction(countBefore);
      return;
    }
    storedMemories -= removed;
    if (removed > 0) {
      position = next;
      logChange(new JsonArray().add(ChangeRecords.sweep()), now);
    }
    publishCommitted(db);
    if (removed > 0) log.info("removed {} expired memories of tenant {}", removed, tenantId);
  }

  private void closeQuietly(MemoryStore db) {
    if (db == null) return;
    try {
      db.close();
    } catch (Throwable t) {
      log.warn("closing tenant database {} failed: {}", tenantId, t.toString());
    }
  }
}
