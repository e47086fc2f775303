package dev.engram.cloud.controlplane.pg;

import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.NewAccount;
import dev.engram.cloud.controlplane.NewApiKey;
import dev.engram.cloud.testing.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.SslMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PgMigrationsTest {

  Vertx vertx;

  @BeforeEach
  void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void close() throws Exception {
    await(vertx.close());
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static List<Integer> versions(String url) throws Exception {
    try (Connection c = TestPostgres.jdbc(url); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT version FROM engram.schema_migrations ORDER BY version")) {
      List<Integer> versions = new ArrayList<>();
      while (rs.next()) versions.add(rs.getInt(1));
      return versions;
    }
  }

  @Test
  void servers_starting_together_apply_each_version_once_and_a_restart_keeps_the_data() throws Exception {
    TestPostgres.Database db = TestPostgres.newDatabase();
    List<Future<ControlPlane>> starting = new ArrayList<>();
    for (int i = 0; i < 3; i++) starting.add(PgControlPlane.open(vertx, db.appUrl(), db.ownerUrl(), 2, false));
    await(Future.all(starting));
    List<Integer> applied = versions(db.ownerUrl());
    assertEquals(1, applied.get(0));
    assertEquals(applied.stream().distinct().toList(), applied, "no version twice");

    NewAccount a = new NewAccount("tn_restart", "T", "usr_restart", "restart@example.com", "h",
        new NewApiKey("key_restart", "tn_restart", "default", "ek_live_r", "hash-restart", List.of("admin"),
            "usr_restart", null));
    await(starting.get(0).result().createAccount(a));
    for (Future<ControlPlane> f : starting) await(f.result().close());

    ControlPlane restarted = await(PgControlPlane.open(vertx, db.appUrl(), db.ownerUrl(), 2, false));
    assertEquals(applied, versions(db.ownerUrl()));
    assertTrue(await(restarted.findApiKeyByHash("hash-restart")).isPresent());
    await(restarted.close());
  }

  @Test
  void without_a_migration_url_the_servers_role_migrates_and_still_works() throws Exception {
    // Development fallback: one role does both (here the owner, which may create the schema).
    TestPostgres.Database db = TestPostgres.newDatabase();
    ControlPlane cp = await(PgControlPlane.open(vertx, db.ownerUrl(), null, 2, false));
    await(cp.ping());
    assertEquals(1, versions(db.ownerUrl()).get(0));
    await(cp.close());
  }

  /**
   * A database at V3 with an account and audit lines: V4 gives the tenant its slug ({@code tn_x} → {@code tn-x}), its
   * keys their member, and keeps the old audit lines ahead of the chain, which then holds.
   */
  @Test
  void tenants_keys_and_audit_lines_made_before_v4_get_slugs_members_and_a_chain_after_them() throws Exception {
    TestPostgres.Database db = TestPostgres.newDatabase();
    try (Connection c = TestPostgres.jdbc(db.ownerUrl()); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("CREATE SCHEMA engram; CREATE TABLE engram.schema_migrations (version integer PRIMARY KEY,"
          + " applied_at timestamptz NOT NULL DEFAULT now()); SET LOCAL search_path = engram, pg_temp");
      for (int v = 1; v <= 3; v++) {
        try (var in = getClass().getResourceAsStream("/db/pg/V" + v + ".sql")) {
          s.execute(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
        s.execute("INSERT INTO engram.schema_migrations (version) VALUES (" + v + ")");
      }
      c.commit();
      s.execute("SELECT set_config('engram.tenant_id', 'tn_old', true)");
      s.execute("INSERT INTO engram.tenants (id, name) VALUES ('tn_old', 'Old')");
      s.execute("SELECT engram.register_user('usr_old', 'old@example.com', 'h')");
      s.execute("SELECT engram.add_member('usr_old', NULL)");
      s.execute("INSERT INTO engram.api_keys (id, tenant_id, name, prefix, key_hash, scopes, created_by) VALUES"
          + " ('key_old', 'tn_old', 'default', 'ek_live_o', 'old-hash', '{admin}', 'key_someone')");
      s.execute("INSERT INTO engram.audit_log (tenant_id, actor, action) VALUES ('tn_old', 'usr_old', 'tenant.created')");
      c.commit();
    }
    ControlPlane cp = await(PgControlPlane.open(vertx, db.appUrl(), db.ownerUrl(), 2, false));
    try {
      assertEquals("tn-old", await(cp.findTenant("tn_old")).orElseThrow().slug());
      var key = await(cp.findApiKeyByHash("old-hash")).orElseThrow();
      assertEquals(List.of("usr_old", "owner", "tn-old"), List.of(key.userId(), key.memberRole(), key.tenantSlug()));
      await(cp.audit(new dev.engram.cloud.controlplane.AuditEntry("tn_old", "usr_old", "after.v4", null, null)));
      var entries = await(cp.auditPage(dev.engram.cloud.controlplane.AuditQuery.chain("tn_old", null, 10))).entries();
      assertEquals(java.util.Arrays.asList(null, 1L), entries.stream().map(e -> e.seq()).toList());
      assertTrue(await(dev.engram.cloud.controlplane.AuditVerifier.verify(cp)).breaks().isEmpty());
    } finally {
      await(cp.close());
    }
  }

  @Test
  void an_unreachable_database_fails_the_start_with_no_password_in_the_message() {
    String url = "postgresql://someone:hunter2secret@127.0.0.1:1/nothing";
    Exception e = assertThrows(Exception.class, () -> await(PgControlPlane.open(vertx, url, null, 2, false)));
    assertFalse(String.valueOf(e.getMessage()).contains("hunter2secret"));
    Exception bad = assertThrows(Exception.class, () -> PgUrls.parse("mysql://u:hunter2secret@h/db"));
    assertFalse(bad.getMessage().contains("hunter2secret"), bad.getMessage());
  }

  @Test
  void sslmode_require_insists_on_tls() throws Exception {
    // The embedded server has TLS off: a require URI must fail to connect rather than fall back to plain text.
    TestPostgres.Database db = TestPostgres.newDatabase();
    Exception e = assertThrows(Exception.class,
        () -> await(PgControlPlane.open(vertx, db.appUrl() + "?sslmode=require", db.ownerUrl() + "?sslmode=require", 2, false)));
    assertTrue(String.valueOf(e.getCause().getMessage()).contains("SSL"), String.valueOf(e.getCause()));
  }

  @Test
  void both_uri_schemes_and_hosted_ssl_modes_are_understood() {
    PgUrls.Target neon = PgUrls.parse(
        "postgres://app:npg_Secret1@ep-cool-name-123456.eu-central-1.aws.neon.tech/neondb?sslmode=require&channel_binding=require");
    assertEquals("ep-cool-name-123456.eu-central-1.aws.neon.tech", neon.options().getHost());
    assertEquals(5432, neon.options().getPort());
    assertEquals("neondb", neon.options().getDatabase());
    assertEquals("app", neon.options().getUser());
    assertEquals(SslMode.REQUIRE, neon.options().getSslMode());
    assertFalse(neon.display().contains("npg_Secret1"));
    assertTrue(neon.options().getSslOptions().getTrustOptions() != null, "TLS set up, checked against system trust");

    PgUrls.Target plain = PgUrls.parse("postgresql://app:pw@localhost:6543/engram");
    assertEquals(6543, plain.options().getPort());
    assertEquals(SslMode.DISABLE, plain.options().getSslMode());

    PgUrls.Target full = PgUrls.parse("postgresql://app:pw@db.example.com/engram?sslmode=verify-full");
    assertEquals("HTTPS", full.options().getSslOptions().getHostnameVerificationAlgorithm());
    assertTrue(full.options().getSslOptions().getTrustOptions() != null, "system trust store");
  }
}
