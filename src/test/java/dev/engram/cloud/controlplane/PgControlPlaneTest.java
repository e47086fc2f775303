package dev.engram.cloud.controlplane;

import dev.engram.cloud.controlplane.pg.PgControlPlane;
import dev.engram.cloud.testing.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** The contract on the production store: PostgreSQL as the application role, migrated by the owner role. */
class PgControlPlaneTest extends ControlPlaneContract {

  @Override
  protected Future<ControlPlane> open(Vertx vertx) {
    TestPostgres.Database db = TestPostgres.newDatabase();
    return PgControlPlane.open(vertx, db.appUrl(), db.ownerUrl(), 4, false);
  }
}
