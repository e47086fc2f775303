package dev.engram.cloud.api;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineMessages.Create;
import dev.engram.cloud.engine.EngineMessages.Delete;
import dev.engram.cloud.engine.EngineMessages.Get;
import dev.engram.cloud.engine.EngineMessages.ListMemories;
import dev.engram.cloud.engine.EngineMessages.ListOrder;
import dev.engram.cloud.engine.EngineMessages.Search;
import dev.engram.cloud.engine.EngineMessages.Suggest;
import dev.engram.cloud.engine.EngineMessages.Update;
import dev.engram.cloud.model.Cursors;
import dev.engram.cloud.model.MemoryTypes;
import dev.engram.cloud.model.Tiers;
import dev.engram.cloud.model.Workspaces;
import dev.engram.cloud.projectcontext.ProjectScan;
import dev.engram.cloud.search.FilterParser;
import dev.engram.cloud.search.SearchFilter;
import dev.engram.cloud.search.Strategy;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;

/**
 * Memories and search: each method turns one operation's validated input (see {@link OperationInput}; the same
 * JSON from a REST request and from an MCP tool's arguments) into its engine command, applying the rules the schema
 * cannot state and the defaults. Types, ranges, required and unknown members were checked against openapi.yaml.
 */
public final class MemoryRequests {

  private static final long DAILY_TTL_SECONDS = 86_400;

  private final Inputs inputs;
  private final EngramConfig.Memories limits;

  public MemoryRequests(Contract contract, EngramConfig.Memories limits) {
    this.inputs = new Inputs(contract);
    this.limits = limits;
  }

  /** {@code createMemory}: a TTL implies the daily tier, and a permanent memory takes none. */
  public Create create(JsonObject in, Caps caps) {
    Long ttl = in.getLong("ttl_seconds");
    String tier = in.getString("tier", ttl != null ? Tiers.DAILY : Tiers.PERMANENT);
    if (Tiers.PERMANENT.equals(tier) && ttl != null) {
      throw Violations.withPointer("ttl_on_permanent",
          "A permanent memory cannot have ttl_seconds; use tier 'daily' or leave tier out.", "/ttl_seconds");
    }
    return new Create(in.getString("content").trim(), in.getString("memory_type", MemoryTypes.DEFAULT),
        Inputs.labels(in, "tags", List.of()), inputs.metadata(in, limits), in.getDouble("importance", 0.5),
        Inputs.workspace(in, "workspace", Workspaces.DEFAULT), tier, ttl, caps);
  }

  /** {@code createDailyMemory}: a memory of the daily tier, expiring after {@code ttl_seconds} (default one day). */
  public Create createDaily(JsonObject in, Caps caps) {
    JsonObject daily = in.copy().put("tier", Tiers.DAILY);
    if (!daily.containsKey("ttl_seconds")) daily.put("ttl_seconds", DAILY_TTL_SECONDS);
    return create(daily, caps);
  }

  public Get get(JsonObject in) {
    return new Get(in.getLong("id"));
  }

  /** {@code updateMemory}: at least one change; workspace and tier are not changed here. */
  public Update update(JsonObject in, Caps caps) {
    for (String immutable : List.of("workspace", "tier")) {
      if (in.containsKey(immutable)) {
        throw Violations.withPointer("immutable_field", "Field '" + immutable + "' cannot be changed by an update"
            + ("workspace".equals(immutable) ? "; move the memory instead." : "."), "/" + immutable);
      }
    }
    String content = in.getString("content");
    Update update = new Update(in.getLong("id"), content == null ? null : content.trim(), in.getString("memory_type"),
        Inputs.labels(in, "tags", null), in.containsKey("metadata") ? inputs.metadata(in, limits) : null,
        in.getDouble("importance"), in.getLong("ttl_seconds"), caps);
    if (update.content() == null && update.memoryType() == null && update.tags() == null && update.metadata() == null
        && update.importance() == null && update.ttlSeconds() == null) {
      throw ApiException.badRequest("empty_update", "Give at least one field to change.");
    }
    return update;
  }

