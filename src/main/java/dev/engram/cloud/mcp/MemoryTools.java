package dev.engram.cloud.mcp;

import dev.engram.cloud.auth.Scope;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.model.Cursors;
import dev.engram.cloud.engine.EngineMessages.Create;
import dev.engram.cloud.engine.EngineMessages.Delete;
import dev.engram.cloud.engine.EngineMessages.ExportPage;
import dev.engram.cloud.engine.EngineMessages.Get;
import dev.engram.cloud.engine.EngineMessages.Import;
import dev.engram.cloud.engine.EngineMessages.ImportedMemory;
import dev.engram.cloud.engine.EngineMessages.Link;
import dev.engram.cloud.engine.EngineMessages.ListMemories;
import dev.engram.cloud.engine.EngineMessages.MoveWorkspace;
import dev.engram.cloud.engine.EngineMessages.RecentActivity;
import dev.engram.cloud.engine.EngineMessages.ProjectContext;
import dev.engram.cloud.engine.EngineMessages.Related;
import dev.engram.cloud.engine.EngineMessages.ScanProject;
import dev.engram.cloud.engine.EngineMessages.Search;
import dev.engram.cloud.engine.EngineMessages.Stats;
import dev.engram.cloud.engine.EngineMessages.Suggest;
import dev.engram.cloud.engine.EngineMessages.Tags;
import dev.engram.cloud.engine.EngineMessages.Unlink;
import dev.engram.cloud.engine.EngineMessages.Update;
import dev.engram.cloud.engine.EngineMessages.Versions;
import dev.engram.cloud.engine.EngineMessages.WorkspaceList;
import dev.engram.cloud.engine.EngineMessages.WorkspaceStats;
import dev.engram.cloud.model.EdgeTypes;
import dev.engram.cloud.engine.ImportDocument;
import dev.engram.cloud.model.MemoryTypes;
import dev.engram.cloud.http.MemoryRoutes;
import dev.engram.cloud.projectcontext.InstructionFiles;
import dev.engram.cloud.projectcontext.ProjectScan;
import dev.engram.cloud.projectcontext.ScanParser;
import dev.engram.cloud.model.Workspaces;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static dev.engram.cloud.mcp.Schema.anyObject;
import static dev.engram.cloud.mcp.Schema.arrayOf;
import static dev.engram.cloud.mcp.Schema.bool;
import static dev.engram.cloud.mcp.Schema.choice;
import static dev.engram.cloud.mcp.Schema.id;
import static dev.engram.cloud.mcp.Schema.input;
import static dev.engram.cloud.mcp.Schema.integer;
import static dev.engram.cloud.mcp.Schema.labels;
import static dev.engram.cloud.mcp.Schema.memory;
import static dev.engram.cloud.mcp.Schema.number;
import static dev.engram.cloud.mcp.Schema.output;
import static dev.engram.cloud.mcp.Schema.props;
import static dev.engram.cloud.mcp.Schema.string;
import static dev.engram.cloud.mcp.Schema.text;

/**
 * Engram's tool set, with Engram's names and arguments so that existing agents and SDKs work unchanged. Each
 * handler turns validated arguments into engine commands on the caller's own tenant; arguments never name a tenant.
 */
final class MemoryTools {

  /** Engram's edge types, plus its alias {@code related}. */
  private static final List<String> EDGE_TYPES =
      java.util.stream.Stream.concat(new TreeSet<>(EdgeTypes.ALL).stream(), java.util.stream.Stream.of("related")).toList();
  private static final long MAX_TTL_SECONDS = 10L * 365 * 24 * 3600;
  private static final int MAX_BATCH = 100;
  private static final int MAX_EXPORT = 10_000;
  /**
   * The export tool builds its whole answer in memory and encodes it on an event loop (twice: text and
   * structuredContent), so it also stops at this much stored text; GET /v1/export streams any size.
   */
  private static final long MAX_EXPORT_CHARS = 8L * 1024 * 1024;
  private static final int EXPORT_PAGE = 500;
  private static final Map<String, Duration> TIMEFRAMES = Map.of("1h", Duration.ofHours(1), "24h", Duration.ofHours(24),
      "7d", Duration.ofDays(7), "30d", Duration.ofDays(30));
  private static final Pattern PRIVATE_SPAN = Pattern.compile("<private>.*?(</private>|\\z)", Pattern.DOTALL);
  /** Engram arguments we accept so that its agents keep working, but that change nothing here. */
  private static final List<String> IGNORED_CREATE_ARGS = List.of("defer_embedding", "dedup_mode", "dedup_threshold",
      "event_time", "event_duration_seconds", "trigger_pattern", "summary_of_id", "media_url", "scope");

