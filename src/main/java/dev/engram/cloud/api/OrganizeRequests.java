package dev.engram.cloud.api;

import dev.engram.cloud.engine.EngineMessages.Link;
import dev.engram.cloud.engine.EngineMessages.MoveWorkspace;
import dev.engram.cloud.engine.EngineMessages.RecentActivity;
import dev.engram.cloud.engine.EngineMessages.Related;
import dev.engram.cloud.engine.EngineMessages.Tags;
import dev.engram.cloud.engine.EngineMessages.Unlink;
import dev.engram.cloud.engine.EngineMessages.Versions;
import dev.engram.cloud.engine.EngineMessages.WorkspaceList;
import dev.engram.cloud.engine.EngineMessages.WorkspaceStats;
import dev.engram.cloud.model.EdgeTypes;
import dev.engram.cloud.model.Timeframes;
import dev.engram.cloud.model.VersionCursors;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;

/** Tags, versions, recent activity, workspaces and links: validated input → engine command (see MemoryRequests). */
public final class OrganizeRequests {

  private final Inputs inputs;

  public OrganizeRequests(Contract contract) {
    this.inputs = new Inputs(contract);
  }

  public Tags tags(JsonObject in) {
    return new Tags(in.getInteger("limit", inputs.defaultLimit("listTags")));
  }

  public Versions versions(JsonObject in) {
    String cursor = in.getString("cursor");
    return new Versions(in.getLong("id"), in.getInteger("limit", inputs.defaultLimit("listVersions")),
        cursor == null ? null : VersionCursors.decode(cursor));
  }

  /** {@code recentActivity}: {@code since} or {@code timeframe} (default 24h), not both. */
  public RecentActivity activity(JsonObject in, Instant now) {
    String since = in.getString("since");
    if (since != null && in.containsKey("timeframe")) {
      throw Violations.parameter("invalid_parameter", "since", "Give either since or timeframe, not both.");
    }
    Instant from;
    if (since != null) {
      try {
        from = Timestamps.parse(since);
      } catch (Timestamps.InvalidTimestamp e) {
        throw Violations.parameter("invalid_parameter", "since", "since " + e.getMessage() + ".");
      }
    } else {
      from = now.minus(Timeframes.of(in.getString("timeframe", Timeframes.DEFAULT)));
    }
    JsonArray types = in.getJsonArray("types");
    return new RecentActivity(Inputs.workspace(in, "workspace", null), from,
        in.getInteger("limit", inputs.defaultLimit("recentActivity")),
        types == null || types.isEmpty() ? null : types.stream().map(String.class::cast).distinct().toList());
  }

  public WorkspaceList workspaces(JsonObject in) {
    return new WorkspaceList(in.getInteger("limit", inputs.defaultLimit("listWorkspaces")));
  }

  public WorkspaceStats workspace(JsonObject in, String name) {
    return new WorkspaceStats(Inputs.workspace(in, name, null));
  }

  public MoveWorkspace move(JsonObject in) {
    return new MoveWorkspace(in.getLong("id"), Inputs.workspace(in, "workspace", null));
  }

  /** {@code link}: two different memories; strength 1 by default. */
  public Link link(JsonObject in) {
    long from = in.getLong("from_id");
    long to = in.getLong("to_id");
    if (from == to) {
      throw Violations.withPointer("invalid_field", "A memory cannot be linked to itself (from_id equals to_id).",
          "/to_id");
    }
    return new Link(from, to, EdgeTypes.normalize(in.getString("edge_type")), in.getDouble("strength", 1.0),
        in.getString("source_context"));
  }

  /** {@code unlink}: both ends are required, whether given as parameters or as a body. */
  public Unlink unlink(JsonObject in, boolean asParameters) {
    for (String end : List.of("from_id", "to_id")) {
      if (!in.containsKey(end)) {
        throw asParameters ? Violations.parameter("missing_parameter", end, "Query parameter '" + end + "' is required.")
            : Violations.withPointer("missing_field", "Field '" + end + "' is required.", "/" + end);
      }
    }
    return new Unlink(in.getLong("from_id"), in.getLong("to_id"), EdgeTypes.normalize(in.getString("edge_type")));
  }

  public Related related(JsonObject in) {
    String edgeType = in.getString("edge_type");
    return new Related(in.getLong("id"), edgeType == null ? null : EdgeTypes.normalize(edgeType),
        in.getInteger("limit", inputs.defaultLimit("listRelated")));
  }
}
