package dev.engram.cloud.engine;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.engine.EngineMessages.CreateBlock;
import dev.engram.cloud.engine.EngineMessages.EditBlock;
import dev.engram.cloud.engine.EngineMessages.GetBlock;
import dev.engram.cloud.engine.EngineMessages.ListBlocks;
import dev.engram.cloud.engine.EngineReplies.Block;
import dev.engram.cloud.engine.EngineReplies.BlockList;
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
import java.util.List;

import static dev.engram.cloud.engine.MemoryStore.bind;

/**
 * The SQL of memory blocks (table {@code memory_blocks}), on its {@link MemoryStore}'s connection: small named texts
 * keyed by (workspace, type, label), each edit a new version kept in {@code memory_block_versions}.
 */
final class BlockStore {

  /** A listing answers at most this many blocks (they are meant to be few: all of them go into every prompt). */
  static final int MAX_LISTED = 100;
  private static final String COLUMNS = "id, workspace, block_type, label, content, max_tokens, version, created_at,"
      + " updated_at";

  private final PreparedStatement select;
  private final PreparedStatement list;
  private final PreparedStatement insert;
  private final PreparedStatement update;
  private final PreparedStatement insertVersion;

  BlockStore(Connection conn) throws SQLException {
    select = conn.prepareStatement("SELECT " + COLUMNS + " FROM memory_blocks WHERE workspace = ?1 AND block_type = ?2"
        + " AND label = ?3");
    list = conn.prepareStatement("SELECT " + COLUMNS + " FROM memory_blocks WHERE (?1 IS NULL OR workspace = ?1)"
        + " AND (?2 IS NULL OR block_type = ?2) AND (?3 IS NULL OR workspace IN (SELECT value FROM json_each(?3)))"
        + " ORDER BY workspace, block_type, label LIMIT ?4");
    insert = conn.prepareStatement("INSERT INTO memory_blocks (workspace, block_type, label, content, max_tokens,"
        + " version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT DO NOTHING",
        Statement.RETURN_GENERATED_KEYS);
    update = conn.prepareStatement("UPDATE memory_blocks SET content = ?2, version = version + 1, updated_at = ?3"
        + " WHERE id = ?1");
    insertVersion = conn.prepareStatement("INSERT INTO memory_block_versions (block_id, version, content, reason,"
        + " created_at) VALUES (?, ?, ?, ?, ?)");
  }

  Block get(GetBlock g) throws SQLException {
    Block block = find(g.workspace(), g.blockType(), g.label());
    if (block == null) throw notFound(g.workspace(), g.blockType(), g.label());
    return block;
  }

  BlockList list(ListBlocks l) throws SQLException {
    String within = l.within() == null ? null : new JsonArray(new ArrayList<>(l.within())).encode();
    List<Block> out = new ArrayList<>();
    boolean truncated = false;
    try (ResultSet rs = bind(list, l.workspace(), l.blockType(), within, MAX_LISTED + 1).executeQuery()) {
      while (rs.next()) {
        if (out.size() == MAX_LISTED) {
          truncated = true;
          break;
        }
        out.add(block(rs));
      }
    }
    return new BlockList(List.copyOf(out), truncated);
  }

  Block create(CreateBlock c, Instant now) throws SQLException {
    requireFits(c.content(), c.maxTokens());
    String at = Timestamps.format(now);
    bind(insert, c.workspace(), c.blockType(), c.label(), c.content(), c.maxTokens(), at, at);
    if (insert.executeUpdate() == 0) {
      throw new ApiException(409, "block_exists", "A block of type '" + c.blockType() + "' labelled '" + c.label()
          + "' exists in workspace '" + c.workspace() + "'; edit it instead.",
          new JsonObject().put("pointer", "/label"));
    }
    long id;
    try (ResultSet keys = insert.getGeneratedKeys()) {
      keys.next();
      id = keys.getLong(1);
    }
    bind(insertVersion, id, 1, c.content(), null, at).executeUpdate();
    return new Block(id, c.workspace(), c.blockType(), c.label(), c.content(), c.maxTokens(), 1, at, at);
  }

  Block edit(EditBlock e, Instant now) throws SQLException {
    Block current = find(e.workspace(), e.blockType(), e.label());
    if (current == null) throw notFound(e.workspace(), e.blockType(), e.label());
    requireFits(e.content(), current.maxTokens());
    String at = Timestamps.format(now);
    bind(update, current.id(), e.content(), at).executeUpdate();
    int version = current.version() + 1;
    bind(insertVersion, current.id(), version, e.content(), e.reason(), at).executeUpdate();
    return new Block(current.id(), current.workspace(), current.blockType(), current.label(), e.content(),
        current.maxTokens(), version, current.createdAt(), at);
  }

  private Block find(String workspace, String blockType, String label) throws SQLException {
    try (ResultSet rs = bind(select, workspace, blockType, label).executeQuery()) {
      return rs.next() ? block(rs) : null;
    }
  }

  private static void requireFits(String content, int maxTokens) {
    int tokens = dev.engram.cloud.context.Tokens.estimate(content);
    if (tokens > maxTokens) {
      throw new ApiException(400, "block_too_large", "The content is about " + tokens + " tokens; this block holds "
          + "at most " + maxTokens + " (max_tokens).", new JsonObject().put("pointer", "/content")
          .put("tokens", tokens).put("max_tokens", maxTokens));
    }
  }

  private static ApiException notFound(String workspace, String blockType, String label) {
    return ApiException.notFound("No block of type '" + blockType + "' labelled '" + label + "' in workspace '"
        + workspace + "'.");
  }

  private static Block block(ResultSet rs) throws SQLException {
    return new Block(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getInt(6),
        rs.getInt(7), rs.getString(8), rs.getString(9));
  }
}
