package dev.engram.cloud.http;

import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.model.Cursors;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.config.EngramConfig.Plan;
import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineMessages.Create;
import dev.engram.cloud.engine.EngineMessages.Delete;
import dev.engram.cloud.engine.EngineMessages.EngineCommand;
import dev.engram.cloud.engine.EngineMessages.Get;
import dev.engram.cloud.engine.EngineMessages.ListMemories;
import dev.engram.cloud.engine.EngineMessages.Search;
import dev.engram.cloud.engine.EngineMessages.Stats;
import dev.engram.cloud.engine.EngineMessages.Suggest;
import dev.engram.cloud.engine.EngineMessages.Update;
import dev.engram.cloud.model.MemoryTypes;
import dev.engram.cloud.model.Workspaces;
import dev.engram.cloud.search.FilterParser;
import dev.engram.cloud.search.SearchFilter;
import dev.engram.cloud.search.Strategy;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/** Memories, search and stats: validates input into engine commands and writes the engine's answer. */
public final class MemoryRoutes {

  private static final Set<String> CREATE_FIELDS = Set.of("content", "memory_type", "tags", "metadata", "importance",
      "workspace", "tier", "ttl_seconds");
  private static final Set<String> UPDATE_FIELDS = Set.of("content", "memory_type", "tags", "metadata", "importance",
      "ttl_seconds", "workspace", "tier");
  private static final Set<String> SEARCH_FIELDS = Set.of("query", "limit", "workspace", "tags", "memory_type",
      "strategy", "explain", "workspaces", "tags_mode", "tier", "importance_min", "importance_max", "created_after",
      "created_before", "updated_after", "updated_before", "filter", "project");
  private static final Set<String> SUGGEST_FIELDS = Set.of("query");
  private static final Set<String> STRATEGIES = Set.of("keyword", "semantic", "hybrid", "auto");
  private static final Set<String> TAG_MODES = Set.of("all", "any");
  private static final int MAX_WORKSPACES = 50;
  private static final Set<String> LIST_PARAMS = Set.of("limit", "cursor", "workspace", "tags", "memory_type");
  private static final Set<String> TIERS = Set.of("permanent", "daily");
  private static final long MAX_TTL_SECONDS = 10L * 365 * 24 * 3600;
  private static final int DEFAULT_LIST_LIMIT = 20;
  private static final int DEFAULT_SEARCH_LIMIT = 10;
  private static final int MAX_QUERY_CHARS = 1000;

  private final EngineClient engines;
  private final EngramConfig.Memories limits;

  MemoryRoutes(EngineClient engines, EngramConfig.Memories limits) {
    this.engines = engines;
    this.limits = limits;
  }

  void create(RoutingContext ctx) {
    JsonInput in = JsonInput.parse(ctx.body().buffer(), CREATE_FIELDS);
    String content = in.text("content", limits.maxContentChars());
    String type = orDefault(in.choice("memory_type", MemoryTypes.ALL), MemoryTypes.DEFAULT);
    List<String> tags = orDefault(in.labels("tags", limits.maxTags(), limits.maxTagChars()), List.of());
    JsonObject metadata = orDefault(in.object("metadata", limits.maxMetadataBytes()), new JsonObject());
    double importance = orDefault(in.number("importance", 0, 1), 0.5);
    String workspace = in.has("workspace") ? Workspaces.normalize(in.string("workspace", false, 256)) : Workspaces.DEFAULT;
    Long ttl = in.integer("ttl_seconds", 1, MAX_TTL_SECONDS);
    String tier = orDefault(in.choice("tier", TIERS), ttl != null ? "daily" : "permanent");
    send(ctx, new Create(content, type, tags, metadata, importance, workspace, tier, ttl, caps(ctx)), 201,
        () -> Authenticator.countCreated(ctx, 1));
  }

  void get(RoutingContext ctx) {
    send(ctx, new Get(Params.id(ctx)), 200);
  }

  void update(RoutingContext ctx) {
    long id = Params.id(ctx);
    JsonInput in = JsonInput.parse(ctx.body().buffer(), UPDATE_FIELDS);
    for (String immutable : List.of("workspace", "tier")) {
      if (in.has(immutable)) {
        throw ApiException.badRequest("immutable_field", "Field '" + immutable + "' cannot be changed by PATCH.");
      }
    }
    String content = in.has("content") ? in.text("content", limits.maxContentChars()) : null;
    Update update = new Update(id, content, in.choice("memory_type", MemoryTypes.ALL),
        in.labels("tags", limits.maxTags(), limits.maxTagChars()), in.object("metadata", limits.maxMetadataBytes()),
        in.number("importance", 0, 1), in.integer("ttl_seconds", 1, MAX_TTL_SECONDS), caps(ctx));
    if (content == null && update.memoryType() == null && update.tags() == null && update.metadata() == null
        && update.importance() == null && update.ttlSeconds() == null) {
      throw ApiException.badRequest("empty_update", "Give at least one field to change.");
    }
    send(ctx, update, 200);
  }

  void delete(RoutingContext ctx) {
    send(ctx, new Delete(Params.id(ctx)), 204);
  }