  /** Engram search arguments accepted so that its agents keep working; the search here needs none of them. */
  private static final List<String> IGNORED_SEARCH_ARGS = List.of("min_score", "include_transcripts",
      "include_archived", "rerank", "rerank_strategy", "scope", "scope_path", "skip_cache");

  private final EngramConfig.Memories limits;
  private final ScanParser parser;
  /** Checks each item of memory_create_batch against memory_create's own schema. */
  private final Tool createItem;

  MemoryTools(EngramConfig.Memories limits, ScanParser parser) {
    this.limits = limits;
    this.parser = parser;
    this.createItem = Tool.of("memory_create", "", "", createInput(), new JsonObject(), Scope.MEMORIES_WRITE,
        this::create);
  }

  List<Tool> all() {
    JsonObject memory = memory();
    JsonObject memoryList = output(props().put("memories", arrayOf(memory)).put("count", integer("", 0, Long.MAX_VALUE))
        .put("next_cursor", Schema.nullable(string("Pass as cursor for the next page."))), "memories", "count");
    return List.of(
        Tool.of("memory_create", "Create memory", "Store a new memory (note, decision, fact...) in the caller's tenant.",
            createInput(), memory, Scope.MEMORIES_WRITE, this::create),
        Tool.of("memory_get", "Get memory", "Fetch one memory by id.",
            input(props().put("id", id("Memory id.")).put("strip_private", bool("Remove <private>...</private> spans."))
                , "id"), memory, Scope.MEMORIES_READ, this::get),
        Tool.of("memory_update", "Update memory", "Change a memory's content, type, tags, metadata, importance or "
                + "expiry; each change is a new version.", updateInput(), memory, Scope.MEMORIES_WRITE, this::update),
        Tool.of("memory_delete", "Delete memory", "Delete a memory by id.",
            input(props().put("id", id("Memory id.")), "id"),
            output(props().put("deleted", integer("The deleted id.", 1, Long.MAX_VALUE)), "deleted"),
            Scope.MEMORIES_WRITE, this::delete),
        Tool.of("memory_list", "List memories", "List memories newest first, with optional filters; page with cursor.",
            input(props()
                .put("limit", integer("Page size.", 1, limits.listMaxLimit()))
                .put("cursor", string("next_cursor from the previous page.", 200))
                .put("offset", integer("Only 0 is supported; page with cursor.", 0, 0))
                .put("workspace", string("Only this workspace.", 64))
                .put("tags", labels("Only memories with all of these tags.", limits.maxTags(), limits.maxTagChars()))
                .put("memory_type", choice("Only this type.", new TreeSet<>(MemoryTypes.ALL)))
                .put("type", choice("Alias of memory_type.", new TreeSet<>(MemoryTypes.ALL)))),
            memoryList, Scope.MEMORIES_READ, this::list),
        Tool.of("memory_search", "Search memories", "Find memories by meaning and keywords, best first "
                + "(hybrid BM25 + vectors + typo tolerance by default).", searchInput(),
            output(props().put("results", arrayOf(output(props().put("memory", memory)
                    .put("score", number("Higher is a better match.", 0, Double.MAX_VALUE)), "memory", "score")))
                .put("total", integer("Matches in all.", 0, Long.MAX_VALUE))
                .put("strategy", string("The strategy that ran."))
                .put("corrected_query", Schema.nullable(string("The query after typo correction, when it changed.")))
                .put("partial", bool("True when the search ran out of its time budget and answers with what it had "
                    + "found.")),
                "results", "total"),
            Scope.MEMORIES_READ, this::search),
        Tool.of("memory_search_suggest", "Suggest spelling", "Correct typos in a query from the tenant's own words "
                + "(a workspace-restricted key: its workspaces' words).",
            input(props().put("query", text("The query to correct.", 1000)), "query"),
            output(props().put("query", string("")).put("suggestion", string("The corrected query.")).put("changed", bool(""))
                .put("corrections", arrayOf(anyObject("{word, suggestion, distance}")))
                .put("partial", bool("True when correction ran out of its time budget; the words it reached are corrected.")),
                "query", "suggestion", "changed"),
            Scope.MEMORIES_READ, (call, args) -> call.engine(new Suggest(args.string("query")))),
        Tool.of("memory_import", "Import", "Import an Engram export document ({version, memories:[...]}); all or "
                + "nothing, duplicates skipped by content.",
            input(props().put("data", anyObject("The export document."))
                .put("skip_duplicates", bool("Skip memories whose content already exists (default true).")), "data"),
            output(props().put("imported", integer("", 0, Long.MAX_VALUE)).put("skipped", integer("", 0, Long.MAX_VALUE))
                .put("failed", integer("", 0, Long.MAX_VALUE)).put("errors", arrayOf(anyObject("An error."))),
                "imported", "skipped", "failed", "errors"),
            Scope.MEMORIES_WRITE, this::importDocument),
        Tool.of("memory_create_batch", "Create memories", "Create up to " + MAX_BATCH + " memories; each item is a "
                + "memory_create input and fails on its own.",
            input(props().put("memories", arrayOf(anyObject("A memory_create input.")).put("minItems", 1)
                .put("maxItems", MAX_BATCH)), "memories"),
            output(props().put("created", arrayOf(memory)).put("failed", arrayOf(anyObject("{index, error}")))
                .put("total_created", integer("", 0, MAX_BATCH)).put("total_failed", integer("", 0, MAX_BATCH)),
                "created", "failed", "total_created", "total_failed"),
            Scope.MEMORIES_WRITE, this::createBatch),
        Tool.of("memory_delete_batch", "Delete memories", "Delete up to " + MAX_BATCH + " memories by id.",
            input(props().put("ids", arrayOf(id("Memory id.")).put("minItems", 1).put("maxItems", MAX_BATCH)), "ids"),
            output(props().put("deleted", arrayOf(new JsonObject().put("type", "integer")))
                .put("failed", arrayOf(anyObject("{index, id, error}")))
                .put("total_deleted", integer("", 0, MAX_BATCH)).put("total_failed", integer("", 0, MAX_BATCH)),
                "deleted", "failed", "total_deleted", "total_failed"),
            Scope.MEMORIES_WRITE, this::deleteBatch),
        Tool.of("memory_stats", "Memory statistics", "Counts of memories by workspace, type and tier, and storage used.",
            input(props()), output(props().put("total_memories", integer("", 0, Long.MAX_VALUE)), "total_memories"),
            Scope.MEMORIES_READ, (call, args) -> call.engine(new Stats())),
        Tool.of("memory_tags", "Tags", "Every tag in use with its count, most used first.",
            input(props()), output(props().put("tags", arrayOf(anyObject("{name, count, last_used}"))), "tags"),
            Scope.MEMORIES_READ, (call, args) -> call.engine(new Tags())),
        Tool.of("memory_versions", "Versions", "A memory's earlier versions, newest first.",
            input(props().put("id", id("Memory id.")), "id"),
            output(props().put("id", integer("", 1, Long.MAX_VALUE)).put("versions", arrayOf(anyObject("A version."))),
                "versions"),
            Scope.MEMORIES_READ, (call, args) -> call.engine(new Versions(args.id("id")))),
        Tool.of("recent_activity", "Recent activity", "Memories created or changed recently, newest first.",
            input(props()
                .put("workspace", string("Only this workspace.", 64))
                .put("timeframe", choice("How far back (default 24h).", new TreeSet<>(TIMEFRAMES.keySet())))
                .put("limit", integer("Most entries (default 20).", 1, 100))
                .put("include_types", arrayOf(choice("A memory type.", new TreeSet<>(MemoryTypes.ALL)))
                    .put("maxItems", MemoryTypes.ALL.size()))),
            output(props().put("activities", arrayOf(anyObject("An activity."))).put("count", integer("", 0, 100))
                .put("timeframe", string("")), "activities", "count", "timeframe"),
            Scope.MEMORIES_READ, this::recentActivity),
        Tool.of("workspace_list", "Workspaces", "Every workspace with its counts, largest first.",
            input(props()),
            output(props().put("count", integer("", 0, Long.MAX_VALUE)).put("workspaces", arrayOf(anyObject("A workspace."))),
                "count", "workspaces"),
            Scope.MEMORIES_READ, (call, args) -> call.engine(new WorkspaceList())),
        Tool.of("workspace_stats", "Workspace statistics", "Counts for one workspace.",
            input(props().put("workspace", string("Workspace name.", 64)), "workspace"),
            output(props().put("workspace", string("")).put("memory_count", integer("", 0, Long.MAX_VALUE)),
                "workspace", "memory_count"),
            Scope.MEMORIES_READ, (call, args) -> call.engine(new WorkspaceStats(args.workspace("workspace")))),
        Tool.of("workspace_move", "Move to workspace", "Move a memory to another workspace (a new version).",
            input(props().put("id", id("Memory id.")).put("workspace", string("Target workspace.", 64)),
                "id", "workspace"),
            output(props().put("success", bool("")).put("memory", memory), "success", "memory"),
            Scope.MEMORIES_WRITE, (call, args) -> call.engine(new MoveWorkspace(args.id("id"), args.workspace("workspace")))),
        Tool.of("memory_export", "Export", "Export memories in Engram's export format (at most " + MAX_EXPORT
                + " memories and " + (MAX_EXPORT_CHARS >> 20) + " MiB of content; use GET /v1/export for more).",
            input(props().put("workspace", string("Only this workspace.", 64))
                .put("include_embeddings", bool("Accepted for Engram compatibility; embeddings are not exported."))),
            output(props().put("version", string("")).put("exported_at", string(""))
                .put("memory_count", integer("", 0, MAX_EXPORT)).put("memories", arrayOf(anyObject("An item."))),
                "version", "exported_at", "memory_count", "memories"),
            Scope.MEMORIES_READ, this::export),
        Tool.of("memory_link", "Link memories", "Link two memories (upsert on from, to and edge type).",
            input(props().put("from_id", id("Source memory.")).put("to_id", id("Target memory."))
                .put("edge_type", choice("Kind of link (default related_to).", EDGE_TYPES))
                .put("strength", number("0..1 (default 1).", 0, 1))
                .put("source_context", string("Why they are linked.", 1000))
                .put("pinned", bool("Accepted for Engram compatibility.")), "from_id", "to_id"),
            Schema.link(), Scope.MEMORIES_WRITE, this::link),
        Tool.of("memory_unlink", "Unlink memories", "Remove a link.",
            input(props().put("from_id", id("Source memory.")).put("to_id", id("Target memory."))
                .put("edge_type", choice("Kind of link (default related_to).", EDGE_TYPES)), "from_id", "to_id"),
            output(props().put("unlinked", bool("")), "unlinked"),
            Scope.MEMORIES_WRITE, (call, args) -> call.engine(new Unlink(args.id("from_id"), args.id("to_id"),
                orDefault(args.string("edge_type"), EdgeTypes.DEFAULT)))),
        Tool.of("memory_related", "Related memories", "Links of a memory in both directions, strongest first.",
            input(props().put("id", id("Memory id."))
                .put("depth", integer("Only 1 is supported.", 1, 1))
                .put("edge_type", choice("Only this kind of link.", EDGE_TYPES))
                .put("include_entities", bool("Accepted for Engram compatibility."))
                .put("include_decayed", bool("Accepted for Engram compatibility.")), "id"),
            output(props().put("id", integer("", 1, Long.MAX_VALUE)).put("related", arrayOf(Schema.link())), "related"),
            Scope.MEMORIES_READ, (call, args) -> call.engine(new Related(args.id("id"), args.string("edge_type")))),
        Tool.of("memory_scan_project", "Scan project context", "Store a project's agent instruction files (CLAUDE.md, "
                + "AGENTS.md, .cursorrules, ...) as context memories: one per file and one per Markdown section. Send the "
                + "project's whole set: a rescan changes only what changed and retires files and sections no longer sent.",
            input(props()
                .put("project", text("Project name (the key of its context).", ProjectScan.MAX_PROJECT_CHARS))
                .put("workspace", string("Workspace (default 'default').", 64))
                .put("files", arrayOf(input(props()
                    .put("path", text("Path relative to the project root, '/'-separated.", InstructionFiles.MAX_PATH_CHARS))
                    .put("content", string("The file's text.")), "path", "content"))
                    .put("maxItems", ProjectScan.MAX_FILES)), "project", "files"),
            output(props().put("project", string("")).put("workspace", string(""))
                .put("files_found", integer("Files sent.", 0, ProjectScan.MAX_FILES))
                .put("memories_created", integer("", 0, Long.MAX_VALUE))
                .put("memories_updated", integer("", 0, Long.MAX_VALUE))
                .put("memories_retired", integer("", 0, Long.MAX_VALUE))
                .put("files_skipped", integer("Files too large to store; their earlier memories are kept.", 0,
                    ProjectScan.MAX_FILES))
                .put("errors", arrayOf(string("Why a file was skipped.")))
                .put("scanned_at", string("")),
                "project", "files_found", "memories_created", "memories_updated", "memories_retired", "files_skipped",
                "errors", "scanned_at"),
            Scope.MEMORIES_WRITE, this::scanProject),
        Tool.of("memory_get_project_context", "Get project context", "A project's context memories: each instruction "
                + "file's memory followed by its sections in file order.",
            input(props()
                .put("project", text("Project name.", ProjectScan.MAX_PROJECT_CHARS))
                .put("workspace", string("Workspace (default 'default').", 64))
                .put("include_sections", bool("Include section memories (default true)."))
                .put("file_types", arrayOf(choice("A file type.", InstructionFiles.FILE_TYPES))
                    .put("maxItems", InstructionFiles.FILE_TYPES.size())), "project"),
            output(props().put("project", string("")).put("workspace", string(""))
                .put("count", integer("", 0, Long.MAX_VALUE)).put("memories", arrayOf(memory)),
                "project", "count", "memories"),
            Scope.MEMORIES_READ, this::projectContext),
        Tool.of("memory_list_instruction_files", "List instruction files", "Which files memory_scan_project looks "
                + "for, and, for files given, how each would be stored (type, format, size, hash, sections); stores nothing.",
            input(props().put("files", arrayOf(input(props()
                    .put("path", text("Path relative to the project root.", InstructionFiles.MAX_PATH_CHARS))
                    .put("content", string("The file's text.")), "path", "content"))
                .put("maxItems", ProjectScan.MAX_FILES))),
            output(props().put("known_files", arrayOf(anyObject("{path, file_type}")))
                .put("files_found", integer("", 0, ProjectScan.MAX_FILES))
                .put("files_skipped", integer("", 0, ProjectScan.MAX_FILES))
                .put("files", arrayOf(anyObject("{path, filename, file_type, format, size, content_hash, sections}"))),
                "known_files", "files_found", "files_skipped", "files"),
            Scope.MEMORIES_READ, (call, args) -> parser.parse(() -> listInstructionFiles(args))));
  }

