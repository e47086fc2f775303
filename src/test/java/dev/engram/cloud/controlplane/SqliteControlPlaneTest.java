package dev.engram.cloud.controlplane;

import dev.engram.cloud.controlplane.sqlite.SqliteControlPlane;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The contract on the embedded default: {@code data/control.db}. */
class SqliteControlPlaneTest extends ControlPlaneContract {

  @TempDir
  Path dir;

  @Override
  protected Future<ControlPlane> open(Vertx vertx) {
    return SqliteControlPlane.open(vertx, dir.resolve("control.db"));
  }
}
