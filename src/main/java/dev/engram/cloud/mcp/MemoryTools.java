package dev.engram.cloud.mcp;

import dev.engram.cloud.api.ContextRequests;
import dev.engram.cloud.api.Contract;
import dev.engram.cloud.api.FeedbackRequests;
import dev.engram.cloud.api.IdentityRequests;
import dev.engram.cloud.api.MemoryRequests;
import dev.engram.cloud.api.OrganizeRequests;
import dev.engram.cloud.api.ProjectRequests;
import dev.engram.cloud.api.TransferRequests;
import dev.engram.cloud.auth.Scope;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.engine.EngineMessages.Delete;
import dev.engram.cloud.engine.EngineMessages.ExportPage;
import dev.engram.cloud.engine.EngineMessages.GetMany;
import dev.engram.cloud.engine.EngineMessages.ListBlocks;
import dev.engram.cloud.engine.EngineMessages.Stats;
import dev.engram.cloud.engine.EngineReplies.BlockList;
import dev.engram.cloud.engine.EngineReplies.Memory;
import dev.engram.cloud.engine.EngineReplies.MemoryList;
import dev.engram.cloud.engine.EngineReplies.SearchHit;
import dev.engram.cloud.projectcontext.ContextFile;
import dev.engram.cloud.projectcontext.InstructionFiles;
import dev.engram.cloud.projectcontext.ProjectScan;
import dev.engram.cloud.projectcontext.ScanParser;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static dev.engram.cloud.mcp.Schema.anyObject;
import static dev.engram.cloud.mcp.Schema.arrayOf;
import static dev.engram.cloud.mcp.Schema.bool;
import static dev.engram.cloud.mcp.Schema.integer;
import static dev.engram.cloud.mcp.Schema.output;
import static dev.engram.cloud.mcp.Schema.props;
import static dev.engram.cloud.mcp.Schema.string;

/**
 * Engram's tool set, with Engram's names and arguments so that existing agents and SDKs work unchanged. Each tool is
 * an operation of openapi.yaml: its input schema is the operation's (plus Engram's aliases, such as {@code type} for
 * {@code memory_type}, and Engram arguments accepted and ignored), and its handler calls the same parser
 * ({@code api/}) as the REST route, so both doors take the same input with the same rules, limits, defaults and
 * error codes. Arguments never name a tenant.
 */
public final class MemoryTools {

  private static final int MAX_BATCH = 100;
  private static final int MAX_EXPORT = 10_000;
  /**
   * The export tool builds its whole answer in memory and encodes it on an event loop (twice: text and
   * structuredContent), so it also stops at this much stored text; GET /v1/export streams any size.
   */
  private static final long MAX_EXPORT_CHARS = 8L * 1024 * 1024;
  private static final int EXPORT_PAGE = 500;
  private static final Pattern PRIVATE_SPAN = Pattern.compile("<private>.*?(</private>|\\z)", Pattern.DOTALL);
  private static final Map<String, String> TYPE_ALIAS = Map.of("type", "memory_type");
  /** Engram arguments we accept so that its agents keep working, but that change nothing here. */
  private static final Set<String> IGNORED_CREATE_ARGS = Set.of("defer_embedding", "dedup_mode", "dedup_threshold",
      "event_time", "event_duration_seconds", "trigger_pattern", "summary_of_id", "media_url", "scope");
  /** Engram search arguments accepted so that its agents keep working; the search here needs none of them. */
  private static final Set<String> IGNORED_SEARCH_ARGS = Set.of("min_score", "include_transcripts",
      "include_archived", "rerank", "rerank_strategy", "scope", "scope_path", "skip_cache");

  private final Contract contract;
  private final EngramConfig.Memories limits;
  private final ScanParser parser;
  private final MemoryRequests memories;
  private final OrganizeRequests organize;
  private final TransferRequests transfers;
  private final ProjectRequests projects = new ProjectRequests();
  private final ContextRequests context = new ContextRequests();
  private final IdentityRequests identities = new IdentityRequests();
  private final FeedbackRequests feedback = new FeedbackRequests();
  private final List<Tool> all;
  private Tool create;