  private JsonObject createInput() {
    JsonObject p = props()
        .put("content", text("The memory's text.", limits.maxContentChars()))
        .put("memory_type", choice("Kind of memory (default note).", new TreeSet<>(MemoryTypes.ALL)))
        .put("type", choice("Alias of memory_type.", new TreeSet<>(MemoryTypes.ALL)))
        .put("tags", labels("Labels.", limits.maxTags(), limits.maxTagChars()))
        .put("metadata", anyObject("Any JSON object, at most " + limits.maxMetadataBytes() + " bytes."))
        .put("importance", number("0..1 (default 0.5).", 0, 1))
        .put("workspace", string("Workspace (default 'default').", 64))
        .put("tier", choice("permanent, or daily (expires).", List.of("permanent", "daily")))
        .put("ttl_seconds", integer("Expire after this many seconds (implies tier daily).", 1, MAX_TTL_SECONDS));
    for (String ignored : IGNORED_CREATE_ARGS) {
      p.put(ignored, new JsonObject().put("description", "Accepted for Engram compatibility; ignored."));
    }
    return input(p, "content");
  }

  private JsonObject searchInput() {
    JsonObject p = props()
        .put("query", text("What to look for.", 1000))
        .put("limit", integer("Most results to return (default 10).", 1, limits.searchMaxLimit()))
        .put("strategy", choice("keyword, semantic, hybrid or auto (default auto).",
            List.of("auto", "hybrid", "keyword", "semantic")))
        .put("explain", bool("Return each signal's contribution per result."))
        .put("project", text("Boost this project's context memories (from memory_scan_project) in hybrid ranking.",
            ProjectScan.MAX_PROJECT_CHARS))
        .put("workspace", string("Only this workspace.", 64))
        .put("workspaces", labels("Only these workspaces.", 50, 64))
        .put("tags", labels("Only memories with these tags.", limits.maxTags(), limits.maxTagChars()))
        .put("tags_mode", choice("all (default) or any of the tags.", List.of("all", "any")))
        .put("memory_type", choice("Only this type.", new TreeSet<>(MemoryTypes.ALL)))
        .put("type", choice("Alias of memory_type.", new TreeSet<>(MemoryTypes.ALL)))
        .put("tier", choice("Only this tier.", List.of("permanent", "daily")))
        .put("importance_min", number("At least this importance.", 0, 1))
        .put("importance_max", number("At most this importance.", 0, 1))
        .put("created_after", string("RFC 3339 time or date.", 64))
        .put("created_before", string("RFC 3339 time or date.", 64))
        .put("updated_after", string("RFC 3339 time or date.", 64))
        .put("updated_before", string("RFC 3339 time or date.", 64))
        .put("filter", new JsonObject().put("type", "object").put("description",
            "A filter tree: {and:[...]}, {or:[...]} or {field, op, value} with op eq, neq, gt, gte, lt, lte, "
                + "contains, not_contains, exists, on fields and metadata.* paths."));
    for (String ignored : IGNORED_SEARCH_ARGS) {
      p.put(ignored, new JsonObject().put("description", "Accepted for Engram compatibility; ignored."));
    }
    return input(p, "query");
  }

