package dev.engram.cloud.http;

import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.engine.Cursors;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.engine.EngineMessages.Create;
import dev.engram.cloud.engine.EngineMessages.Delete;
import dev.engram.cloud.engine.EngineMessages.EngineCommand;
import dev.engram.cloud.engine.EngineMessages.Get;
import dev.engram.cloud.engine.EngineMessages.ListMemories;
import dev.engram.cloud.engine.EngineMessages.Search;
import dev.engram.cloud.engine.EngineMessages.Stats;
import dev.engram.cloud.engine.EngineMessages.Update;
import dev.engram.cloud.engine.MemoryTypes;
import dev.engram.cloud.engine.Workspaces;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Set;

/** Memories, search and stats: validates input into engine commands and writes the engine's answer. */
final class MemoryRoutes {

  private static final Set<String> CREATE_FIELDS = Set.of("content", "memory_type", "tags", "metadata", "importance",
      "workspace", "tier", "ttl_seconds");
  private static final Set<String> UPDATE_FIELDS = Set.of("content", "memory_type", "tags", "metadata", "importance",
      "ttl_seconds", "workspace", "tier");
  private static final Set<String> SEARCH_FIELDS = Set.of("query", "limit", "workspace", "tags", "memory_type");
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
    send(ctx, new Create(content, type, tags, metadata, importance, workspace, tier, ttl), 201,
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
        in.number("importance", 0, 1), in.integer("ttl_seconds", 1, MAX_TTL_SECONDS));
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
    JsonInput in = JsonInput.parse(ctx.body().buffer(), SEARCH_FIELDS);
    String query = in.string("query", true, MAX_QUERY_CHARS);
    Long requested = in.integer("limit", 1, limits.searchMaxLimit());
    int limit = requested != null ? requested.intValue() : DEFAULT_SEARCH_LIMIT;
    String workspace = in.has("workspace") ? Workspaces.normalize(in.string("workspace", false, 256)) : null;
    Search search = new Search(query, limit, workspace, in.labels("tags", limits.maxTags(), limits.maxTagChars()),
        in.choice("memory_type", MemoryTypes.ALL));
    send(ctx, search, 200, () -> Authenticator.countSearch(ctx));
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
    engines.call(principal.tenantId(), command)
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

  private static <T> T orDefault(T value, T fallback) {
    return value != null ? value : fallback;
  }
}