  public MemoryTools(Contract contract, EngramConfig.Memories limits, ScanParser parser) {
    this.contract = contract;
    this.limits = limits;
    this.parser = parser;
    this.memories = new MemoryRequests(contract, limits);
    this.organize = new OrganizeRequests(contract);
    this.transfers = new TransferRequests(limits);
    this.all = build();
  }

  List<Tool> all() {
    return all;
  }

  private List<Tool> build() {
    JsonObject memory = contract.schema("Memory");
    JsonObject memoryList = output(props().put("memories", arrayOf(memory)).put("count", integer("", 0, Long.MAX_VALUE))
        .put("next_cursor", Schema.nullable(string("Pass as cursor for the next page."))), "memories", "count");
    create = tool("memory_create", "Create memory", "Store a new memory (note, decision, fact...) in the caller's "
            + "tenant.", "createMemory", TYPE_ALIAS, IGNORED_CREATE_ARGS, props(), memory, Scope.MEMORIES_WRITE,
        (call, in) -> call.json(memories.create(in, call.caps())).map(created -> {
          call.countCreated(1);
          return created;
        }));
    return List.of(
        create,
        tool("memory_get", "Get memory", "Fetch one memory by id.", "getMemory", Map.of(), Set.of(),
            props().put("strip_private", bool("Remove <private>...</private> spans.")), memory, Scope.MEMORIES_READ,
            this::get),
        tool("memory_update", "Update memory", "Change a memory's content, type, tags, metadata, importance or "
                + "expiry; each change is a new version.", "updateMemory", TYPE_ALIAS, Set.of(), props(), memory,
            Scope.MEMORIES_WRITE, (call, in) -> call.json(memories.update(in, call.caps()))),
        tool("memory_delete", "Delete memory", "Delete a memory by id.", "deleteMemory", Map.of(), Set.of(), props(),
            output(props().put("deleted", integer("The deleted id.", 1, Long.MAX_VALUE)), "deleted"),
            Scope.MEMORIES_WRITE, (call, in) -> call.json(memories.delete(in))
                .map(ignored -> new JsonObject().put("deleted", in.getLong("id")))),
        tool("memory_list", "List memories", "List memories (newest first, or by sort_by and sort_order), with "
                + "optional filters; page with cursor (the default order) or offset.",
            "listMemories", TYPE_ALIAS, Set.of(), props(), memoryList,
            Scope.MEMORIES_READ, (call, in) -> call.engine(memories.list(in)).map(page -> {
              JsonObject rest = page.toJson();
              return new JsonObject().put("memories", rest.getJsonArray("data")).put("count", page.data().size())
                  .put("next_cursor", page.nextCursor());
            })),
        tool("memory_search", "Search memories", "Find memories by meaning and keywords, best first "
                + "(hybrid BM25 + vectors + typo tolerance by default).", "search", TYPE_ALIAS,
            IGNORED_SEARCH_ARGS, props(), contract.schema("SearchResults"), Scope.MEMORIES_READ, this::search),
        tool("memory_search_suggest", "Suggest spelling", "Correct typos in a query from the tenant's own words "
                + "(a workspace-restricted key: its workspaces' words).", "suggest", Map.of(), Set.of(), props(),
            contract.schema("Suggestion"), Scope.MEMORIES_READ, (call, in) -> call.json(memories.suggest(in))),
        importTool(),
        createBatchTool(memory),
        deleteBatchTool(),
        tool("memory_stats", "Memory statistics", "Counts of memories by workspace, type and tier, and storage used.",
            "getStats", Map.of(), Set.of(), props(), contract.schema("Stats"), Scope.MEMORIES_READ,
            (call, in) -> call.json(new Stats())),
        tool("memory_tags", "Tags", "The most used tags with their counts, most used first (at most limit; "
                + "truncated says there are more).", "listTags", Map.of(), Set.of(), props(),
            contract.schema("TagList"), Scope.MEMORIES_READ, (call, in) -> call.json(organize.tags(in))),
        tool("memory_versions", "Versions", "A memory's versions, newest first; page with cursor.", "listVersions",
            Map.of(), Set.of(), props(), contract.schema("VersionPage"), Scope.MEMORIES_READ,
            (call, in) -> call.json(organize.versions(in))),
        tool("recent_activity", "Recent activity", "Memories created or changed recently, newest first.",
            "recentActivity", Map.of("include_types", "types"), Set.of(),
            props().put("include_types", contract.inputSchema("recentActivity").getJsonObject("properties")
                .getJsonObject("types").copy().put("description", "Alias of types (Engram's name).")),
            output(props().put("activities", arrayOf(anyObject("An activity."))).put("count", integer("", 0, 100))
                .put("timeframe", Schema.nullable(string(""))), "activities", "count"),
            Scope.MEMORIES_READ, (call, in) -> call.json(organize.activity(in, Instant.now()))
                .map(result -> result.copy().put("timeframe", in.getString("timeframe",
                    in.containsKey("since") ? null : "24h")))),
        tool("workspace_list", "Workspaces", "The largest workspaces with their counts, largest first (at most "
                + "limit; truncated says there are more).", "listWorkspaces", Map.of(), Set.of(), props(),
            contract.schema("WorkspaceList"), Scope.MEMORIES_READ, (call, in) -> call.json(organize.workspaces(in))),
        tool("workspace_stats", "Workspace statistics", "Counts for one workspace.", "getWorkspace",
            Map.of("workspace", "name"), Set.of(), props(), contract.schema("WorkspaceSummary"), Scope.MEMORIES_READ,
            (call, in) -> call.json(organize.workspace(in, "name"))),
        tool("workspace_move", "Move to workspace", "Move a memory to another workspace (a new version).",
            "moveMemory", Map.of(), Set.of(), props(), contract.schema("Moved"), Scope.MEMORIES_WRITE,
            (call, in) -> call.json(organize.move(in))),
        tool("memory_export", "Export", "Export memories in Engram's export format (at most " + MAX_EXPORT
                + " memories and " + (MAX_EXPORT_CHARS >> 20) + " MiB of content; use GET /v1/export for more).",
            "exportMemories", Map.of(), Set.of("include_embeddings"),
            props().put("include_embeddings", bool("Accepted for Engram compatibility; embeddings are not exported.")),
            contract.schema("ExportDocument"), Scope.MEMORIES_READ, this::export),
        tool("memory_link", "Link memories", "Link two memories (upsert on from, to and edge type).", "link",
            Map.of(), Set.of("pinned"), props().put("pinned", bool("Accepted for Engram compatibility.")),
            contract.schema("Link"), Scope.MEMORIES_WRITE, (call, in) -> call.json(organize.link(in))),
        tool("memory_unlink", "Unlink memories", "Remove a link.", "unlink", Map.of(), Set.of(), props(),
            contract.schema("Unlinked"), Scope.MEMORIES_WRITE, (call, in) -> call.json(organize.unlink(in, false)))
            .asBody(),
        tool("memory_related", "Related memories", "Links of a memory in both directions, strongest first (at most "
                + "limit; truncated says there are more).", "listRelated", Map.of(),
            Set.of("depth", "include_entities", "include_decayed"),
            props().put("depth", integer("Only 1 is supported.", 1, 1))
                .put("include_entities", bool("Accepted for Engram compatibility."))
                .put("include_decayed", bool("Accepted for Engram compatibility.")),
            contract.schema("RelatedList"), Scope.MEMORIES_READ, (call, in) -> call.json(organize.related(in))),
        tool("memory_scan_project", "Scan project context", "Store a project's agent instruction files (CLAUDE.md, "
                + "AGENTS.md, .cursorrules, ...) as context memories: one per file and one per Markdown section. Send the "
                + "project's whole set: a rescan changes only what changed and retires files and sections no longer "
                + "sent.", "scanProject", Map.of(), Set.of(), props(), contract.schema("ScanSummary"),
            Scope.MEMORIES_WRITE, this::scanProject),
        tool("memory_get_project_context", "Get project context", "A project's context memories: each instruction "
                + "file's memory followed by its sections in file order.", "getProjectContext", Map.of(), Set.of(),
            props(), contract.schema("ProjectContext"), Scope.MEMORIES_READ,
            (call, in) -> call.json(projects.get(in, false))),
        listInstructionFilesTool(),
        tool("memory_create_daily", "Create daily memory", "Store a memory that expires after ttl_seconds (default one "
                + "day): session context, scratch notes.", "createDailyMemory", TYPE_ALIAS, Set.of(), props(), memory,
            Scope.MEMORIES_WRITE, (call, in) -> call.json(memories.createDaily(in, call.caps())).map(created -> {
              call.countCreated(1);
              return created;
            })),
        tool("memory_build_context", "Build context", "The best memories for a query within a token budget, ready to "
                + "put in a prompt: the workspace's memory blocks first, then the search results in rank order.",
            "buildContext", Map.of("total_budget", "token_budget"), Set.of(), props(), contract.schema("Context"),
            Scope.MEMORIES_READ, this::buildContext),
        tool("memory_compress_for_context", "Compress for context", "Fit memories (by id, in that order, or a query's "
                + "results) into a token budget: whole while they fit, the first that does not cut to fit, the rest "
                + "left out.", "compressForContext", Map.of(), Set.of(), props(), contract.schema("Compressed"),
            Scope.MEMORIES_READ, this::compress),
        tool("memory_token_estimate", "Estimate tokens", "Estimated tokens of a text (characters / 4, rounded up).",
            "estimateTokens", Map.of(), Set.of(), props(), contract.schema("TokenEstimate"), Scope.MEMORIES_READ,
            (call, in) -> Future.succeededFuture(context.estimate(in))),
        tool("memory_block_create", "Create memory block", "A small named text (persona, goals, notes...) that "
                + "memory_build_context puts first in every context.", "createBlock", Map.of(), Set.of(), props(),
            contract.schema("Block"), Scope.MEMORIES_WRITE,
            (call, in) -> call.json(context.createBlock(in, call.caps()))),
        tool("memory_block_edit", "Edit memory block", "Replace a memory block's content (a new version).",
            "editBlock", Map.of(), Set.of(), props(), contract.schema("Block"), Scope.MEMORIES_WRITE,
            (call, in) -> call.json(context.editBlock(in, call.caps()))),
        tool("memory_block_get", "Get memory block", "One memory block by type and label.", "getBlock", Map.of(),
            Set.of(), props(), contract.schema("Block"), Scope.MEMORIES_READ,
            (call, in) -> call.json(context.getBlock(in))),
        tool("memory_block_list", "List memory blocks", "Memory blocks, by workspace, type and label.", "listBlocks",
            Map.of(), Set.of(), props(), contract.schema("BlockList"), Scope.MEMORIES_READ,
            (call, in) -> call.json(context.listBlocks(in))),
        tool("identity_create", "Create identity", "Create (or update) an entity with a canonical id, display name "
                + "and aliases; a search naming an alias also looks for the display name.", "createIdentity",
            Map.of(), Set.of(), props(), contract.schema("Identity"), Scope.MEMORIES_WRITE,
            (call, in) -> call.json(identities.create(in, call.caps()))),
        tool("identity_resolve", "Resolve identity", "The identity an alias names (identity null when none).",
            "resolveIdentity", Map.of(), Set.of(), props(), contract.schema("IdentityResolution"),
            Scope.MEMORIES_READ, (call, in) -> call.json(identities.resolve(in))),
        tool("memory_feedback", "Mark a search result", "Mark a memory useful (or not) for a query; hybrid search "
                + "ranks marked memories a little higher (or lower).", "recordFeedback", Map.of(), Set.of(), props(),
            contract.schema("Feedback"), Scope.MEMORIES_WRITE, (call, in) -> call.json(feedback.record(in))),
        tool("memory_feedback_stats", "Feedback statistics", "Counts of marks on search results, and the most "
                + "marked memories.", "feedbackStats", Map.of(), Set.of(), props(), contract.schema("FeedbackStats"),
            Scope.MEMORIES_READ, (call, in) -> call.json(feedback.stats(in))));
  }

