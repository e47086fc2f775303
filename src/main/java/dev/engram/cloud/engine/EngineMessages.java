package dev.engram.cloud.engine;

import dev.engram.cloud.bus.LocalMessage;
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
import dev.engram.cloud.search.SearchFilter;
import dev.engram.cloud.search.Strategy;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;

/**
 * Commands a tenant engine takes on {@code engram.engine.<tenantId>}, each typed with its reply ({@link EngineReplies}),
 * and its reply message. Every command is a {@link Read} or a {@link Write} (or a {@link Scoped} wrapper of one); the
 * engine runs a read through its {@link Reads} and a write through its {@link Writes}, whose one method per command
 * is the dispatch: a new command must name its method there, so a command nobody handles does not compile.
 * (Java 17 has no pattern matching for switch outside preview; this double dispatch is the checked equivalent.)
 */
public final class EngineMessages {

  private EngineMessages() {}

  /** A command answered with {@code R}. */
  public sealed interface EngineCommand<R extends EngineReply> extends LocalMessage permits Read, Write, Scoped {
    /** Writes are batched into one transaction (group commit); reads are answered at once. */
    default boolean writes() {
      return false;
    }
  }

  /** A command that only reads: answered at once, on a reader connection when one is free. */
  public sealed interface Read<R extends EngineReply> extends EngineCommand<R>
      permits Get, ListMemories, Search, Suggest, Stats, Tags, Versions, RecentActivity, WorkspaceList, WorkspaceStats,
      Related, ExportPage, ProjectContext, GetMany, ListBlocks, GetBlock, ResolveIdentity, FeedbackStats {
    /** {@link IOException}: a search's or suggestion's index could not be read. */
    R runOn(Reads reads) throws SQLException, IOException;
  }

  /** A command that writes: batched with others into one transaction, each in a savepoint of its own. */
  public sealed interface Write<R extends EngineReply> extends EngineCommand<R>
      permits Create, Update, Delete, MoveWorkspace, Link, Unlink, Import, ScanProject, CreateBlock, EditBlock,
      CreateIdentity, RecordFeedback {
    R runOn(Writes writes) throws SQLException;

    @Override
    default boolean writes() {
      return true;
    }
  }

  /** How an engine runs each read. */
  public interface Reads {
    Memory get(Get g) throws SQLException;

    MemoryPage list(ListMemories l) throws SQLException;

    SearchResults search(Search s) throws SQLException, IOException;

    Suggestion suggest(Suggest s) throws SQLException, IOException;

    MemoryStats stats(Stats s) throws SQLException;

    TagList tags(Tags t) throws SQLException;

    VersionPage versions(Versions v) throws SQLException;

    ActivityList recentActivity(RecentActivity a) throws SQLException;

    WorkspacePage workspaces(WorkspaceList w) throws SQLException;

    WorkspaceSummary workspace(WorkspaceStats w) throws SQLException;

    RelatedList related(Related r) throws SQLException;

    ExportBatch exportPage(ExportPage p) throws SQLException;

    ProjectMemories projectContext(ProjectContext p) throws SQLException;

    MemoryList memories(GetMany g) throws SQLException;

    BlockList blocks(ListBlocks l) throws SQLException;

    Block block(GetBlock g) throws SQLException;

    IdentityResolution resolveIdentity(ResolveIdentity r) throws SQLException;

    FeedbackSummary feedbackStats(FeedbackStats f) throws SQLException;
  }

  /** How an engine runs each write (inside the transaction of its batch). */
  public interface Writes {
    Memory create(Create c) throws SQLException;

    Memory update(Update u) throws SQLException;

    Deleted delete(Delete d) throws SQLException;

    Moved move(MoveWorkspace m) throws SQLException;

    MemoryLink link(Link l) throws SQLException;

    Unlinked unlink(Unlink u) throws SQLException;

    ImportResult importMemories(Import i) throws SQLException;

    ScanResult scan(ScanProject s) throws SQLException;

    Block createBlock(CreateBlock c) throws SQLException;

    Block editBlock(EditBlock e) throws SQLException;

    Identity createIdentity(CreateIdentity c) throws SQLException;

    FeedbackRecorded recordFeedback(RecordFeedback r) throws SQLException;
  }