  private JsonObject updateInput() {
    return input(props()
        .put("id", id("Memory id."))
        .put("content", text("New text.", limits.maxContentChars()))
        .put("memory_type", choice("New type.", new TreeSet<>(MemoryTypes.ALL)))
        .put("type", choice("Alias of memory_type.", new TreeSet<>(MemoryTypes.ALL)))
        .put("tags", labels("New tags (replace the old ones).", limits.maxTags(), limits.maxTagChars()))
        .put("metadata", anyObject("New metadata (replaces the old)."))
        .put("importance", number("0..1.", 0, 1))
        .put("ttl_seconds", integer("Expire this many seconds from now.", 1, MAX_TTL_SECONDS)), "id");
  }

  // ---- handlers ----

  private Future<JsonObject> create(ToolCall call, ToolArgs args) {
    return call.engine(createCommand(call, args)).map(memory -> {
      call.countCreated(1);
      return memory;
    });
  }

  private Create createCommand(ToolCall call, ToolArgs args) {
    JsonObject metadata = orDefault(args.object("metadata"), new JsonObject());
    checkMetadata(metadata);
    Long ttl = args.integer("ttl_seconds");
    String tier = orDefault(args.string("tier"), ttl != null ? "daily" : "permanent");
    if ("permanent".equals(tier) && ttl != null) {
      throw ApiException.badRequest("invalid_field", "A permanent memory cannot have ttl_seconds.");
    }
    return new Create(args.trimmed("content"), orDefault(args.string("memory_type", "type"), MemoryTypes.DEFAULT),
        orDefault(args.labels("tags"), List.of()), metadata, orDefault(args.number("importance"), 0.5),
        orDefault(args.workspace("workspace"), Workspaces.DEFAULT), tier, ttl, call.caps());
  }