  private Future<JsonObject> buildContext(ToolCall call, JsonObject in) {
    ListBlocks wanted = context.contextBlocks(in);
    Future<BlockList> blocks = wanted == null ? Future.succeededFuture(null) : call.engine(wanted);
    return blocks.compose(b -> call.engine(context.contextSearch(in)).map(results -> {
      call.countSearch();
      return context.build(in, b, results);
    }));
  }

  private Future<JsonObject> compress(ToolCall call, JsonObject in) {
    GetMany byId = context.compressMemories(in);
    Future<List<Memory>> found = byId != null
        ? call.engine(byId).map(MemoryList::memories)
        : call.engine(context.compressSearch(in)).map(results -> results.results().stream().map(SearchHit::memory)
            .toList());
    return found.map(list -> {
      call.countSearch();
      return context.compress(in, list);
    });
  }

  /** A tool for an operation: its input schema is the operation's, plus {@code extra} arguments and the aliases. */
  private Tool tool(String name, String title, String description, String operationId, Map<String, String> aliases,
                    Set<String> ignored, JsonObject extra, JsonObject outputSchema, Scope scope, Tool.Handler handler) {
    JsonObject input = contract.inputSchema(operationId);
    JsonObject properties = input.getJsonObject("properties");
    aliases.forEach((alias, canonical) -> {
      JsonObject schema = properties.getJsonObject(canonical);
      if (schema == null) return; // an alias of an extra argument
      if (extra.containsKey(alias)) return;
      if ("name".equals(canonical)) { // Engram's name for it replaces the path parameter's
        properties.remove(canonical);
        properties.put(alias, schema);
        JsonArray required = input.getJsonArray("required");
        if (required.remove(canonical)) required.add(alias);
      } else {
        properties.put(alias, schema.copy().put("description", "Alias of " + canonical + "."));
      }
    });
    extra.forEach(e -> properties.put(e.getKey(), e.getValue()));
    for (String arg : ignored) {
      if (!properties.containsKey(arg)) properties.put(arg, new JsonObject().put("description",
          "Accepted for Engram compatibility; ignored."));
    }
    return Tool.of(name, title, description, input, outputSchema, scope, contract.input(operationId), aliases,
        ignored, handler);
  }

