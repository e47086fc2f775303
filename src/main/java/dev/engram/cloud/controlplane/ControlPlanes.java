package dev.engram.cloud.controlplane;

import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.controlplane.pg.PgControlPlane;
import dev.engram.cloud.controlplane.sqlite.SqliteControlPlane;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the control plane the configuration names, for the server and for the command-line tools alike. */
public final class ControlPlanes {

  private ControlPlanes() {}

  /** PostgreSQL when DATABASE_URL is set (migrated with DATABASE_MIGRATION_URL), else the embedded SQLite file. */
  public static Future<ControlPlane> open(Vertx vertx, EngramConfig config) {
    EngramConfig.Database db = config.database();
    if (db.postgres()) {
      return PgControlPlane.open(vertx, db.url(), db.migrationUrl(), db.poolSize(), db.allowPrivilegedRole());
    }
    return SqliteControlPlane.open(vertx, sqliteFile(config));
  }

  /** Like {@link #open}, but never makes a new embedded file: for tools that inspect an existing server's data. */
  public static Future<ControlPlane> openExisting(Vertx vertx, EngramConfig config) {
    if (!config.database().postgres() && !Files.isRegularFile(sqliteFile(config))) {
      return Future.failedFuture(new IllegalStateException("no control plane at " + sqliteFile(config)
          + " (pass the server's --data-dir, or set DATABASE_URL)"));
    }
    return open(vertx, config);
  }

  private static Path sqliteFile(EngramConfig config) {
    return config.dataDir().resolve("control.db");
  }
}