  /**
   * The plan caps a write must respect, carried in the write so that the engine (the tenant's single writer, which
   * knows its count and size) enforces them exactly. Null means unlimited.
   */
  public record Caps(String plan, Long memories, Long storageBytes) {
    public static final Caps NONE = new Caps(null, null, null);
  }

  /** A validated new memory. {@code ttlSeconds} is null when not given. */
  public record Create(String content, String memoryType, List<String> tags, JsonObject metadata, double importance,
                       String workspace, String tier, Long ttlSeconds, Caps caps) implements Write<Memory> {
    @Override
    public Memory runOn(Writes engine) throws SQLException {
      return engine.create(this);
    }
  }

  public record Get(long id) implements Read<Memory> {
    @Override
    public Memory runOn(Reads engine) throws SQLException {
      return engine.get(this);
    }
  }

  /** A validated partial update; null fields are left unchanged. */
  public record Update(long id, String content, String memoryType, List<String> tags, JsonObject metadata,
                       Double importance, Long ttlSeconds, Caps caps) implements Write<Memory> {
    @Override
    public Memory runOn(Writes engine) throws SQLException {
      return engine.update(this);
    }
  }

  public record Delete(long id) implements Write<Deleted> {
    @Override
    public Deleted runOn(Writes engine) throws SQLException {
      return engine.delete(this);
    }
  }

  /**
   * Filters are null when absent; {@code workspaces} means "in one of these", {@code tags} "has all of these".
   * {@code beforeId} is the cursor, which only the default order (newest first) takes; {@code offset} skips rows
   * (Engram's paging).
   */
  public record ListMemories(List<String> workspaces, List<String> tags, String memoryType, String tier,
                             ListOrder order, int limit, int offset, Long beforeId) implements Read<MemoryPage> {
    public ListMemories {
      if (workspaces != null) workspaces = List.copyOf(workspaces);
      if (order == null) order = ListOrder.NEWEST_FIRST;
    }

    /** Newest first in one workspace (or all when null), paged by cursor. */
    public ListMemories(String workspace, List<String> tags, String memoryType, int limit, Long beforeId) {
      this(workspace == null ? null : List.of(workspace), tags, memoryType, null, ListOrder.NEWEST_FIRST, limit, 0,
          beforeId);
    }

    @Override
    public MemoryPage runOn(Reads engine) throws SQLException {
      return engine.list(this);
    }
  }

  /** A list's order: one of Engram's sort fields, ties broken by id in the same direction. */
  public record ListOrder(String sortBy, boolean ascending) {
    public static final List<String> FIELDS = List.of("created_at", "updated_at", "last_accessed_at", "importance",
        "access_count");
    public static final ListOrder NEWEST_FIRST = new ListOrder("created_at", false);

    public ListOrder {
      if (!FIELDS.contains(sortBy)) throw new IllegalArgumentException("unknown sort field " + sortBy);
    }

    /** Cursors follow ids downwards, so only the default order pages by cursor. */
    public boolean pagesByCursor() {
      return equals(NEWEST_FIRST);
    }
  }

