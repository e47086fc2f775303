package dev.engram.cloud.engine;

import dev.engram.cloud.model.EdgeTypes;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.engine.EngineMessages.Link;
import dev.engram.cloud.engine.EngineMessages.Related;
import dev.engram.cloud.engine.EngineMessages.Unlink;
import dev.engram.cloud.sqlite.Timestamps;
import dev.engram.cloud.engine.EngineReplies.MemoryLink;
import dev.engram.cloud.engine.EngineReplies.RelatedList;
import dev.engram.cloud.engine.EngineReplies.Unlinked;
import io.vertx.core.json.JsonArray;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.engram.cloud.engine.MemoryStore.LIVE;
import static dev.engram.cloud.engine.MemoryStore.bind;

/**
 * The SQL of links between memories (Engram's crossrefs), on its {@link MemoryStore}'s connection. A link is keyed
 * by (from, to, edge type) and disappears with either memory (foreign-key cascade); a link whose other end has
 * expired is never shown.
 */
final class LinkStore {

  private static final String LINK_COLUMNS = "l.from_id, l.to_id, l.edge_type, l.strength, l.source, l.source_context,"
      + " l.created_at";

  /** {@code ?4}: a JSON array of workspaces the other end must be in, or NULL for any. */
  private static final String OTHER_END_WITHIN = " AND (?4 IS NULL OR m.workspace IN (SELECT value FROM json_each(?4)))";

  private final PreparedStatement liveMemory;
  private final PreparedStatement upsert;
  private final PreparedStatement selectLink;
  private final PreparedStatement delete;
  private final PreparedStatement related;

  LinkStore(Connection conn) throws SQLException {
    liveMemory = conn.prepareStatement("SELECT 1 FROM memories m WHERE m.id = ?2 AND " + LIVE);
    // A second link of the same (from, to, type) replaces strength and context but keeps its creation time.
    upsert = conn.prepareStatement("""
        INSERT INTO memory_links (from_id, to_id, edge_type, strength, source, source_context, created_at)
        VALUES (?, ?, ?, ?, 'manual', ?, ?)
        ON CONFLICT (from_id, to_id, edge_type)
        DO UPDATE SET strength = excluded.strength, source_context = excluded.source_context""");
    selectLink = conn.prepareStatement("SELECT " + LINK_COLUMNS + " FROM memory_links l"
        + " WHERE l.from_id = ? AND l.to_id = ? AND l.edge_type = ?");
    delete = conn.prepareStatement("DELETE FROM memory_links WHERE from_id = ? AND to_id = ? AND edge_type = ?");
    related = conn.prepareStatement(
        "SELECT " + LINK_COLUMNS + ", 'outgoing' AS direction FROM memory_links l JOIN memories m ON m.id = l.to_id"
        + " WHERE l.from_id = ?2 AND " + LIVE + " AND (?3 IS NULL OR l.edge_type = ?3)" + OTHER_END_WITHIN
        + " UNION ALL"
        + " SELECT " + LINK_COLUMNS + ", 'incoming' AS direction FROM memory_links l JOIN memories m ON m.id = l.from_id"
        + " WHERE l.to_id = ?2 AND " + LIVE + " AND (?3 IS NULL OR l.edge_type = ?3)" + OTHER_END_WITHIN
        + " ORDER BY 4 DESC, 7 DESC, 1, 2, 3 LIMIT ?5"); // strength, created_at, then the key: a stable order
  }

  MemoryLink link(Link l, Instant now) throws SQLException {
    String edgeType = EdgeTypes.normalize(l.edgeType());
    if (l.fromId() == l.toId()) {
      throw ApiException.badRequest("invalid_field", "A memory cannot be linked to itself (from_id equals to_id).");
    }
    if (!Double.isFinite(l.strength()) || l.strength() < 0 || l.strength() > 1) {
      throw ApiException.badRequest("invalid_field", "Field 'strength' must be between 0 and 1.");
    }
    String ts = Timestamps.format(now);
    requireLive(l.fromId(), ts);
    requireLive(l.toId(), ts);
    bind(upsert, l.fromId(), l.toId(), edgeType, l.strength(), l.sourceContext(), ts).executeUpdate();
    try (ResultSet rs = bind(selectLink, l.fromId(), l.toId(), edgeType).executeQuery()) {
      rs.next();
      return link(rs, null);
    }
  }

  Unlinked unlink(Unlink u) throws SQLException {
    String edgeType = EdgeTypes.normalize(u.edgeType());
    if (bind(delete, u.fromId(), u.toId(), edgeType).executeUpdate() == 0) {
      throw ApiException.notFound("No " + edgeType + " link from memory " + u.fromId() + " to memory " + u.toId() + ".");
    }
    return new Unlinked();
  }

  /**
   * The {@code limit} strongest links of a live memory in both directions, each with its {@code direction} from that
   * memory; {@code truncated} when there are more.
   */
  RelatedList related(Related r, Instant now) throws SQLException {
    String ts = Timestamps.format(now);
    requireLive(r.id(), ts);
    String edgeType = r.edgeType() == null ? null : EdgeTypes.normalize(r.edgeType());
    String within = r.within() == null ? null : new JsonArray(new java.util.ArrayList<>(r.within())).encode();
    List<MemoryLink> out = new ArrayList<>();
    boolean truncated = false;
    try (ResultSet rs = bind(related, ts, r.id(), edgeType, within, r.limit() + 1).executeQuery()) {
      while (rs.next()) {
        if (out.size() == r.limit()) {
          truncated = true;
          break;
        }
        out.add(link(rs, rs.getString(8)));
      }
    }
    return new RelatedList(r.id(), List.copyOf(out), truncated);
  }

  private void requireLive(long id, String ts) throws SQLException {
    try (ResultSet rs = bind(liveMemory, ts, id).executeQuery()) {
      if (!rs.next()) throw ApiException.notFound("No memory with id " + id + ".");
    }
  }

  private static MemoryLink link(ResultSet rs, String direction) throws SQLException {
    return new MemoryLink(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getDouble(4), rs.getString(5),
        rs.getString(6), rs.getString(7), direction);
  }

}