  private Future<JsonObject> get(ToolCall call, ToolArgs args) {
    return call.engine(new Get(args.id("id"))).map(memory -> {
      if (!args.flag("strip_private", false)) return memory;
      return memory.copy().put("content", PRIVATE_SPAN.matcher(memory.getString("content")).replaceAll(""));
    });
  }

  private Future<JsonObject> update(ToolCall call, ToolArgs args) {
    JsonObject metadata = args.object("metadata");
    if (metadata != null) checkMetadata(metadata);
    Update update = new Update(args.id("id"), args.trimmed("content"), args.string("memory_type", "type"),
        args.labels("tags"), metadata, args.number("importance"), args.integer("ttl_seconds"), call.caps());
    if (update.content() == null && update.memoryType() == null && update.tags() == null && update.metadata() == null
        && update.importance() == null && update.ttlSeconds() == null) {
      throw ApiException.badRequest("empty_update", "Give at least one field to change besides id.");
    }
    return call.engine(update);
  }

  private Future<JsonObject> delete(ToolCall call, ToolArgs args) {
    long id = args.id("id");
    return call.engine(new Delete(id)).map(ignored -> new JsonObject().put("deleted", id));
  }

  private Future<JsonObject> list(ToolCall call, ToolArgs args) {
    String cursor = args.string("cursor");
    ListMemories query = new ListMemories(args.workspace("workspace"), args.labels("tags"),
        args.string("memory_type", "type"), orDefault(args.integer("limit"), 50L).intValue(),
        cursor == null ? null : Cursors.decode(cursor));
    return call.engine(query).map(page -> {
      JsonArray memories = page.getJsonArray("data");
      return new JsonObject().put("memories", memories).put("count", memories.size())
          .put("next_cursor", page.getString("next_cursor"));
    });
  }