  /**
   * A search (REST {@code POST /v1/search}, MCP {@code memory_search}). {@code strategy} null means the configured
   * default ({@code search.default_strategy}); {@code explain} adds each signal's contribution to every result.
   * The reply is {@code {results: [{memory, score, explain?}], total, total_exact?, strategy, corrected_query?,
   * partial?}}: best first, score in [0, 1] (higher is better), {@code strategy} the one that ran (auto resolved),
   * {@code corrected_query} present when typo correction changed words, {@code partial: true} when the search ran
   * out of {@code search.budget_ms} (or the search index is still catching up) and answers with what it had found.
   * For keyword, {@code total} counts every match up to 1,000, beyond which it is a lower bound and
   * {@code total_exact: false}; for semantic and hybrid it counts the candidates considered (at most
   * {@code search.candidates} per list).
   * {@code project}, when not null, boosts that project's context memories (from a project scan) in the hybrid
   * rerank. {@code vocabularyScope}: the workspaces whose words typo correction may use, null for the whole
   * tenant's; WorkspaceGuard sets it for a workspace-restricted key, callers never do.
   */
  public record Search(String query, int limit, SearchFilter filter, Strategy strategy, boolean explain,
                       String project, Set<String> vocabularyScope) implements Read<SearchResults> {
    @Override
    public SearchResults runOn(Reads engine) throws SQLException, IOException {
      return engine.search(this);
    }

    public Search {
      if (filter == null) filter = SearchFilter.NONE;
      if (vocabularyScope != null) vocabularyScope = Set.copyOf(vocabularyScope);
    }

    /** A search as a caller sends it: typo correction over the whole tenant's words. */
    public Search(String query, int limit, SearchFilter filter, Strategy strategy, boolean explain, String project) {
      this(query, limit, filter, strategy, explain, project, null);
    }

    /** A search that names no project (see {@code project} below). */
    public Search(String query, int limit, SearchFilter filter, Strategy strategy, boolean explain) {
      this(query, limit, filter, strategy, explain, null);
    }

    /** The original request's shape: keyword-or-default strategy, one workspace, all these tags, one type. */
    public Search(String query, int limit, String workspace, List<String> tags, String memoryType) {
      this(query, limit, SearchFilter.of(workspace, tags, memoryType), null, false);
    }

    /** The same search for another query text (an identity's name added to it, say). */
    public Search withQuery(String text) {
      return new Search(text, limit, filter, strategy, explain, project, vocabularyScope);
    }

    /** The same search held to {@code filter}, with typo correction over only {@code scope}'s words. */
    public Search restricted(SearchFilter filter, Set<String> scope) {
      return new Search(query, limit, filter, strategy, explain, project, scope);
    }
  }

  /**
   * Typo correction of a query against the tenant's own words (REST {@code POST /v1/search/suggest}, MCP
   * {@code memory_search_suggest}). Reply: {@code {query, suggestion, changed, corrections: [{word, suggestion,
   * distance}], partial?}}; {@code suggestion} is the query with corrected words replaced (the query itself when
   * nothing needed correcting). {@code vocabularyScope} as for {@link Search}.
   */
  public record Suggest(String query, Set<String> vocabularyScope) implements Read<Suggestion> {
    @Override
    public Suggestion runOn(Reads engine) throws SQLException, IOException {
      return engine.suggest(this);
    }

    public Suggest {
      if (vocabularyScope != null) vocabularyScope = Set.copyOf(vocabularyScope);
    }

    public Suggest(String query) {
      this(query, null);
    }
  }

  public record Stats() implements Read<MemoryStats> {
    @Override
    public MemoryStats runOn(Reads engine) throws SQLException {
      return engine.stats(this);
    }
  }

  /**
   * The {@code limit} most used tags of live memories with their counts and when each was last used:
   * {@code {tags:[{name,count,last_used}], truncated}}; {@code truncated} when more exist.
   */
  public record Tags(int limit) implements Read<TagList> {
    @Override
    public TagList runOn(Reads engine) throws SQLException {
      return engine.tags(this);
    }
  }

  /**
   * A page of a memory's versions, newest first, before {@code beforeVersion} (null: from the current one):
   * {@code {id, versions:[{version,content,tags,metadata,workspace,created_at}], next_cursor}}; 404 when absent.
   */
  public record Versions(long id, int limit, Integer beforeVersion) implements Read<VersionPage> {
    @Override
    public VersionPage runOn(Reads engine) throws SQLException {
      return engine.versions(this);
    }
  }

  /**
   * Memories created or updated since {@code since}, newest first, optionally in one workspace and of some types:
   * {@code {activities:[{id,preview,memory_type,importance,workspace,tags,created_at,updated_at}], count}}.
   */
  public record RecentActivity(String workspace, java.time.Instant since, int limit, List<String> memoryTypes)
      implements Read<ActivityList> {
    @Override
    public ActivityList runOn(Reads engine) throws SQLException {
      return engine.recentActivity(this);
    }
  }

  /**
   * The {@code limit} largest workspaces with live memories: {@code {count, workspaces:[{workspace, memory_count,
   * permanent_count, daily_count, first_memory_at, last_memory_at, top_tags, avg_importance}], truncated}};
   * {@code within}, when not null, keeps only those workspaces (a restricted key's: WorkspaceGuard sets it).
   */
  public record WorkspaceList(int limit, Set<String> within) implements Read<WorkspacePage> {
    @Override
    public WorkspacePage runOn(Reads engine) throws SQLException {
      return engine.workspaces(this);
    }

