package dev.engram.cloud.testing;

import io.vertx.pgclient.PgConnectOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * PostgreSQL for tests: one embedded server per JVM (zonky; started on first use, it drops to an unprivileged
 * user by itself when the tests run as root), or the server named by {@code ENGRAM_TEST_PG_URL} (a role that
 * may create roles and databases). It has an owner role and an application role with passwords (SCRAM over TCP,
 * as in production), and {@link #newDatabase()} gives each caller a fresh, empty database owned by the owner.
 */
public final class TestPostgres {

  public static final String OWNER_ROLE = "engram_test_owner";
  public static final String APP_ROLE = "engram_test_app";
  private static final String OWNER_PASSWORD = "owner-secret";
  private static final String APP_PASSWORD = "app-secret";

  /** A fresh database: {@code appUrl} for the server's pool, {@code ownerUrl} for its migrations. */
  public record Database(String name, String appUrl, String ownerUrl) {}

  private static Admin admin;
  private static final List<String> created = new ArrayList<>();
  private static final List<String> roles = new ArrayList<>();

  private TestPostgres() {}

  public static synchronized Database newDatabase() {
    Admin a = admin();
    String name = "engram_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    a.execute("CREATE DATABASE " + name + " OWNER " + OWNER_ROLE);
    // Only the two test roles may connect, as a production database would be set up.
    a.execute("REVOKE ALL ON DATABASE " + name + " FROM PUBLIC");
    a.execute("GRANT CONNECT ON DATABASE " + name + " TO " + APP_ROLE);
    created.add(name);
    return new Database(name, a.url(APP_ROLE, APP_PASSWORD, name), a.url(OWNER_ROLE, OWNER_PASSWORD, name));
  }

  /**
   * A new role of its own, for tests that give the application role unusual memberships without touching the shared
   * test roles: {@code options} as in CREATE ROLE (e.g. {@code "LOGIN"}, {@code "NOLOGIN BYPASSRLS"}); a login role's
   * password is its name. Dropped at exit on an external server.
   */
  public static synchronized String newRole(String options) {
    String name = "engram_test_role_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    admin().execute("CREATE ROLE " + name + " " + options + " PASSWORD '" + name + "'");
    roles.add(name);
    return name;
  }

  /** {@code db}'s URL for a login role made by {@link #newRole}, which may now connect to it. */
  public static synchronized String url(Database db, String role) {
    admin().execute("GRANT CONNECT ON DATABASE " + db.name() + " TO " + role);
    return admin().url(role, role, db.name());
  }

  /** Runs one statement as the server's superuser (e.g. {@code GRANT owner TO app}). */
  public static synchronized void asSuperuser(String sql) {
    admin().execute(sql);
  }

  /** Runs one statement as the superuser inside {@code db} (e.g. a hand edit that row-level security would stop). */
  public static synchronized void asSuperuser(Database db, String sql) {
    admin().execute(db.name(), sql);
  }

  /** A plain JDBC connection (for assertions) as the given URL's role. */
  public static Connection jdbc(String url) throws SQLException {
    PgConnectOptions o = PgConnectOptions.fromUri(url);
    Properties props = new Properties();
    props.setProperty("user", o.getUser());
    props.setProperty("password", o.getPassword());
    return DriverManager.getConnection("jdbc:postgresql://" + o.getHost() + ":" + o.getPort() + "/" + o.getDatabase(),
        props);
  }

  private static synchronized Admin admin() {
    if (admin == null) {
      String external = System.getenv("ENGRAM_TEST_PG_URL");
      admin = external == null || external.isBlank() ? Admin.embedded() : Admin.external(external);
      admin.createRoles();
      Runtime.getRuntime().addShutdownHook(new Thread(TestPostgres::cleanUp, "test-postgres-cleanup"));
    }
    return admin;
  }

  private static synchronized void cleanUp() {
    if (admin.embedded != null) {
      try {
        admin.embedded.close();
      } catch (IOException ignored) {
        // the JVM is exiting; the temp data directory is zonky's to clear
      }
      TestServer.deleteRecursively(admin.configDir);
      return;
    }
    for (String name : created) {
      try {
        admin.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      } catch (RuntimeException ignored) {
        // best effort on a shared external server
      }
    }
    for (String role : roles) {
      try {
        admin.execute("DROP ROLE IF EXISTS " + role);
      } catch (RuntimeException ignored) {
        // best effort: a role that still holds privileges somewhere stays
      }
    }
  }

  /** The superuser side: creates roles and databases. */
  private static final class Admin {
    final EmbeddedPostgres embedded;
    Path configDir;
    final String host;
    final int port;
    final String user;
    final String password;
    final String database;

    Admin(EmbeddedPostgres embedded, String host, int port, String user, String password, String database) {
      this.embedded = embedded;
      this.host = host;
      this.port = port;
      this.user = user;
      this.password = password;
      this.database = database;
    }

    static Admin embedded() {
      try {
        // The superuser "postgres" keeps trust (zonky checks readiness as it, without a password); every
        // other role must authenticate with SCRAM over TCP, so the client's real authentication path runs.
        Path dir = Files.createTempDirectory("engram-test-pg-");
        Path hba = dir.resolve("pg_hba.conf");
        Files.writeString(hba, """
            local all postgres trust
            host  all postgres 127.0.0.1/32 trust
            host  all postgres ::1/128 trust
            local all all scram-sha-256
            host  all all 127.0.0.1/32 scram-sha-256
            host  all all ::1/128 scram-sha-256
            """);
        // Read by the server process, which runs as an unprivileged user when the tests run as root.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(hba, PosixFilePermissions.fromString("rw-r--r--"));
        EmbeddedPostgres pg = EmbeddedPostgres.builder()
            .setServerConfig("hba_file", hba.toString())
            .setServerConfig("password_encryption", "scram-sha-256")
            .setServerConfig("fsync", "off")
            .setServerConfig("synchronous_commit", "off")
            .setServerConfig("full_page_writes", "off")
            .start();
        Admin admin = new Admin(pg, "localhost", pg.getPort(), "postgres", "", "postgres");
        admin.configDir = dir;
        return admin;
      } catch (IOException e) {
        throw new UncheckedIOException("embedded PostgreSQL did not start", e);
      }
    }

    static Admin external(String url) {
      PgConnectOptions o = PgConnectOptions.fromUri(url);
      return new Admin(null, o.getHost(), o.getPort(), o.getUser(), o.getPassword(), o.getDatabase());
    }

    String url(String role, String rolePassword, String db) {
      return "postgresql://" + role + ":" + URLEncoder.encode(rolePassword, StandardCharsets.UTF_8) + "@"
          + host + ":" + port + "/" + db;
    }

    void createRoles() {
      // NOSUPERUSER and NOBYPASSRLS are the defaults; spelled out since the RLS tests rely on them.
      execute(createRole(OWNER_ROLE, OWNER_PASSWORD));
      execute(createRole(APP_ROLE, APP_PASSWORD));
    }

    private static String createRole(String role, String rolePassword) {
      return """
          DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%1$s') THEN
              CREATE ROLE %1$s LOGIN PASSWORD '%2$s' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            END IF;
          END $$""".formatted(role, rolePassword);
    }

    void execute(String sql) {
      execute(database, sql);
    }

    void execute(String db, String sql) {
      Properties props = new Properties();
      props.setProperty("user", user);
      if (password != null && !password.isEmpty()) props.setProperty("password", password);
      try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + db, props);
           Statement s = c.createStatement()) {
        s.execute(sql);
      } catch (SQLException e) {
        throw new IllegalStateException("test PostgreSQL: " + e.getMessage(), e);
      }
    }
  }
}
