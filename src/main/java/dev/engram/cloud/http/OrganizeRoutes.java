package dev.engram.cloud.http;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.model.EdgeTypes;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.engine.EngineMessages.EngineCommand;
import dev.engram.cloud.engine.EngineMessages.Link;
import dev.engram.cloud.engine.EngineMessages.MoveWorkspace;
import dev.engram.cloud.engine.EngineMessages.RecentActivity;
import dev.engram.cloud.engine.EngineMessages.Related;
import dev.engram.cloud.engine.EngineMessages.Tags;
import dev.engram.cloud.engine.EngineMessages.Unlink;
import dev.engram.cloud.engine.EngineMessages.Versions;
import dev.engram.cloud.engine.EngineMessages.WorkspaceList;
import dev.engram.cloud.engine.EngineMessages.WorkspaceStats;
import dev.engram.cloud.model.MemoryTypes;
import dev.engram.cloud.model.Workspaces;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Tags, versions, recent activity, workspaces (list, stats, move) and links between memories. */
final class OrganizeRoutes {

  private static final Set<String> ACTIVITY_PARAMS = Set.of("since", "timeframe", "workspace", "limit", "types");
  private static final Map<String, Duration> TIMEFRAMES = Map.of("1h", Duration.ofHours(1), "24h", Duration.ofHours(24),
      "7d", Duration.ofDays(7), "30d", Duration.ofDays(30));
  private static final String DEFAULT_TIMEFRAME = "24h";
  private static final int DEFAULT_ACTIVITY_LIMIT = 20;
  private static final Set<String> MOVE_FIELDS = Set.of("workspace");
  private static final Set<String> LINK_FIELDS = Set.of("from_id", "to_id", "edge_type", "strength", "source_context");
  private static final Set<String> UNLINK_FIELDS = Set.of("from_id", "to_id", "edge_type");
  private static final int MAX_SOURCE_CONTEXT_CHARS = 1000;

  private final EngineClient engines;
  private final EngramConfig.Memories limits;

  OrganizeRoutes(EngineClient engines, EngramConfig.Memories limits) {
    this.engines = engines;
    this.limits = limits;
  }

  void tags(RoutingContext ctx) {
    Params.check(ctx, Set.of());
    send(ctx, new Tags(), 200);
  }

  void versions(RoutingContext ctx) {
    long id = Params.id(ctx);
    Params.check(ctx, Set.of());
    send(ctx, new Versions(id), 200);
  }

  /** {@code since} (RFC 3339) or {@code timeframe} (1h, 24h, 7d, 30d; default 24h), not both. */
  void activity(RoutingContext ctx) {
    MultiMap params = Params.check(ctx, ACTIVITY_PARAMS);
    String since = params.get("since");
    String timeframe = params.get("timeframe");
    if (since != null && timeframe != null) {
      throw ApiException.badRequest("invalid_parameter", "Give either since or timeframe, not both.");
    }
    Instant from;
    if (since != null) {
      try {
        from = Timestamps.parse(since);
      } catch (Timestamps.InvalidTimestamp e) {
        throw ApiException.badRequest("invalid_parameter", "since " + e.getMessage() + ".");
      }
    } else {
      Duration window = TIMEFRAMES.get(timeframe != null ? timeframe : DEFAULT_TIMEFRAME);
      if (window == null) {
        throw ApiException.badRequest("invalid_parameter", "timeframe must be one of 1h, 24h, 7d, 30d.");
      }
      from = Instant.now().minus(window);
    }
    String workspace = params.get("workspace") == null ? null : Workspaces.normalize(params.get("workspace"));
    int limit = Params.limit(params.get("limit"), DEFAULT_ACTIVITY_LIMIT, limits.listMaxLimit());
    List<String> types = Params.list("types", params.get("types"));
    if (types != null) {
      for (String type : types) {
        if (!MemoryTypes.ALL.contains(type)) {
          throw ApiException.badRequest("invalid_parameter", "Unknown memory type '" + type + "' in types.");
        }
      }
    }
    send(ctx, new RecentActivity(workspace, from, limit, types), 200);
  }

  void workspaces(RoutingContext ctx) {
    Params.check(ctx, Set.of());
    send(ctx, new WorkspaceList(), 200);
  }

  void workspace(RoutingContext ctx) {
    Params.check(ctx, Set.of());
    send(ctx, new WorkspaceStats(Workspaces.normalize(ctx.pathParam("name"))), 200);
  }

  void move(RoutingContext ctx) {
    long id = Params.id(ctx);
    JsonInput in = JsonInput.parse(ctx.body().buffer(), MOVE_FIELDS);
    String workspace = Workspaces.normalize(in.string("workspace", true, 256));
    send(ctx, new MoveWorkspace(id, workspace), 200);
  }

  void link(RoutingContext ctx) {
    JsonInput in = JsonInput.parse(ctx.body().buffer(), LINK_FIELDS);
    long from = requiredId(in, "from_id");
    long to = requiredId(in, "to_id");
    String edgeType = EdgeTypes.normalize(in.string("edge_type", false, 64));
    Double strength = in.number("strength", 0, 1);
    String context = in.string("source_context", false, MAX_SOURCE_CONTEXT_CHARS);
    if (from == to) {
      throw ApiException.badRequest("invalid_field", "A memory cannot be linked to itself (from_id equals to_id).");
    }
    send(ctx, new Link(from, to, edgeType, strength != null ? strength : 1.0, context), 200);
  }

  /** The link to remove comes as a JSON body or as query parameters, not both. */
  void unlink(RoutingContext ctx) {
    boolean hasBody = ctx.body() != null && ctx.body().length() > 0;
    Unlink unlink;
    if (hasBody) {
      Params.check(ctx, Set.of());
      JsonInput in = JsonInput.parse(ctx.body().buffer(), UNLINK_FIELDS);
      unlink = new Unlink(requiredId(in, "from_id"), requiredId(in, "to_id"),
          EdgeTypes.normalize(in.string("edge_type", false, 64)));
    } else {
      MultiMap params = Params.check(ctx, UNLINK_FIELDS);
      unlink = new Unlink(Params.memoryId("from_id", params.get("from_id")),
          Params.memoryId("to_id", params.get("to_id")), edgeTypeParam(params.get("edge_type")));
    }
    send(ctx, unlink, 200);
  }

  void related(RoutingContext ctx) {
    long id = Params.id(ctx);
    String edgeType = Params.check(ctx, Set.of("edge_type")).get("edge_type");
    send(ctx, new Related(id, edgeType == null ? null : edgeTypeParam(edgeType)), 200);
  }

  private static String edgeTypeParam(String raw) {
    try {
      return EdgeTypes.normalize(raw);
    } catch (ApiException e) {
      throw ApiException.badRequest("invalid_parameter", "edge_type must be one of "
          + String.join(", ", EdgeTypes.ALL.stream().sorted().toList()) + "; got '" + raw + "'.");
    }
  }

  private static long requiredId(JsonInput in, String name) {
    Long id = in.integer(name, 1, Long.MAX_VALUE);
    if (id == null) throw ApiException.badRequest("missing_field", "Field '" + name + "' is required.");
    return id;
  }

  private void send(RoutingContext ctx, EngineCommand command, int status) {
    MemoryRoutes.send(engines, ctx, command, status, () -> {});
  }
}