    public WorkspaceList(int limit) {
      this(limit, null);
    }
  }

  /** One workspace's entry of {@link WorkspaceList}; 404 when it has no live memories. */
  public record WorkspaceStats(String workspace) implements Read<WorkspaceSummary> {
    @Override
    public WorkspaceSummary runOn(Reads engine) throws SQLException {
      return engine.workspace(this);
    }
  }

  /** Moves a memory to another (normalized) workspace; a new version. Replies {@code {success, memory}}. */
  public record MoveWorkspace(long id, String workspace) implements Write<Moved> {
    @Override
    public Moved runOn(Writes engine) throws SQLException {
      return engine.move(this);
    }
  }

  /**
   * Links two live memories (upsert on from, to, type). Replies the link:
   * {@code {from_id,to_id,edge_type,strength,source,source_context,created_at}}; 404 when either is absent.
   */
  public record Link(long fromId, long toId, String edgeType, double strength, String sourceContext)
      implements Write<MemoryLink> {
    @Override
    public MemoryLink runOn(Writes engine) throws SQLException {
      return engine.link(this);
    }
  }

  /** Removes a link; replies {@code {unlinked:true}}, 404 when there was no such link. */
  public record Unlink(long fromId, long toId, String edgeType) implements Write<Unlinked> {
    @Override
    public Unlinked runOn(Writes engine) throws SQLException {
      return engine.unlink(this);
    }
  }

  /**
   * The {@code limit} strongest links of a memory in both directions: {@code {id, related:[link...], truncated}};
   * {@code edgeType} may be null; {@code within}, when not null, keeps only links whose other end is in those
   * workspaces (WorkspaceGuard sets it).
   */
  public record Related(long id, String edgeType, int limit, Set<String> within) implements Read<RelatedList> {
    @Override
    public RelatedList runOn(Reads engine) throws SQLException {
      return engine.related(this);
    }

    public Related(long id, String edgeType, int limit) {
      this(id, edgeType, limit, null);
    }
  }

  /**
   * One page of the export, oldest first, in Engram's export item format: {@code {memories:[{id, content,
   * memory_type, tags, metadata, importance, workspace, tier, created_at, updated_at}], next_after_id, stored_chars}};
   * {@code stored_chars} is the size of the page's content, tags and metadata as stored (for callers that bound an
   * answer built in memory).
   */
  public record ExportPage(String workspace, long afterId, int limit) implements Read<ExportBatch> {
    @Override
    public ExportBatch runOn(Reads engine) throws SQLException {
      return engine.exportPage(this);
    }
  }

  /** A validated import item: Engram's export item; {@code createdAt}/{@code updatedAt} are kept when given. */
  public record ImportedMemory(String content, String memoryType, List<String> tags, JsonObject metadata,
                               double importance, String workspace, String tier, String createdAt, String updatedAt) {}

  /**
   * Imports validated items in one transaction, skipping those whose content hash already exists when
   * {@code skipDuplicates}, and within the plan's caps (402, nothing imported, when the new total would pass them).
   * Replies {@code {imported, skipped, failed, errors}}.
   */
  public record Import(List<ImportedMemory> memories, boolean skipDuplicates, Caps caps) implements Write<ImportResult> {
    @Override
    public ImportResult runOn(Writes engine) throws SQLException {
      return engine.importMemories(this);
    }
  }

  /**
   * Stores a project's instruction files as memories in one transaction: a parent memory per file and one per
   * section, matched against the project's earlier scan in {@code workspace} by path (parents) and by path and
   * section path (sections). Unchanged memories are left alone, changed ones updated in place (a new version), new
   * ones created; memories of sections and files no longer sent are deleted, except those of {@code skippedPaths}
   * (sent but too large), which are kept. Replies {@code {memories_created, memories_updated, memories_retired}}.
   */
  public record ScanProject(String workspace, String project, List<dev.engram.cloud.projectcontext.ContextFile> files,
                            java.util.Set<String> skippedPaths, Caps caps) implements Write<ScanResult> {
    @Override
    public ScanResult runOn(Writes engine) throws SQLException {
      return engine.scan(this);
    }
  }