  /** The same request rules as REST's POST /v1/search, with Engram's aliases and agent-friendly auto strategy. */
  private Future<JsonObject> search(ToolCall call, ToolArgs args) {
    JsonObject request = args.json().copy();
    IGNORED_SEARCH_ARGS.forEach(request::remove);
    Object type = request.remove("type");
    if (type != null && !request.containsKey("memory_type")) request.put("memory_type", type);
    if (!request.containsKey("strategy")) request.put("strategy", "auto");
    Search search = MemoryRoutes.searchCommand(request, limits);
    return call.engine(search).map(result -> {
      call.countSearch();
      return result;
    });
  }

  /** Each item is validated and created on its own; results keep the items' order. */
  private Future<JsonObject> createBatch(ToolCall call, ToolArgs args) {
    JsonArray items = args.array("memories");
    List<Future<JsonObject>> outcomes = new ArrayList<>();
    for (Object item : items) {
      outcomes.add(Future.<JsonObject>succeededFuture().compose(ignored -> {
        if (!(item instanceof JsonObject object)) {
          throw ApiException.badRequest("invalid_field", "Each item must be a memory_create input object.");
        }
        String invalid = createItem.invalidArguments(object);
        if (invalid != null) throw ApiException.badRequest("invalid_arguments", invalid);
        return call.engine(createCommand(call, new ToolArgs(object)));
      }));
    }
    return Future.join(outcomes).transform(ignored -> {
      JsonArray created = new JsonArray();
      JsonArray failed = new JsonArray();
      for (int i = 0; i < outcomes.size(); i++) {
        Future<JsonObject> outcome = outcomes.get(i);
        if (outcome.succeeded()) {
          created.add(outcome.result());
        } else {
          failed.add(new JsonObject().put("index", i).put("error", ApiException.from(outcome.cause()).detail()));
        }
      }
      call.countCreated(created.size());
      return Future.succeededFuture(new JsonObject().put("created", created).put("failed", failed)
          .put("total_created", created.size()).put("total_failed", failed.size()));
    });
  }

