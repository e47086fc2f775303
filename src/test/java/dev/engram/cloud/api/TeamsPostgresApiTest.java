package dev.engram.cloud.api;

import dev.engram.cloud.testing.Commands;
import dev.engram.cloud.testing.TestPostgres;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/** {@link TeamsApiTest} with the control plane in PostgreSQL; {@code audit verify} reads DATABASE_URL as the server. */
class TeamsPostgresApiTest extends TeamsApiTest {

  private final TestPostgres.Database db = TestPostgres.newDatabase();

  @Override
  JsonObject overrides() {
    return TestServer.withPostgres(db);
  }

  @Override
  Commands.Outcome verify() {
    return Commands.audit(List.of("verify"), Map.of("DATABASE_URL", db.appUrl(), "DATABASE_MIGRATION_URL",
        db.ownerUrl(), "ENGRAM_PUBLIC_URL", "https://engram.example.com"));
  }

  /** As a superuser: no role the server has may change the log. */
  @Override
  void editAuditEntry(long id) {
    TestPostgres.asSuperuser(db, "UPDATE engram.audit_log SET actor = 'someone-else' WHERE id = " + id);
  }
}