  private Future<JsonObject> get(ToolCall call, JsonObject in) {
    return call.engine(memories.get(in)).map(memory -> {
      if (!in.getBoolean("strip_private", false)) return memory.toJson();
      return memory.withContent(PRIVATE_SPAN.matcher(memory.content()).replaceAll("")).toJson();
    });
  }

  /** The same request rules and default strategy as REST's POST /v1/search, with Engram's aliases. */
  private Future<JsonObject> search(ToolCall call, JsonObject in) {
    return call.json(memories.search(in)).map(result -> {
      call.countSearch();
      return result;
    });
  }

  private Tool importTool() {
    JsonObject input = new JsonObject().put("type", "object")
        .put("properties", props().put("data", contract.schema("ImportDocument").put("description", "The export document."))
            .put("skip_duplicates", bool("Skip memories whose content already exists (default true).")))
        .put("required", new JsonArray().add("data")).put("additionalProperties", false);
    return Tool.of("memory_import", "Import", "Import an Engram export document ({version, memories:[...]}); all or "
            + "nothing, duplicates skipped by content.", input, contract.schema("ImportResult"), Scope.MEMORIES_WRITE,
        contract.input("importMemories"), Map.of(), Set.of(), (call, in) -> {
          Boolean skip = in.getBoolean("skip_duplicates");
          return call.engine(transfers.importDocument(in.getJsonObject("data"), "/data", skip, null, call.caps()))
              .map(result -> {
                call.countCreated(result.imported());
                return result.toJson();
              });
        });
  }