  private Future<JsonObject> deleteBatch(ToolCall call, ToolArgs args) {
    JsonArray ids = args.array("ids");
    List<Future<JsonObject>> outcomes = new ArrayList<>();
    for (Object id : ids) outcomes.add(call.engine(new Delete(((Number) id).longValue())));
    return Future.join(outcomes).transform(ignored -> {
      JsonArray deleted = new JsonArray();
      JsonArray failed = new JsonArray();
      for (int i = 0; i < outcomes.size(); i++) {
        long id = ((Number) ids.getValue(i)).longValue();
        if (outcomes.get(i).succeeded()) {
          deleted.add(id);
        } else {
          failed.add(new JsonObject().put("index", i).put("id", id)
              .put("error", ApiException.from(outcomes.get(i).cause()).detail()));
        }
      }
      return Future.succeededFuture(new JsonObject().put("deleted", deleted).put("failed", failed)
          .put("total_deleted", deleted.size()).put("total_failed", failed.size()));
    });
  }

  private Future<JsonObject> recentActivity(ToolCall call, ToolArgs args) {
    String timeframe = orDefault(args.string("timeframe"), "24h");
    String workspace = args.workspace("workspace");
    JsonArray types = args.array("include_types");
    RecentActivity query = new RecentActivity(workspace, Instant.now().minus(TIMEFRAMES.get(timeframe)),
        orDefault(args.integer("limit"), 20L).intValue(),
        types == null || types.isEmpty() ? null : types.stream().map(String.class::cast).toList());
    return call.engine(query).map(result -> result.copy().put("timeframe", timeframe).put("workspace", workspace));
  }

