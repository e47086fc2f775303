package dev.engram.cloud.sqlite;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** Opens SQLite files with the server pragmas and applies versioned migrations from the classpath. */
public final class SqliteFiles {

  private static final Logger log = LoggerFactory.getLogger(SqliteFiles.class);
  private static final List<String> SUFFIXES = List.of("", "-wal", "-shm");

  private SqliteFiles() {}

  /**
   * Opens (creating if needed) a database in WAL mode with {@code synchronous=NORMAL}: a commit survives a
   * process crash (kill -9); only an OS crash or power loss can roll back the last commits. A new database is
   * private from the start (see {@link PrivateFiles}).
   */
  public static Connection open(Path file) throws SQLException {
    try {
      PrivateFiles.createDirectories(file.getParent());
      // SQLite would create the file 0644 less the umask. Created here first it is 0600, and so are its -wal and
      // -shm, which SQLite creates with the database file's mode; an empty file is an empty database to SQLite.
      PrivateFiles.createFile(file);
    } catch (IOException e) {
      throw new SQLException("cannot create " + file, e);
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
    restrict(file);
    return conn;
  }

  /** Takes the others' permissions off a database made by someone else (a restore, an older version). */
  private static void restrict(Path file) {
    for (String suffix : SUFFIXES) {
      Path path = file.resolveSibling(file.getFileName() + suffix);
      try {
        if (PrivateFiles.restrict(path)) log.warn("{} was open to other users; made it private (owner only)", path);
      } catch (IOException e) {
        log.error("cannot make {} private: {}", path, e.toString());
      }
    }
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