  /** Each item is a memory_create input, checked and created on its own; results keep the items' order. */
  private Tool createBatchTool(JsonObject memory) {
    JsonObject input = new JsonObject().put("type", "object")
        .put("properties", props().put("memories", arrayOf(create.inputSchema()).put("minItems", 1)
            .put("maxItems", MAX_BATCH)))
        .put("required", new JsonArray().add("memories")).put("additionalProperties", false);
    // Items are checked one by one (each fails on its own): the batch's own schema holds them to objects only.
    JsonObject enforced = input.copy();
    enforced.getJsonObject("properties").getJsonObject("memories").put("items", new JsonObject().put("type", "object"));
    Tool checked = Tool.of("memory_create_batch", "Create memories", "Create up to " + MAX_BATCH + " memories; each "
            + "item is a memory_create input and fails on its own.", enforced,
        output(props().put("created", arrayOf(memory)).put("failed", arrayOf(anyObject("{index, code, error}")))
            .put("total_created", integer("", 0, MAX_BATCH)).put("total_failed", integer("", 0, MAX_BATCH)),
            "created", "failed", "total_created", "total_failed"),
        Scope.MEMORIES_WRITE, null, Map.of(), Set.of(), this::createBatch);
    return new Tool(checked.name(), checked.title(), checked.description(), input, checked.outputSchema(),
        checked.scope(), checked.handler(), checked.fast(), checked.validator(), null, Map.of(), Set.of());
  }

