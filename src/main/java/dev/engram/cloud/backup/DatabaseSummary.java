package dev.engram.cloud.backup;

import dev.engram.cloud.engine.ChangePosition;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What verification checks of a database file, and what a manifest records of it: SQLite's integrity check, the
 * FTS5 index's own check when the schema still has one (a snapshot from before tenant migration V4), the schema
 * version, every table's row count, and a SHA-256 over the memories' contents in id order. Computed when a snapshot
 * is taken and again on every restore. The keyword index is not in the file: the engine rebuilds it from the rows.
 */
record DatabaseSummary(int schemaVersion, Map<String, Long> rowCounts, String contentSha256, boolean ftsChecked,
                       ChangePosition position) {

  long memoryCount() {
    return rowCounts.getOrDefault("memories", 0L);
  }

  /** Checks and summarizes a database file that nothing else has open (a snapshot copy, a restored file). */
  static DatabaseSummary of(Path file) throws SQLException {
    try (Connection conn = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      try (Statement s = conn.createStatement()) {
        List<String> problems = new ArrayList<>();
        try (ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
          while (rs.next()) problems.add(rs.getString(1));
        }
        if (!problems.equals(List.of("ok"))) {
          throw new BackupException("integrity check of " + file.getFileName() + " failed: "
              + String.join("; ", problems.subList(0, Math.min(5, problems.size()))));
        }
        boolean fts = false;
        try (ResultSet rs = s.executeQuery("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'memories_fts'")) {
          fts = rs.next();
        }
        if (fts) {
          try {
            s.execute("INSERT INTO memories_fts(memories_fts) VALUES('integrity-check')");
          } catch (SQLException e) {
            throw new BackupException("the full-text index of " + file.getFileName() + " fails its check: "
                + e.getMessage());
          }
        }
        int version;
        try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
          version = rs.next() ? rs.getInt(1) : 0;
        }
        List<String> tables = new ArrayList<>();
        try (ResultSet rs = s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'"
            + " AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")) {
          while (rs.next()) tables.add(rs.getString(1));
        }
        Map<String, Long> counts = new TreeMap<>();
        for (String table : tables) {
          if (table.startsWith("memories_fts") || table.startsWith("memories_words")) continue; // index internals
          try (ResultSet rs = s.executeQuery("SELECT count(*) FROM \"" + table.replace("\"", "\"\"") + "\"")) {
            counts.put(table, rs.next() ? rs.getLong(1) : 0);
          }
        }
        String hash = tables.contains("memories") ? contentHash(s) : null;
        ChangePosition position = tables.contains("search_meta") ? ChangePosition.read(conn) : null;
        return new DatabaseSummary(version, counts, hash, fts, position);
      }
    }
  }

  private static String contentHash(Statement s) throws SQLException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (ResultSet rs = s.executeQuery("SELECT id, content, memory_type, tags, metadata, importance, workspace, tier,"
        + " expires_at, version, created_at, updated_at FROM memories ORDER BY id")) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        for (int i = 1; i <= columns; i++) {
          String value = rs.getString(i);
          sha.update((value == null ? "\u0000" : value).getBytes(StandardCharsets.UTF_8));
          sha.update((byte) 0x1f);
        }
        sha.update((byte) 0x1e);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  JsonObject toJson() {
    JsonObject counts = new JsonObject();
    rowCounts.forEach(counts::put);
    JsonObject json = new JsonObject().put("schema_version", schemaVersion).put("row_counts", counts)
        .put("memory_count", memoryCount()).put("content_sha256", contentSha256).put("fts_checked", ftsChecked);
    if (position != null) {
      json.put("position", new JsonObject().put("generation", position.generation()).put("seq", position.seq())
          .put("at", position.at().toString()));
    }
    return json;
  }

  /** Throws when this (a restored file) differs from what the manifest recorded. */
  void mustMatch(JsonObject manifest, String what) {
    JsonObject expected = manifest.getJsonObject("database");
    List<String> differences = new ArrayList<>();
    if (expected.getInteger("schema_version") != schemaVersion) differences.add("schema version");
    JsonObject counts = expected.getJsonObject("row_counts");
    for (String table : counts.fieldNames()) {
      if (!counts.getLong(table).equals(rowCounts.get(table))) differences.add("rows of " + table);
    }
    if (!java.util.Objects.equals(expected.getString("content_sha256"), contentSha256)) {
      differences.add("content hash");
    }
    if (!differences.isEmpty()) {
      throw new BackupException("verification of " + what + " failed: " + String.join(", ", differences)
          + " differ from its manifest");
    }
  }
}