  public Delete delete(JsonObject in) {
    return new Delete(in.getLong("id"));
  }

  /**
   * {@code listMemories}: Engram's order and offset beside our cursor. A cursor follows the default order from where
   * the last page ended, so it takes neither another order nor an offset.
   */
  public ListMemories list(JsonObject in) {
    String cursor = in.getString("cursor");
    ListOrder order = new ListOrder(in.getString("sort_by", "created_at"), "asc".equals(in.getString("sort_order")));
    int offset = in.getInteger("offset", 0);
    if (cursor != null && offset > 0) {
      throw Violations.withPointer("invalid_field", "Give either 'cursor' or 'offset', not both.", "/offset");
    }
    if (cursor != null && !order.pagesByCursor()) {
      throw Violations.withPointer("invalid_field", "A cursor pages the default order (newest first); page another "
          + "order with 'offset'.", "/cursor");
    }
    return new ListMemories(workspaces(in), Inputs.labels(in, "tags", null), in.getString("memory_type"),
        in.getString("tier"), order, in.getInteger("limit", inputs.defaultLimit("listMemories")), offset,
        cursor == null ? null : Cursors.decode(cursor));
  }

  /** {@code workspace} or {@code workspaces} (normalized, each once), or null for every workspace. */
  private static List<String> workspaces(JsonObject in) {
    if (in.containsKey("workspace") && in.containsKey("workspaces")) {
      throw Violations.withPointer("invalid_field", "Give either 'workspace' or 'workspaces', not both.", "/workspaces");
    }
    if (in.containsKey("workspace")) return List.of(Inputs.workspace(in, "workspace", null));
    if (in.containsKey("workspaces")) {
      return in.getJsonArray("workspaces").stream().map(w -> Workspaces.normalize((String) w)).distinct().toList();
    }
    return null;
  }

  /** {@code search}: REST's {@code POST /v1/search} and MCP's {@code memory_search} alike. */
  public Search search(JsonObject in) {
    List<String> workspaces = workspaces(in);
    List<String> tags = Inputs.labels(in, "tags", null);
    if (in.containsKey("tags_mode") && (tags == null || tags.isEmpty())) {
      throw Violations.withPointer("invalid_field", "Field 'tags_mode' needs 'tags'.", "/tags_mode");
    }
    Double importanceMin = in.getDouble("importance_min");
    Double importanceMax = in.getDouble("importance_max");
    if (importanceMin != null && importanceMax != null && importanceMin > importanceMax) {
      throw Violations.withPointer("invalid_field", "Field 'importance_min' must not be above 'importance_max'.",
          "/importance_min");
    }
    SearchFilter filter = new SearchFilter(workspaces, tags, "any".equals(in.getString("tags_mode")),
        in.getString("memory_type"), in.getString("tier"), importanceMin, importanceMax, time(in, "created_after"),
        time(in, "created_before"), time(in, "updated_after"), time(in, "updated_before"),
        FilterParser.parse(in.getValue("filter")));
    String strategy = in.getString("strategy");
    return new Search(in.getString("query"), in.getInteger("limit", inputs.bodyDefaultLimit()), filter,
        strategy == null ? null : Strategy.parse(strategy).orElseThrow(), in.getBoolean("explain", false),
        in.containsKey("project") ? ProjectScan.project(in.getString("project")) : null);
  }

  public Suggest suggest(JsonObject in) {
    return new Suggest(in.getString("query"));
  }

  private static Instant time(JsonObject in, String name) {
    String raw = in.getString(name);
    if (raw == null) return null;
    try {
      return Timestamps.parseTimeOrDate(raw);
    } catch (Timestamps.InvalidTimestamp e) {
      throw Violations.withPointer("invalid_field", "Field '" + name + "' " + e.getMessage() + "; got '" + raw + "'.",
          "/" + name);
    }
  }
}