  private Future<JsonObject> createBatch(ToolCall call, JsonObject in) {
    JsonArray items = in.getJsonArray("memories");
    List<Future<JsonObject>> outcomes = new ArrayList<>();
    for (Object item : items) {
      outcomes.add(Future.<JsonObject>succeededFuture()
          .compose(ignored -> call.json(memories.create(create.input((JsonObject) item), call.caps()))));
    }
    return Future.join(outcomes).transform(ignored -> {
      JsonArray created = new JsonArray();
      JsonArray failed = new JsonArray();
      for (int i = 0; i < outcomes.size(); i++) {
        Future<JsonObject> outcome = outcomes.get(i);
        if (outcome.succeeded()) {
          created.add(outcome.result());
        } else {
          ApiException e = ApiException.from(outcome.cause());
          failed.add(new JsonObject().put("index", i).put("code", e.code()).put("error", e.detail()));
        }
      }
      call.countCreated(created.size());
      return Future.succeededFuture(new JsonObject().put("created", created).put("failed", failed)
          .put("total_created", created.size()).put("total_failed", failed.size()));
    });
  }

  private Tool deleteBatchTool() {
    JsonObject input = new JsonObject().put("type", "object")
        .put("properties", props().put("ids", arrayOf(contract.schema("MemoryIdValue")).put("minItems", 1)
            .put("maxItems", MAX_BATCH)))
        .put("required", new JsonArray().add("ids")).put("additionalProperties", false);
    return Tool.of("memory_delete_batch", "Delete memories", "Delete up to " + MAX_BATCH + " memories by id.", input,
        output(props().put("deleted", arrayOf(new JsonObject().put("type", "integer")))
            .put("failed", arrayOf(anyObject("{index, id, code, error}")))
            .put("total_deleted", integer("", 0, MAX_BATCH)).put("total_failed", integer("", 0, MAX_BATCH)),
            "deleted", "failed", "total_deleted", "total_failed"),
        Scope.MEMORIES_WRITE, null, Map.of(), Set.of(), (call, in) -> {
          JsonArray ids = in.getJsonArray("ids");
          List<Future<JsonObject>> outcomes = new ArrayList<>();
          for (Object id : ids) outcomes.add(call.json(new Delete(((Number) id).longValue())));
          return Future.join(outcomes).transform(ignored -> {
            JsonArray deleted = new JsonArray();
            JsonArray failed = new JsonArray();
            for (int i = 0; i < outcomes.size(); i++) {
              long id = ((Number) ids.getValue(i)).longValue();
              if (outcomes.get(i).succeeded()) {
                deleted.add(id);
              } else {
                ApiException e = ApiException.from(outcomes.get(i).cause());
                failed.add(new JsonObject().put("index", i).put("id", id).put("code", e.code()).put("error", e.detail()));
              }
            }
            return Future.succeededFuture(new JsonObject().put("deleted", deleted).put("failed", failed)
                .put("total_deleted", deleted.size()).put("total_failed", failed.size()));
          });
        });
  }

