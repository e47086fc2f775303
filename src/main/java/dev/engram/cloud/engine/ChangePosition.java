package dev.engram.cloud.engine;

import io.vertx.core.json.JsonObject;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Where a tenant database stands in its change log: the last record committed into it ({@code seq}, at {@code at})
 * in its lineage ({@code generation}). Kept in the database itself and updated in the transaction of each group of
 * writes, so any consistent copy of the file (a snapshot) says exactly which records come after it. A restore starts
 * a new generation: records written after a restore never mix with the old timeline's.
 */
public record ChangePosition(String generation, long seq, Instant at) {

  private static final String KEY = "change_position";
  private static final SecureRandom RANDOM = new SecureRandom();

  public static ChangePosition fresh() {
    byte[] id = new byte[8];
    RANDOM.nextBytes(id);
    return new ChangePosition(HexFormat.of().formatHex(id), 0, Instant.EPOCH);
  }

  public ChangePosition next(Instant now) {
    return new ChangePosition(generation, seq + 1, now);
  }

  /** The database's position, or null when it has none yet (made before backups, or new). */
  public static ChangePosition read(Connection conn) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT value FROM search_meta WHERE key = ?")) {
      ps.setString(1, KEY);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) return null;
        JsonObject json = new JsonObject(rs.getString(1));
        return new ChangePosition(json.getString("generation"), json.getLong("seq"),
            Instant.parse(json.getString("at")));
      }
    }
  }

  static final String WRITE = "INSERT OR REPLACE INTO search_meta (key, value) VALUES ('" + KEY + "', ?)";

  /** Writes the position in the connection's current transaction. */
  public void write(Connection conn) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(WRITE)) {
      write(ps);
    }
  }

  void write(PreparedStatement ps) throws SQLException {
    ps.setString(1, new JsonObject().put("generation", generation).put("seq", seq).put("at", at.toString()).encode());
    ps.executeUpdate();
  }
}
