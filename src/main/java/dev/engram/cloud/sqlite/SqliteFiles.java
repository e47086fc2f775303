package dev.engram.cloud.sqlite;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Opens SQLite files with the server pragmas and applies versioned migrations from the classpath. */
public final class SqliteFiles {

  private SqliteFiles() {}

  /**
   * Opens (creating if needed) a database in WAL mode with {@code synchronous=NORMAL}: a commit survives a
   * process crash (kill -9); only an OS crash or power loss can roll back the last commits.
   */
  public static Connection open(Path file) throws SQLException {
    try {
      Files.createDirectories(file.getParent());
    } catch (IOException e) {
      throw new SQLException("cannot create directory for " + file, e);
    }
    Connection conn = DriverManager.getConnection("jdbc:sqlite:" + file);
    try (Statement s = conn.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=NORMAL");
      s.execute("PRAGMA busy_timeout=5000");
      s.execute("PRAGMA foreign_keys=ON");
      s.execute("PRAGMA temp_store=MEMORY");
      s.execute("PRAGMA cache_size=-16000");
      s.execute("PRAGMA journal_size_limit=67108864");
    }
    return conn;
  }

  /**
   * Applies {@code /db/<set>/V<n>.sql} for every n above the database's {@code user_version}, each in its
   * own transaction together with the version bump. Foreign keys are off meanwhile, so a migration can rebuild a
   * referenced table (SQLite's documented way to change a column); each must leave no dangling reference.
   */
  public static void migrate(Connection conn, String set) throws SQLException {
    int current;
    try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
      current = rs.next() ? rs.getInt(1) : 0;
    }
    boolean autoCommit = conn.getAutoCommit();
    try (Statement s = conn.createStatement()) {
      s.execute("PRAGMA foreign_keys=OFF"); // no effect inside a transaction: set before the first one
    }
    conn.setAutoCommit(false);
    try {
      for (int v = current + 1; ; v++) {
        String sql = resource("/db/" + set + "/V" + v + ".sql");
        if (sql == null) break;
        try (Statement s = conn.createStatement()) {
          s.executeUpdate(sql);
          try (ResultSet dangling = s.executeQuery("PRAGMA foreign_key_check")) {
            if (dangling.next()) throw new SQLException("leaves a dangling reference in " + dangling.getString(1));
          }
          s.execute("PRAGMA user_version=" + v);
          conn.commit();
        } catch (SQLException e) {
          conn.rollback();
          throw new SQLException("migration " + set + "/V" + v + " failed: " + e.getMessage(), e);
        }
      }
    } finally {
      conn.setAutoCommit(autoCommit);
      try (Statement s = conn.createStatement()) {
        s.execute("PRAGMA foreign_keys=ON");
      }
    }
  }

  private static String resource(String path) {
    try (InputStream in = SqliteFiles.class.getResourceAsStream(path)) {
      return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + path, e);
    }
  }
}