  /** Pages through the engine's export until done, refusing tenants too large to answer in one tool result. */
  private Future<JsonObject> export(ToolCall call, JsonObject in) {
    String workspace = transfers.exportWorkspace(in);
    JsonArray exported = new JsonArray();
    return exportFrom(call, workspace, 0, 0, exported).map(done -> new JsonObject()
        .put("version", "1.0")
        .put("exported_at", Timestamps.now())
        .put("memory_count", exported.size())
        .put("memories", exported));
  }

  private Future<Void> exportFrom(ToolCall call, String workspace, long afterId, long chars, JsonArray into) {
    return call.engine(new ExportPage(workspace, afterId, EXPORT_PAGE)).compose(page -> {
      long total = chars + page.storedChars();
      if (into.size() + page.memories().size() > MAX_EXPORT || total > MAX_EXPORT_CHARS) {
        throw ApiException.badRequest("export_too_large", "More than " + MAX_EXPORT + " memories or "
            + (MAX_EXPORT_CHARS >> 20) + " MiB of content: use GET /v1/export, which streams any size.");
      }
      page.memories().forEach(m -> into.add(m.toExportJson()));
      Long next = page.nextAfterId();
      return next == null ? Future.succeededFuture() : exportFrom(call, workspace, next, total, into);
    });
  }

  private Future<JsonObject> scanProject(ToolCall call, JsonObject in) {
    return parser.parse(() -> projects.scan(in))
        .compose(request -> call.engine(projects.store(request, call.caps()))
            .map(reply -> {
              JsonObject summary = ProjectScan.summary(request, reply);
              call.countCreated(summary.getInteger("memories_created"));
              return summary;
            }));
  }

  private Tool listInstructionFilesTool() {
    JsonObject input = new JsonObject().put("type", "object")
        .put("properties", props().put("files", contract.inputSchema("scanProject").getJsonObject("properties")
            .getJsonObject("files")))
        .put("required", new JsonArray()).put("additionalProperties", false);
    return Tool.of("memory_list_instruction_files", "List instruction files", "Which files memory_scan_project "
            + "looks for, and, for files given, how each would be stored (type, format, size, hash, sections); stores "
            + "nothing.", input,
        output(props().put("known_files", arrayOf(anyObject("{path, file_type}")))
            .put("files_found", integer("", 0, ProjectScan.MAX_FILES))
            .put("files_skipped", integer("", 0, ProjectScan.MAX_FILES))
            .put("files", arrayOf(anyObject("{path, filename, file_type, format, size, content_hash, sections}"))),
            "known_files", "files_found", "files_skipped", "files"),
        Scope.MEMORIES_READ, null, Map.of(), Set.of(), (call, in) -> parser.parse(() -> listInstructionFiles(in)));
  }

  /** Parses the files given (on the scan parser's pool: see the tool's handler). */
  private static JsonObject listInstructionFiles(JsonObject in) {
    JsonArray known = new JsonArray();
    InstructionFiles.KNOWN.forEach((path, type) -> known.add(new JsonObject().put("path", path).put("file_type", type)));
    JsonArray given = in.getJsonArray("files");
    JsonArray files = new JsonArray();
    int skipped = 0;
    if (given != null) {
      ProjectScan.Request request = ProjectScan.parse(new JsonObject().put("project", "-").put("files", given));
      skipped = request.skippedPaths().size();
      for (ContextFile f : request.files()) {
        files.add(new JsonObject().put("path", f.path()).put("filename", f.path().substring(f.path().lastIndexOf('/') + 1))
            .put("file_type", f.fileType()).put("format", f.format())
            .put("size", f.content().getBytes(StandardCharsets.UTF_8).length)
            .put("content_hash", f.fileHash())
            .put("sections", new JsonArray(f.sections().stream().map(sec -> sec.path()).toList())));
      }
    }
    return new JsonObject().put("known_files", known).put("files_found", given == null ? 0 : given.size())
        .put("files_skipped", skipped).put("files", files);
  }
}
