package dev.engram.cloud.controlplane.pg;

import dev.engram.cloud.controlplane.Actor;
import dev.engram.cloud.controlplane.AuditEntry;
import dev.engram.cloud.controlplane.BillingAccount;
import dev.engram.cloud.controlplane.BillingChange;
import dev.engram.cloud.controlplane.ApiKeyQuery;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.MemberCap;
import dev.engram.cloud.controlplane.NewAccount;
import dev.engram.cloud.controlplane.NewApiKey;
import dev.engram.cloud.controlplane.NewInvite;
import dev.engram.cloud.controlplane.UsageDay;
import dev.engram.cloud.testing.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proof that row-level security holds the server's own role to one tenant: every query here runs over a plain
 * JDBC connection as the application role, the way a bug or an injected statement in the server would.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PgRowLevelSecurityTest {

  /** Each tenant-owned table and the column that names the tenant. */
  private static final Map<String, String> TENANT_TABLES = Map.ofEntries(
      Map.entry("tenants", "id"), Map.entry("tenant_members", "tenant_id"), Map.entry("workspaces", "tenant_id"),
      Map.entry("api_keys", "tenant_id"), Map.entry("usage_daily", "tenant_id"), Map.entry("usage_events", "tenant_id"),
      Map.entry("billing_accounts", "tenant_id"), Map.entry("billing_events", "tenant_id"),
      Map.entry("meter_reports", "tenant_id"), Map.entry("audit_log", "tenant_id"),
      Map.entry("tenant_invites", "tenant_id"));
  private static final String INSUFFICIENT_PRIVILEGE = "42501";
  private static final LocalDate DAY = LocalDate.of(2026, 11, 24);

  static TestPostgres.Database db;
  static NewAccount a;
  static NewAccount b;

  @BeforeAll
  static void two_tenants_with_rows_in_every_table() throws Exception {
    db = TestPostgres.newDatabase();
    a = account("a");
    b = account("b");
    Vertx vertx = Vertx.vertx();
    try {
      ControlPlane cp = await(PgControlPlane.open(vertx, db.appUrl(), db.ownerUrl(), 2, false));
      for (NewAccount x : List.of(a, b)) {
        await(cp.createAccount(x));
        await(cp.foldUsage("segment-" + x.tenantId(), List.of(new UsageDay(x.tenantId(), DAY, 5, 1, 2))));
        await(cp.audit(new AuditEntry(x.tenantId(), x.userId(), "test.action", null, null)));
        await(cp.createInvite(invite(x, "invited-" + x.tenantId() + "@rls.example.com", "invite-hash-" + x.tenantId(),
            Instant.now().plusSeconds(3600)), new MemberCap(10L, "team"), Actor.of(x.userId())));
        await(cp.applyBillingChange(new BillingChange("evt_" + x.tenantId(), "checkout.session.completed",
            new BillingAccount(x.tenantId(), "cus_" + x.tenantId(), "sub_" + x.tenantId(), "active", "pro", null,
                false, null), "pro")));
        await(cp.claimMeterReport(x.tenantId(), "2026-11", "api_calls", 0, 5, "report-" + x.tenantId()));
      }
      await(cp.close());
    } finally {
      await(vertx.close());
    }
  }

  private static NewAccount account(String name) {
    String tenant = "tn_rls_" + name;
    String user = "usr_rls_" + name;
    return new NewAccount(tenant, "Tenant " + name, user, name + "@rls.example.com", "hash-" + name,
        new NewApiKey("key_rls_" + name, tenant, "default", "ek_live_" + name, "keyhash-" + name, List.of("admin"),
            user, null));
  }

  private static NewInvite invite(NewAccount x, String email, String tokenHash, Instant expires) {
    return new NewInvite("inv_seed_" + x.tenantId(), x.tenantId(), email, "member", List.of(), tokenHash, x.userId(),
        expires);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static Connection app() throws SQLException {
    return TestPostgres.jdbc(db.appUrl());
  }

  /** Opens a transaction that names {@code tenantId}, as the server does. */
  private static Connection appAsTenant(String tenantId) throws SQLException {
    Connection c = app();
    c.setAutoCommit(false);
    try (var ps = c.prepareStatement("SELECT set_config('engram.tenant_id', ?, true)")) {
      ps.setString(1, tenantId);
      ps.execute();
    }
    return c;
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static int update(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      return s.executeUpdate(sql);
    }
  }

  private static void assertRefused(Connection c, String sql) {
    SQLException e = assertThrows(SQLException.class, () -> update(c, sql), sql);
    assertEquals(INSUFFICIENT_PRIVILEGE, e.getSQLState(), sql + ": " + e.getMessage());
  }

  @Test
  void with_no_tenant_set_every_tenant_table_reads_as_empty() throws Exception {
    try (Connection c = app()) {
      for (String table : TENANT_TABLES.keySet()) {
        assertEquals(0, count(c, "SELECT count(*) FROM engram." + table), table);
      }
    }
  }

  @Test
  void a_tenant_sees_its_own_rows_in_every_table_and_only_those() throws Exception {
    try (Connection c = appAsTenant(a.tenantId())) {
      for (var t : TENANT_TABLES.entrySet()) {
        String table = "engram." + t.getKey();
        assertTrue(count(c, "SELECT count(*) FROM " + table) > 0, table);
        assertEquals(0, count(c, "SELECT count(*) FROM " + table + " WHERE " + t.getValue() + " <> '" + a.tenantId() + "'"),
            table);
      }
    }
  }

  @Test
  void naming_another_tenants_ids_by_hand_returns_nothing() throws Exception {
    try (Connection c = appAsTenant(a.tenantId())) {
      for (var t : TENANT_TABLES.entrySet()) {
        assertEquals(0, count(c, "SELECT count(*) FROM engram." + t.getKey()
            + " WHERE " + t.getValue() + " = '" + b.tenantId() + "'"), t.getKey());
      }
      assertEquals(0, count(c, "SELECT count(*) FROM engram.api_keys WHERE id = '" + b.firstKey().id() + "'"));
      assertEquals(0, count(c, "SELECT count(*) FROM engram.tenant_members WHERE user_id = '" + b.userId() + "'"));
    }
  }

  @Test
  void inserts_for_another_tenant_fail() throws Exception {
    String bId = b.tenantId();
    List<String> inserts = List.of(
        "INSERT INTO engram.tenants (id, name) VALUES ('tn_rls_new', 'sneaky')",
        "INSERT INTO engram.workspaces (tenant_id, name) VALUES ('" + bId + "', 'sneaky')",
        "INSERT INTO engram.api_keys (id, tenant_id, name, prefix, key_hash, scopes) VALUES"
            + " ('key_sneaky', '" + bId + "', 'x', 'ek_live_x', 'sneaky-hash', '{admin}')",
        "INSERT INTO engram.usage_daily (tenant_id, day) VALUES ('" + bId + "', '2026-01-01')",
        "INSERT INTO engram.usage_events (segment_id, tenant_id, day, api_calls, memories_created, searches) VALUES"
            + " ('sneaky', '" + bId + "', '2026-01-01', 1, 1, 1)",
        "INSERT INTO engram.billing_events (event_id, tenant_id, type) VALUES ('evt_sneaky', '" + bId + "', 'x')",
        "INSERT INTO engram.audit_log (tenant_id, action) VALUES ('" + bId + "', 'forged')",
        "INSERT INTO engram.tenant_invites (id, tenant_id, email, role, token_hash, expires_at) VALUES"
            + " ('inv_sneaky', '" + bId + "', 'x@example.com', 'admin', 'sneaky', now() + interval '1 day')");
    for (String sql : inserts) {
      try (Connection c = appAsTenant(a.tenantId())) {
        SQLException e = assertThrows(SQLException.class, () -> update(c, sql), sql);
        assertEquals(INSUFFICIENT_PRIVILEGE, e.getSQLState(), sql);
        assertTrue(e.getMessage().contains("row-level security"), "refused by the policy, not a missing grant: " + e);
      }
    }
  }

  @Test
  void a_transaction_naming_one_tenant_cannot_pull_another_tenants_user_in_and_sign_in_stays_put() throws Exception {
    // The forged row of the report: tenant A claims B's user as its owner, with a created_at older than B's own.
    try (Connection c = appAsTenant(a.tenantId())) {
      SQLException forged = assertThrows(SQLException.class, () -> {
        update(c, "INSERT INTO engram.tenant_members (tenant_id, user_id, role, created_at) VALUES ('" + a.tenantId()
            + "', '" + b.userId() + "', 'owner', '2000-01-01')");
        c.commit();
      });
      assertEquals(INSUFFICIENT_PRIVILEGE, forged.getSQLState(), forged.getMessage());
    }
    try (Connection c = appAsTenant(b.tenantId())) {
      assertRefused(c, "UPDATE engram.tenant_members SET created_at = '2000-01-01'");
    }
    try (Connection c = appAsTenant(a.tenantId())) {
      assertEquals(0, update(c, "DELETE FROM engram.tenant_members WHERE tenant_id = '" + b.tenantId() + "'"),
          "a removal stays inside the tenant the transaction names");
      assertRefused(c, "UPDATE engram.tenant_members SET tenant_id = '" + b.tenantId() + "'");
    }

    // The one way in, engram.add_member, refuses every combination a sign-up does not make.
    Map<String, List<String>> refused = new java.util.LinkedHashMap<>();
    refused.put("an existing user into an existing tenant", List.of(
        "SELECT engram.add_member('" + b.userId() + "', NULL)"));
    refused.put("an existing user into a tenant made in this transaction", List.of(
        "INSERT INTO engram.tenants (id, name) VALUES ('tn_rls_fresh', 'fresh')",
        "SELECT engram.add_member('" + b.userId() + "', NULL)"));
    refused.put("a user made in this transaction into an existing tenant", List.of(
        "SELECT engram.register_user('usr_rls_fresh', 'fresh@rls.example.com', 'h')",
        "SELECT engram.add_member('usr_rls_fresh', NULL)"));
    refused.put("an existing tenant touched in this transaction, with a new user", List.of(
        "UPDATE engram.tenants SET plan = 'free'",
        "SELECT engram.register_user('usr_rls_fresh', 'fresh@rls.example.com', 'h')",
        "SELECT engram.add_member('usr_rls_fresh', NULL)"));
    refused.put("an invite, of which there is none", List.of(
        "SELECT engram.add_member('" + b.userId() + "', 'inv_forged')"));
    refused.put("the founding owner twice", List.of(
        "INSERT INTO engram.tenants (id, name) VALUES ('tn_rls_fresh', 'fresh')",
        "SELECT engram.register_user('usr_rls_fresh', 'fresh@rls.example.com', 'h')",
        "SELECT engram.add_member('usr_rls_fresh', NULL)",
        "SELECT engram.register_user('usr_rls_fresh2', 'fresh2@rls.example.com', 'h')",
        "SELECT engram.add_member('usr_rls_fresh2', NULL)"));
    for (var attempt : refused.entrySet()) {
      String tenant = attempt.getValue().get(0).contains("tn_rls_fresh") ? "tn_rls_fresh" : a.tenantId();
      try (Connection c = appAsTenant(tenant)) {
        List<String> steps = attempt.getValue();
        for (String sql : steps.subList(0, steps.size() - 1)) execute(c, sql);
        SQLException e = assertThrows(SQLException.class, () -> execute(c, steps.get(steps.size() - 1)), attempt.getKey());
        assertEquals(INSUFFICIENT_PRIVILEGE, e.getSQLState(), attempt.getKey() + ": " + e.getMessage());
      }
    }
    try (Connection c = appAsTenant(a.tenantId())) {
      assertEquals(0, count(c, "SELECT count(*) FROM engram.tenant_members WHERE user_id <> '" + a.userId() + "'"));
    }

    Vertx vertx = Vertx.vertx();
    try {
      ControlPlane cp = await(PgControlPlane.open(vertx, db.appUrl(), db.ownerUrl(), 2, false));
      assertEquals(b.tenantId(), await(cp.findLogin(b.email())).orElseThrow().memberships().get(0).tenantId(),
          "b still signs in to b");
      await(cp.close());
    } finally {
      await(vertx.close());
    }
  }

  @Test
  void a_sign_up_is_the_founding_owner_of_its_own_new_tenant() throws Exception {
    try (Connection c = appAsTenant("tn_rls_founded")) {
      execute(c, "INSERT INTO engram.tenants (id, name) VALUES ('tn_rls_founded', 'founded')");
      execute(c, "SELECT engram.register_user('usr_rls_founder', 'founder@rls.example.com', 'h')");
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
          "SELECT engram.add_member('usr_rls_founder', NULL)")) {
        rs.next();
        assertEquals("owner", rs.getString(1));
      }
      assertEquals(1, count(c, "SELECT count(*) FROM engram.tenant_members WHERE user_id = 'usr_rls_founder'"
          + " AND role = 'owner' AND created_at = now()"), "created_at is the owner's default, now()");
      c.rollback();
    }
  }

  private static void execute(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Test
  void updates_of_another_tenants_rows_touch_nothing_and_rows_cannot_move_tenant() throws Exception {
    try (Connection c = appAsTenant(a.tenantId())) {
      assertEquals(0, update(c, "UPDATE engram.api_keys SET revoked_at = now() WHERE id = '" + b.firstKey().id() + "'"));
      assertEquals(0, update(c, "UPDATE engram.usage_daily SET api_calls = 999999 WHERE tenant_id = '" + b.tenantId() + "'"));
      c.commit();
    }
    try (Connection c = appAsTenant(a.tenantId())) {
      assertRefused(c, "UPDATE engram.usage_daily SET tenant_id = '" + b.tenantId() + "'");
    }
    try (Connection c = appAsTenant(b.tenantId())) {
      assertEquals(5, count(c, "SELECT api_calls FROM engram.usage_daily"));
      assertEquals(0, count(c, "SELECT count(*) FROM engram.api_keys WHERE revoked_at IS NOT NULL"));
    }
  }

  @Test
  void the_tenant_setting_ends_with_its_transaction() throws Exception {
    try (Connection c = appAsTenant(a.tenantId())) {
      assertTrue(count(c, "SELECT count(*) FROM engram.api_keys") > 0);
      c.commit();
      c.setAutoCommit(true);
      assertEquals(0, count(c, "SELECT count(*) FROM engram.api_keys"), "a pooled connection carries no tenant over");
    }
  }

  @Test
  void the_application_role_owns_nothing_and_cannot_switch_row_security_off() throws Exception {
    try (Connection c = app()) {
      assertEquals(0, count(c, "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolbypassrls)"));
      assertEquals(0, count(c, "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"));
      assertEquals(0, count(c, "SELECT count(*) FROM pg_proc WHERE proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"));
      assertEquals(0, count(c, "SELECT count(*) FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"));
      assertEquals(TENANT_TABLES.size() + 2, count(c, """
          SELECT count(*) FROM pg_class WHERE relnamespace = 'engram'::regnamespace AND relkind = 'r'
            AND relrowsecurity AND relforcerowsecurity"""),
          "every tenant table, users and external_identities: RLS on and forced");

      c.setAutoCommit(false);
      for (String sql : List.of(
          "ALTER TABLE engram.api_keys DISABLE ROW LEVEL SECURITY",
          "ALTER TABLE engram.api_keys NO FORCE ROW LEVEL SECURITY",
          "DROP POLICY tenant_isolation ON engram.api_keys",
          "CREATE POLICY open ON engram.api_keys USING (true)",
          "SET ROLE " + TestPostgres.OWNER_ROLE,
          "CREATE TABLE engram.shadow (id text)",
          "CREATE FUNCTION engram.find_api_key(p text, q text) RETURNS int LANGUAGE sql AS 'SELECT 1'")) {
        c.rollback();
        assertRefused(c, sql);
      }
      c.rollback();
      update(c, "SET row_security = off");
      SQLException e = assertThrows(SQLException.class, () -> count(c, "SELECT count(*) FROM engram.api_keys"));
      assertEquals(INSUFFICIENT_PRIVILEGE, e.getSQLState(), "row_security=off raises instead of bypassing");
    }
  }

  @Test
  void secrets_and_users_are_not_readable_directly() throws Exception {
    try (Connection c = appAsTenant(a.tenantId())) {
      assertRefused(c, "SELECT key_hash FROM engram.api_keys");
    }
    try (Connection c = appAsTenant(a.tenantId())) {
      assertRefused(c, "SELECT email, password_hash FROM engram.users");
    }
    try (Connection c = appAsTenant(a.tenantId())) {
      assertRefused(c, "INSERT INTO engram.users (id, email) VALUES ('usr_x', 'x@example.com')");
    }
    try (Connection c = appAsTenant(a.tenantId())) {
      assertRefused(c, "SELECT * FROM engram.external_identities");
    }
    try (Connection c = appAsTenant(a.tenantId())) {
      assertRefused(c, "INSERT INTO engram.external_identities (issuer, subject, user_id) VALUES ('i', 's', '"
          + b.userId() + "')");
    }
    try (Connection c = appAsTenant(a.tenantId())) {
      assertRefused(c, "SELECT token_hash FROM engram.tenant_invites");
    }
    try (Connection c = appAsTenant(a.tenantId())) {
      assertRefused(c, "UPDATE engram.users SET password_hash = 'x'");
    }
    try (Connection c = appAsTenant(a.tenantId())) {
      assertRefused(c, "UPDATE engram.tenant_invites SET accepted_at = now()");
    }
    try (Connection c = appAsTenant(a.tenantId())) {
      assertEquals(List.of(a.email()), strings(c, "SELECT email FROM engram.users"),
          "a tenant reads its own members' emails, no one else's");
    }
  }

  @Test
  void the_audit_log_is_append_only_for_the_application_role() throws Exception {
    for (String sql : List.of("UPDATE engram.audit_log SET action = 'edited'", "DELETE FROM engram.audit_log",
        "TRUNCATE engram.audit_log")) {
      try (Connection c = appAsTenant(a.tenantId())) {
        assertRefused(c, sql);
      }
    }
    try (Connection c = appAsTenant(a.tenantId())) {
      assertTrue(count(c, "SELECT count(*) FROM engram.audit_log WHERE hash IS NOT NULL") > 0, "chained entries");
    }
  }

  @Test
  void an_invite_lets_exactly_its_invitee_join_once_and_within_the_member_cap() throws Exception {
    String tenant = a.tenantId();
    String user = "usr_rls_invitee";
    String email = "invitee@rls.example.com";
    List<String> setup = List.of(
        "SELECT engram.register_user('" + user + "', '" + email + "', 'h')",
        "INSERT INTO engram.tenant_invites (id, tenant_id, email, role, token_hash, expires_at) VALUES"
            + " ('inv_rls_ok', '" + tenant + "', 'INVITEE@rls.example.com', 'viewer', 'h-ok', now() + interval '1 day')",
        "INSERT INTO engram.tenant_invites (id, tenant_id, email, role, token_hash, expires_at) VALUES"
            + " ('inv_rls_old', '" + tenant + "', '" + email + "', 'admin', 'h-old', now() - interval '1 second')",
        "INSERT INTO engram.tenant_invites (id, tenant_id, email, role, token_hash, expires_at) VALUES"
            + " ('inv_rls_other', '" + tenant + "', 'someone@rls.example.com', 'admin', 'h-other', now() + interval '1 day')");
    Map<String, List<String>> refused = new java.util.LinkedHashMap<>();
    refused.put("without a member cap", List.of("SELECT engram.add_member('" + user + "', 'inv_rls_ok')"));
    refused.put("at the member cap", List.of("SELECT set_config('engram.member_cap', '1', true)",
        "SELECT engram.add_member('" + user + "', 'inv_rls_ok')"));
    refused.put("an expired invite", List.of("SELECT set_config('engram.member_cap', '10', true)",
        "SELECT engram.add_member('" + user + "', 'inv_rls_old')"));
    refused.put("another email's invite", List.of("SELECT set_config('engram.member_cap', '10', true)",
        "SELECT engram.add_member('" + user + "', 'inv_rls_other')"));
    refused.put("another tenant's invite", List.of("SELECT set_config('engram.member_cap', 'unlimited', true)",
        "SELECT engram.add_member('" + user + "', 'inv_seed_" + b.tenantId() + "')"));
    refused.put("the same invite twice", List.of("SELECT set_config('engram.member_cap', 'unlimited', true)",
        "SELECT engram.add_member('" + user + "', 'inv_rls_ok')",
        "SELECT engram.add_member('" + user + "', 'inv_rls_ok')"));
    for (var attempt : refused.entrySet()) {
      try (Connection c = appAsTenant(tenant)) {
        for (String sql : setup) execute(c, sql);
        List<String> steps = attempt.getValue();
        for (String sql : steps.subList(0, steps.size() - 1)) execute(c, sql);
        SQLException e = assertThrows(SQLException.class, () -> execute(c, steps.get(steps.size() - 1)),
            attempt.getKey());
        assertEquals(INSUFFICIENT_PRIVILEGE, e.getSQLState(), attempt.getKey() + ": " + e.getMessage());
      }
    }
    try (Connection c = appAsTenant(tenant)) {
      for (String sql : setup) execute(c, sql);
      execute(c, "SELECT set_config('engram.member_cap', '2', true)");
      assertEquals(List.of("viewer"), strings(c, "SELECT engram.add_member('" + user + "', 'inv_rls_ok')"));
      assertEquals(1, count(c, "SELECT count(*) FROM engram.tenant_members WHERE user_id = '" + user
          + "' AND role = 'viewer' AND created_at = now()"));
      assertEquals(1, count(c, "SELECT count(*) FROM engram.tenant_invites WHERE id = 'inv_rls_ok'"
          + " AND accepted_at IS NOT NULL"));
      c.rollback();
    }
  }

  private static List<String> strings(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      List<String> out = new ArrayList<>();
      while (rs.next()) out.add(rs.getString(1));
      return out;
    }
  }

  @Test
  void an_identity_is_found_only_by_its_exact_issuer_and_subject_and_links_only_a_new_user() throws Exception {
    try (Connection c = app()) {
      count(c, "SELECT count(*) FROM engram.register_external_user('usr_rls_ext', NULL, 'https://issuer.rls', 'sub-1')");
      assertEquals(List.of("user_id", "tenant_id", "tenant_slug", "role", "tenant_status", "workspaces"),
          columns(c, "SELECT * FROM engram.find_identity('https://issuer.rls', 'sub-1')"));
      assertEquals(1, count(c, "SELECT count(*) FROM engram.find_identity('https://issuer.rls', 'sub-1')"));
      for (String probe : List.of("%", "sub-%", "", "' OR true --")) {
        String q = probe.replace("'", "''");
        assertEquals(0, count(c, "SELECT count(*) FROM engram.find_identity('https://issuer.rls', '" + q + "')"), probe);
        assertEquals(0, count(c, "SELECT count(*) FROM engram.find_identity('" + q + "', 'sub-1')"), probe);
      }
    }
    try (Connection c = app()) {
      c.setAutoCommit(false);
      SQLException existing = assertThrows(SQLException.class, () -> count(c,
          "SELECT count(*) FROM engram.register_external_user('" + a.userId() + "', NULL, 'https://issuer.rls', 'sub-2')"));
      assertEquals("23505", existing.getSQLState(), "a subject cannot be linked to an existing user");
      c.rollback();
      SQLException linked = assertThrows(SQLException.class, () -> count(c,
          "SELECT count(*) FROM engram.register_external_user('usr_rls_ext2', NULL, 'https://issuer.rls', 'sub-1')"));
      assertEquals("23505", linked.getSQLState(), "a linked subject is not moved to another user");
    }
  }

  @Test
  void the_definer_functions_answer_exact_questions_with_only_their_columns() throws Exception {
    try (Connection c = app()) {
      assertEquals(List.of("id", "tenant_id", "name", "prefix", "scopes", "created_at", "expires_at", "revoked_at",
          "tenant_status", "user_id", "last_used_at", "rotated_to", "tenant_slug", "member_role", "member_workspaces"),
          columns(c, "SELECT * FROM engram.find_api_key('" + a.firstKey().keyHash() + "')"));
      assertEquals(1, count(c, "SELECT count(*) FROM engram.find_api_key('" + a.firstKey().keyHash() + "')"));
      for (String probe : List.of("%", "keyhash-%", "", "' OR true --")) {
        assertEquals(0, count(c, "SELECT count(*) FROM engram.find_api_key('" + probe.replace("'", "''") + "')"), probe);
        assertEquals(0, count(c, "SELECT count(*) FROM engram.find_login('" + probe.replace("'", "''") + "')"), probe);
      }
      assertEquals(0, count(c, "SELECT count(*) FROM engram.find_api_key(NULL)"));
      assertEquals(List.of("user_id", "email", "password_hash", "token_version", "tenant_id", "tenant_slug", "role",
          "tenant_status", "workspaces"), columns(c, "SELECT * FROM engram.find_login('" + a.email() + "')"));
      for (String probe : List.of("%", "invite-hash-%", "", "' OR true --")) {
        assertEquals(0, count(c, "SELECT count(*) FROM engram.find_invite('" + probe.replace("'", "''") + "')"), probe);
        assertEquals(0, count(c, "SELECT count(*) FROM engram.find_tenant('" + probe.replace("'", "''") + "')"), probe);
      }
      assertEquals(1, count(c, "SELECT count(*) FROM engram.find_invite('invite-hash-" + a.tenantId() + "')"));

      // The overage report's view across tenants: paying subscriptions only, billing columns only.
      assertEquals(List.of("tenant_id", "customer_id", "subscription_id", "status", "plan", "current_period_end",
          "cancel_at_period_end", "past_due_since"), columns(c, "SELECT * FROM engram.paying_billing_accounts()"));
      assertEquals(2, count(c, "SELECT count(*) FROM engram.paying_billing_accounts()"));

      // Each is pinned to its schema, so nothing the caller puts on its search_path is picked up.
      assertEquals(15, count(c, """
          SELECT count(*) FROM pg_proc WHERE pronamespace = 'engram'::regnamespace AND prosecdef
            AND proconfig @> ARRAY['search_path=engram, pg_temp']"""));
    }
    try (Connection c = app()) {
      c.setAutoCommit(false);
      SQLException taken = assertThrows(SQLException.class,
          () -> count(c, "SELECT count(*) FROM engram.register_user('usr_new', '" + a.email().toUpperCase() + "', 'h')"));
      assertEquals("23505", taken.getSQLState(), "an existing email is not overwritten");
      c.rollback();
      SQLException sameId = assertThrows(SQLException.class,
          () -> count(c, "SELECT count(*) FROM engram.register_user('" + a.userId() + "', 'new@example.com', 'h')"));
      assertEquals("23505", sameId.getSQLState(), "an existing user is not overwritten");
    }
  }

  @Test
  void the_server_code_path_sees_the_same_isolation() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      ControlPlane cp = await(PgControlPlane.open(vertx, db.appUrl(), db.ownerUrl(), 2, false));
      assertFalse(await(cp.revokeApiKey(a.tenantId(), b.firstKey().id(), List.of())));
      assertNull(await(cp.findApiKeyByHash(b.firstKey().keyHash())).orElseThrow().revokedAt());
      assertEquals(List.of(b.firstKey().id()), await(cp.listApiKeys(
          new ApiKeyQuery(b.tenantId(), List.of(), 100, null))).keys().stream().map(k -> k.id()).toList());
      await(cp.close());
    } finally {
      await(vertx.close());
    }
  }

  @Test
  void a_wrong_password_is_refused() {
    String wrong = db.appUrl().replace(":app-secret@", ":wrong@");
    assertThrows(SQLException.class, () -> TestPostgres.jdbc(wrong).close());
  }

  private static List<String> columns(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      List<String> names = new ArrayList<>();
      for (int i = 1; i <= md.getColumnCount(); i++) names.add(md.getColumnName(i));
      return names;
    }
  }
}
