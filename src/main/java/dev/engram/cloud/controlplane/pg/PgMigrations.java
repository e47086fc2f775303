package dev.engram.cloud.controlplane.pg;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * Applies {@code db/pg/V<n>.sql} in order, each in its own transaction recorded in
 * {@code engram.schema_migrations}, then {@code db/pg/grants.sql} for the application role.
 * Every transaction first takes one transaction-level advisory lock, so servers starting together apply each
 * version once; transaction-level (not session) locks also work through a transaction-pooling proxy.
 */
final class PgMigrations {

  private static final Logger log = LoggerFactory.getLogger(PgMigrations.class);
  /** Arbitrary, fixed: "engram" in ASCII. */
  private static final long LOCK_KEY = 0x656e6772616dL;

  private PgMigrations() {}

  /** @param appRole the role to grant to, or null when the application itself runs the migrations */
  static Future<Void> apply(Pool pool, String appRole) {
    return locked(pool, conn -> conn.query("""
            SET LOCAL client_min_messages = warning;
            CREATE SCHEMA IF NOT EXISTS engram;
            CREATE TABLE IF NOT EXISTS engram.schema_migrations (
              version     integer PRIMARY KEY,
              applied_at  timestamptz NOT NULL DEFAULT now()
            )""").execute().mapEmpty())
        .compose(v -> applyFrom(pool, 1))
        .compose(v -> appRole == null ? Future.succeededFuture()
            : locked(pool, conn -> conn.query(script("grants.sql").replace("{app}", quoteIdentifier(appRole)))
                .execute().mapEmpty()));
  }

  private static Future<Void> applyFrom(Pool pool, int version) {
    String sql = scriptOrNull("V" + version + ".sql");
    if (sql == null) return Future.succeededFuture();
    return locked(pool, conn -> conn.preparedQuery("SELECT 1 FROM engram.schema_migrations WHERE version = $1")
        .execute(Tuple.of(version))
        .compose(rows -> {
          if (rows.size() > 0) return Future.succeededFuture();
          log.info("control plane: applying PostgreSQL migration V{}", version);
          return conn.query("SET LOCAL search_path = engram, pg_temp").execute()
              .compose(r -> conn.query(sql).execute())
              .compose(r -> conn.preparedQuery("INSERT INTO engram.schema_migrations (version) VALUES ($1)")
                  .execute(Tuple.of(version)))
              .mapEmpty();
        }))
        .compose(v -> applyFrom(pool, version + 1));
  }

  private static Future<Void> locked(Pool pool, Function<SqlConnection, Future<Void>> work) {
    return pool.withTransaction(conn -> conn.preparedQuery("SELECT pg_advisory_xact_lock($1)")
        .execute(Tuple.of(LOCK_KEY))
        .compose(r -> work.apply(conn)));
  }

  static String quoteIdentifier(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
  }

  private static String script(String name) {
    String sql = scriptOrNull(name);
    if (sql == null) throw new IllegalStateException("db/pg/" + name + " is missing from the classpath");
    return sql;
  }

  private static String scriptOrNull(String name) {
    try (InputStream in = PgMigrations.class.getResourceAsStream("/db/pg/" + name)) {
      return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