  void list(RoutingContext ctx) {
    MultiMap params = Params.check(ctx, LIST_PARAMS);
    int limit = Params.limit(params.get("limit"), DEFAULT_LIST_LIMIT, limits.listMaxLimit());
    String cursor = params.get("cursor");
    String workspace = params.get("workspace") == null ? null : Workspaces.normalize(params.get("workspace"));
    String type = params.get("memory_type");
    if (type != null && !MemoryTypes.ALL.contains(type)) {
      throw ApiException.badRequest("invalid_parameter", "Unknown memory_type '" + type + "'.");
    }
    List<String> tags = Params.list("tags", params.get("tags"));
    send(ctx, new ListMemories(workspace, tags, type, limit,
        cursor == null ? null : Cursors.decode(cursor)), 200);
  }

  void search(RoutingContext ctx) {
    Search search = searchCommand(JsonInput.parse(ctx.body().buffer(), SEARCH_FIELDS), limits);
    send(ctx, search, 200, () -> Authenticator.countSearches(ctx, 1));
  }

  /**
   * A search request (REST body or MCP memory_search arguments) as an engine command; the one place its fields are
   * checked, so both doors accept exactly the same searches.
   */
  public static Search searchCommand(JsonObject arguments, EngramConfig.Memories limits) {
    return searchCommand(JsonInput.of(arguments, SEARCH_FIELDS), limits);
  }

  private static Search searchCommand(JsonInput in, EngramConfig.Memories limits) {
    String query = in.string("query", true, MAX_QUERY_CHARS);
    Long requested = in.integer("limit", 1, limits.searchMaxLimit());
    int limit = requested != null ? requested.intValue() : DEFAULT_SEARCH_LIMIT;
    List<String> workspaces = null;
    if (in.has("workspace") && in.has("workspaces")) {
      throw ApiException.badRequest("invalid_field", "Give either 'workspace' or 'workspaces', not both.");
    }
    if (in.has("workspace")) workspaces = List.of(Workspaces.normalize(in.string("workspace", false, 256)));
    if (in.has("workspaces")) {
      List<String> names = in.labels("workspaces", MAX_WORKSPACES, 256);
      if (names.isEmpty()) throw ApiException.badRequest("invalid_field", "Field 'workspaces' must not be empty.");
      workspaces = names.stream().map(Workspaces::normalize).distinct().toList();
    }
    List<String> tags = in.labels("tags", limits.maxTags(), limits.maxTagChars());
    String tagsMode = in.choice("tags_mode", TAG_MODES);
    if (tagsMode != null && (tags == null || tags.isEmpty())) {
      throw ApiException.badRequest("invalid_field", "Field 'tags_mode' needs 'tags'.");
    }
    Double importanceMin = in.number("importance_min", 0, 1);
    Double importanceMax = in.number("importance_max", 0, 1);
    if (importanceMin != null && importanceMax != null && importanceMin > importanceMax) {
      throw ApiException.badRequest("invalid_field", "Field 'importance_min' must not be above 'importance_max'.");
    }
    SearchFilter filter = new SearchFilter(workspaces, tags, "any".equals(tagsMode),
        in.choice("memory_type", MemoryTypes.ALL), in.choice("tier", TIERS), importanceMin, importanceMax,
        time(in, "created_after"), time(in, "created_before"), time(in, "updated_after"), time(in, "updated_before"),
        FilterParser.parse(in.raw("filter")));
    String strategy = in.choice("strategy", STRATEGIES);
    Boolean explain = in.bool("explain");
    String project = in.has("project") ? dev.engram.cloud.projectcontext.ProjectScan.project(in.raw("project")) : null;
    Search search = new Search(query, limit, filter, strategy == null ? null : Strategy.parse(strategy).orElseThrow(),
        Boolean.TRUE.equals(explain), project);
    return search;
  }


  void suggest(RoutingContext ctx) {
    JsonInput in = JsonInput.parse(ctx.body().buffer(), SUGGEST_FIELDS);
    send(ctx, new Suggest(in.string("query", true, MAX_QUERY_CHARS)), 200);
  }

  private static Instant time(JsonInput in, String name) {
    String raw = in.string(name, false, 64);
    if (raw == null) return null;
    try {
      return Timestamps.parseTimeOrDate(raw);
    } catch (Timestamps.InvalidTimestamp e) {
      throw ApiException.badRequest("invalid_field", "Field '" + name + "' " + e.getMessage() + "; got '" + raw + "'.");
    }
  }

  void stats(RoutingContext ctx) {
    send(ctx, new Stats(), 200);
  }

  private void send(RoutingContext ctx, EngineCommand command, int status) {
    send(ctx, command, status, () -> {});
  }

  /**
   * Runs the command on the caller's own tenant engine and writes the reply; {@code onSuccess} runs before the
   * response ends, so what it records reaches metering.
   */
  private void send(RoutingContext ctx, EngineCommand command, int status, Runnable onSuccess) {
    send(engines, ctx, command, status, onSuccess);
  }

  static void send(EngineClient engines, RoutingContext ctx, EngineCommand command, int status, Runnable onSuccess) {
    Principal principal = Authenticator.principal(ctx);
    engines.call(principal, command)
        .onSuccess(body -> {
          onSuccess.run();
          if (status == 204) {
            ctx.response().setStatusCode(204).end();
          } else {
            ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
          }
        })
        .onFailure(ctx::fail);
  }

  /** The caller's plan caps that a write must respect. */
  static Caps caps(RoutingContext ctx) {
    Plan plan = Authenticator.plan(ctx);
    return plan == null ? Caps.NONE : new Caps(plan.name(), plan.memories(), plan.storageBytes());
  }

  private static <T> T orDefault(T value, T fallback) {
    return value != null ? value : fallback;
  }
}
