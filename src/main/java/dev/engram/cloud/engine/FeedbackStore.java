package dev.engram.cloud.engine;

import dev.engram.cloud.engine.EngineMessages.RecordFeedback;
import dev.engram.cloud.engine.EngineReplies.FeedbackRecorded;
import dev.engram.cloud.engine.EngineReplies.FeedbackSummary;
import dev.engram.cloud.model.Aliases;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static dev.engram.cloud.engine.MemoryStore.LIVE;
import static dev.engram.cloud.engine.MemoryStore.bind;

/**
 * The SQL of marks on search results, on its {@link MemoryStore}'s connection, and the signal ranking reads from
 * them. A memory's signal for a query, in [-1, 1]: {@code net(marks for this query) + net(all its marks) / 2},
 * clamped, where {@code net = (useful - not useful) / (useful + not useful + 1)}; so one mark moves a memory less
 * than several agreeing ones, a mark for the same query (its words) counts twice as much as one for another, and a
 * memory nobody marked has no signal at all.
 */
final class FeedbackStore {

  /** The memories a summary lists, most marked first. */
  static final int TOP = 20;

  private final PreparedStatement insert;
  private final PreparedStatement any;
  private final PreparedStatement counts;
  private final PreparedStatement totals;
  private final PreparedStatement top;

  FeedbackStore(Connection conn) throws SQLException {
    insert = conn.prepareStatement("INSERT INTO search_feedback (memory_id, query, useful, created_at)"
        + " VALUES (?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS);
    any = conn.prepareStatement("SELECT EXISTS (SELECT 1 FROM search_feedback)");
    counts = conn.prepareStatement("SELECT memory_id, sum(useful), sum(1 - useful), sum(useful * (query = ?2)),"
        + " sum((1 - useful) * (query = ?2)) FROM search_feedback"
        + " WHERE memory_id IN (SELECT value FROM json_each(?1)) GROUP BY memory_id");
    String scope = " FROM search_feedback f JOIN memories m ON m.id = f.memory_id WHERE " + LIVE
        + " AND (?2 IS NULL OR m.workspace IN (SELECT value FROM json_each(?2)))";
    totals = conn.prepareStatement("SELECT count(*), coalesce(sum(f.useful), 0), count(DISTINCT f.memory_id)" + scope);
    top = conn.prepareStatement("SELECT f.memory_id, sum(f.useful), sum(1 - f.useful)" + scope
        + " GROUP BY f.memory_id ORDER BY count(*) DESC, f.memory_id DESC LIMIT " + TOP);
  }

  FeedbackRecorded record(RecordFeedback r, Instant now) throws SQLException {
    String at = Timestamps.format(now);
    String query = Aliases.words(r.query());
    bind(insert, r.memoryId(), query, r.useful() ? 1 : 0, at).executeUpdate();
    long id;
    try (ResultSet keys = insert.getGeneratedKeys()) {
      keys.next();
      id = keys.getLong(1);
    }
    return new FeedbackRecorded(id, r.memoryId(), r.query(), r.useful() ? "useful" : "not_useful", at);
  }

  /** Each marked candidate's signal for {@code query}; empty, at the cost of one probe, when nothing is marked. */
  Map<Long, Double> signals(Collection<Long> ids, String query) throws SQLException {
    Map<Long, Double> out = new HashMap<>();
    if (ids.isEmpty()) return out;
    try (ResultSet rs = any.executeQuery()) {
      if (!rs.next() || rs.getInt(1) == 0) return out;
    }
    try (ResultSet rs = bind(counts, new JsonArray(new ArrayList<>(ids)).encode(), Aliases.words(query)).executeQuery()) {
      while (rs.next()) {
        double all = net(rs.getLong(2), rs.getLong(3));
        double same = net(rs.getLong(4), rs.getLong(5));
        out.put(rs.getLong(1), Math.max(-1, Math.min(1, same + all / 2)));
      }
    }
    return out;
  }

  FeedbackSummary summary(Set<String> workspaces, Instant now) throws SQLException {
    String scope = workspaces == null ? null : new JsonArray(new ArrayList<>(workspaces)).encode();
    long total;
    long useful;
    long marked;
    try (ResultSet rs = bind(totals, Timestamps.format(now), scope).executeQuery()) {
      rs.next();
      total = rs.getLong(1);
      useful = rs.getLong(2);
      marked = rs.getLong(3);
    }
    JsonArray memories = new JsonArray();
    try (ResultSet rs = bind(top, Timestamps.format(now), scope).executeQuery()) {
      while (rs.next()) {
        long u = rs.getLong(2);
        long n = rs.getLong(3);
        memories.add(new JsonObject().put("memory_id", rs.getLong(1)).put("useful", u).put("not_useful", n)
            .put("net", net(u, n)));
      }
    }
    return new FeedbackSummary(total, useful, total - useful, marked, memories);
  }

  private static double net(long useful, long notUseful) {
    return (double) (useful - notUseful) / (useful + notUseful + 1);
  }
}
