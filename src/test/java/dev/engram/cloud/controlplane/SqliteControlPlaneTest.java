package dev.engram.cloud.controlplane;

import dev.engram.cloud.controlplane.sqlite.SqliteControlPlane;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The contract on the embedded default: {@code data/control.db}. */
class SqliteControlPlaneTest extends ControlPlaneContract {

  @TempDir
  Path dir;

  @Override
  protected Future<ControlPlane> open(Vertx vertx) {
    return SqliteControlPlane.open(vertx, dir.resolve("control.db"));
  }

  @Override
  protected void byHand(String sql) throws Exception {
    try (Connection conn = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("control.db"));
         Statement s = conn.createStatement()) {
      s.execute("PRAGMA busy_timeout=5000");
      s.executeUpdate(sql);
    }
  }

  @Test
  void accounts_made_before_external_identities_keep_their_members_and_keys() throws Exception {
    Path file = dir.resolve("v1.db");
    try (Connection conn = DriverManager.getConnection("jdbc:sqlite:" + file);
         Statement s = conn.createStatement();
         InputStream v1 = getClass().getResourceAsStream("/db/control/V1.sql")) {
      s.execute("PRAGMA foreign_keys=ON");
      s.executeUpdate(new String(v1.readAllBytes(), StandardCharsets.UTF_8));
      s.execute("PRAGMA user_version=1");
      s.executeUpdate("""
          INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('tn_old', 'Old', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
          INSERT INTO users (id, email, password_hash, created_at) VALUES ('usr_old', 'old@example.com', 'h', '2026-01-01T00:00:00Z');
          INSERT INTO tenant_members (tenant_id, user_id, role, created_at) VALUES ('tn_old', 'usr_old', 'owner', '2026-01-01T00:00:00Z');
          INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, scopes, created_at)
            VALUES ('key_old', 'tn_old', 'default', 'ek_live_abcd', 'old-hash', '["admin"]', '2026-01-01T00:00:00Z');""");
    }
    ControlPlane migrated = await(SqliteControlPlane.open(vertx, file));
    try {
      UserLogin login = await(migrated.findLogin("OLD@example.com")).orElseThrow();
      assertEquals(List.of(new Membership("tn_old", "tn-old", "owner", "active", List.of())), login.memberships());
      assertEquals("key_old", await(migrated.findApiKeyByHash("old-hash")).orElseThrow().id());
    } finally {
      await(migrated.close());
    }
  }
}