  /** Pages through the engine's export until done, refusing tenants too large to answer in one tool result. */
  private Future<JsonObject> export(ToolCall call, ToolArgs args) {
    String workspace = args.workspace("workspace");
    JsonArray memories = new JsonArray();
    return exportFrom(call, workspace, 0, 0, memories).map(done -> new JsonObject()
        .put("version", "1.0")
        .put("exported_at", OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
        .put("memory_count", memories.size())
        .put("memories", memories));
  }

  private Future<Void> exportFrom(ToolCall call, String workspace, long afterId, long chars, JsonArray into) {
    return call.engine(new ExportPage(workspace, afterId, EXPORT_PAGE)).compose(page -> {
      long total = chars + page.getLong("stored_chars");
      if (into.size() + page.getJsonArray("memories").size() > MAX_EXPORT || total > MAX_EXPORT_CHARS) {
        throw ApiException.badRequest("export_too_large", "More than " + MAX_EXPORT + " memories or "
            + (MAX_EXPORT_CHARS >> 20) + " MiB of content: use GET /v1/export, which streams any size.");
      }
      page.getJsonArray("memories").forEach(into::add);
      Number next = page.getNumber("next_after_id");
      return next == null ? Future.succeededFuture() : exportFrom(call, workspace, next.longValue(), total, into);
    });
  }

  private Future<JsonObject> importDocument(ToolCall call, ToolArgs args) {
    List<ImportedMemory> memories = ImportDocument.parse(args.object("data"), limits);
    return call.engine(new Import(memories, args.flag("skip_duplicates", true), call.caps())).map(result -> {
      call.countCreated(result.getInteger("imported"));
      return result;
    });
  }

  private Future<JsonObject> scanProject(ToolCall call, ToolArgs args) {
    return parser.parse(() -> ProjectScan.parse(args.json()))
        .compose(request -> call.engine(new ScanProject(request.workspace(), request.project(), request.files(),
                request.skippedPaths(), call.caps()))
            .map(reply -> {
              JsonObject summary = ProjectScan.summary(request, reply);
              call.countCreated(summary.getInteger("memories_created"));
              return summary;
            }));
  }

  private Future<JsonObject> projectContext(ToolCall call, ToolArgs args) {
    JsonArray types = args.array("file_types");
    return call.engine(new ProjectContext(orDefault(args.workspace("workspace"), Workspaces.DEFAULT),
        ProjectScan.project(args.string("project")), args.flag("include_sections", true),
        types == null ? null : types.stream().map(String.class::cast).toList()));
  }

  /** Parses the files given (on the scan parser's pool: see the tool's handler). */
  private static JsonObject listInstructionFiles(ToolArgs args) {
    JsonArray known = new JsonArray();
    InstructionFiles.KNOWN.forEach((path, type) -> known.add(new JsonObject().put("path", path).put("file_type", type)));
    JsonArray given = args.array("files");
    JsonArray files = new JsonArray();
    int skipped = 0;
    if (given != null) {
      ProjectScan.Request request = ProjectScan.parse(new JsonObject().put("project", "-").put("files", given));
      skipped = request.skippedPaths().size();
      for (dev.engram.cloud.projectcontext.ContextFile f : request.files()) {
        files.add(new JsonObject().put("path", f.path()).put("filename", f.path().substring(f.path().lastIndexOf('/') + 1))
            .put("file_type", f.fileType()).put("format", f.format())
            .put("size", f.content().getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
            .put("content_hash", f.fileHash())
            .put("sections", new JsonArray(f.sections().stream().map(sec -> sec.path()).toList())));
      }
    }
    return new JsonObject().put("known_files", known).put("files_found", given == null ? 0 : given.size())
        .put("files_skipped", skipped).put("files", files);
  }

  private Future<JsonObject> link(ToolCall call, ToolArgs args) {
    long from = args.id("from_id");
    long to = args.id("to_id");
    if (from == to) throw ApiException.badRequest("invalid_link", "A memory cannot be linked to itself.");
    return call.engine(new Link(from, to, orDefault(args.string("edge_type"), EdgeTypes.DEFAULT),
        orDefault(args.number("strength"), 1.0), args.string("source_context")));
  }

  private void checkMetadata(JsonObject metadata) {
    if (metadata.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > limits.maxMetadataBytes()) {
      throw ApiException.badRequest("invalid_field", "metadata must be at most " + limits.maxMetadataBytes()
          + " bytes as JSON.");
    }
  }

  private static <T> T orDefault(T value, T fallback) {
    return value != null ? value : fallback;
  }
}