  /**
   * A project's context memories in {@code workspace}, each file's parent followed by its sections in file order:
   * {@code {project, workspace, count, memories}}. {@code fileTypes} null or empty means all.
   */
  public record ProjectContext(String workspace, String project, boolean includeSections, List<String> fileTypes)
      implements Read<ProjectMemories> {
    @Override
    public ProjectMemories runOn(Reads engine) throws SQLException {
      return engine.projectContext(this);
    }
  }

  /**
   * Several memories by id, in the order given; ids that are not stored (or expired, or outside {@code within} when
   * that is not null) are left out. Not a read "by id" for access counts: it serves context assembly.
   */
  public record GetMany(List<Long> ids, Set<String> within) implements Read<MemoryList> {
    public GetMany {
      ids = List.copyOf(ids);
      if (within != null) within = Set.copyOf(within);
    }

    @Override
    public MemoryList runOn(Reads engine) throws SQLException {
      return engine.memories(this);
    }
  }

  /** Memory blocks, by workspace, type and label; {@code workspace} and {@code blockType} null mean all. */
  public record ListBlocks(String workspace, String blockType, Set<String> within) implements Read<BlockList> {
    public ListBlocks {
      if (within != null) within = Set.copyOf(within);
    }

    @Override
    public BlockList runOn(Reads engine) throws SQLException {
      return engine.blocks(this);
    }
  }

  public record GetBlock(String workspace, String blockType, String label) implements Read<Block> {
    @Override
    public Block runOn(Reads engine) throws SQLException {
      return engine.block(this);
    }
  }

  /** A new block (409 {@code block_exists} when its workspace, type and label are taken). */
  public record CreateBlock(String workspace, String blockType, String label, String content, int maxTokens,
                            Caps caps) implements Write<Block> {
    @Override
    public Block runOn(Writes engine) throws SQLException {
      return engine.createBlock(this);
    }
  }

  /** A block's new content (a new version), with the reason given for the edit, or null. */
  public record EditBlock(String workspace, String blockType, String label, String content, String reason, Caps caps)
      implements Write<Block> {
    @Override
    public Block runOn(Writes engine) throws SQLException {
      return engine.editBlock(this);
    }
  }

  /** An identity created, or updated when its canonical id exists; {@code aliases} normalized. */
  public record CreateIdentity(String canonicalId, String displayName, String entityType, String description,
                               List<String> aliases, JsonObject metadata, Caps caps) implements Write<Identity> {
    public CreateIdentity {
      aliases = List.copyOf(aliases);
    }

    @Override
    public Identity runOn(Writes engine) throws SQLException {
      return engine.createIdentity(this);
    }
  }

  /** The identity a (normalized) alias names, or none. */
  public record ResolveIdentity(String alias) implements Read<IdentityResolution> {
    @Override
    public IdentityResolution runOn(Reads engine) throws SQLException {
      return engine.resolveIdentity(this);
    }
  }

  /** A mark on a search result: the memory was useful for the query, or not (404 when the memory is not stored). */
  public record RecordFeedback(long memoryId, String query, boolean useful) implements Write<FeedbackRecorded> {
    @Override
    public FeedbackRecorded runOn(Writes engine) throws SQLException {
      return engine.recordFeedback(this);
    }
  }

  /** The marks on the memories of {@code workspace} (all when null), held to {@code within} when not null. */
  public record FeedbackStats(String workspace, Set<String> within) implements Read<FeedbackSummary> {
    public FeedbackStats {
      if (within != null) within = Set.copyOf(within);
    }

    @Override
    public FeedbackSummary runOn(Reads engine) throws SQLException {
      return engine.feedbackStats(this);
    }
  }

  /**
   * A command from a key restricted to some workspaces; the engine holds it to them (see WorkspaceGuard).
   * EngineClient wraps commands in this, never the caller.
   */
  public record Scoped<R extends EngineReply>(EngineCommand<R> command, java.util.Set<String> workspaces)
      implements EngineCommand<R> {
    @Override
    public boolean writes() {
      return command.writes();
    }
  }

  /** The engine's answer to a command. */
  public record Reply(EngineReply body) implements LocalMessage {}
}
