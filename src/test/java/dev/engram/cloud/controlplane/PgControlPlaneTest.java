package dev.engram.cloud.controlplane;

import dev.engram.cloud.controlplane.pg.PgControlPlane;
import dev.engram.cloud.testing.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** The contract on the production store: PostgreSQL as the application role, migrated by the owner role. */
class PgControlPlaneTest extends ControlPlaneContract {

  private TestPostgres.Database db;

  @Override
  protected Future<ControlPlane> open(Vertx vertx) {
    db = TestPostgres.newDatabase();
    return PgControlPlane.open(vertx, db.appUrl(), db.ownerUrl(), 4, false);
  }

  /** As a superuser: neither the application role nor the owner may change the log (row-level security). */
  @Override
  protected void byHand(String sql) {
    TestPostgres.asSuperuser(db, sql.replace("audit_log", "engram.audit_log"));
  }
}
