package dev.engram.cloud.controlplane.sqlite;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.controlplane.ApiKeyPage;
import dev.engram.cloud.controlplane.ApiKeyQuery;
import dev.engram.cloud.controlplane.ApiKeyRecord;
import dev.engram.cloud.controlplane.AuditEntry;
import dev.engram.cloud.controlplane.BillingAccount;
import dev.engram.cloud.controlplane.BillingChange;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.ExternalIdentity;
import dev.engram.cloud.controlplane.ExternalIdentity.Membership;
import dev.engram.cloud.controlplane.MeterReport;
import dev.engram.cloud.controlplane.NewAccount;
import dev.engram.cloud.controlplane.NewApiKey;
import dev.engram.cloud.controlplane.UsageDay;
import dev.engram.cloud.controlplane.UserLogin;
import dev.engram.cloud.sqlite.SqliteFiles;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Control plane in {@code data/control.db}. One connection, used by one worker thread at a time: the
 * hot lookups (API keys) are cached by the auth layer, so this never sits on the request path at load.
 */
public final class SqliteControlPlane implements ControlPlane {

  private final WorkerExecutor executor;
  private final Connection conn;

  private SqliteControlPlane(WorkerExecutor executor, Connection conn) {
    this.executor = executor;
    this.conn = conn;
  }

  public static Future<ControlPlane> open(Vertx vertx, Path file) {
    WorkerExecutor executor = vertx.createSharedWorkerExecutor("engram-control-plane", 1);
    return executor.executeBlocking(() -> {
      Connection conn = SqliteFiles.open(file);
      SqliteFiles.migrate(conn, "control");
      return (ControlPlane) new SqliteControlPlane(executor, conn);
    });
  }

  private <T> Future<T> run(Callable<T> work) {
    return executor.executeBlocking(work, true);
  }

  private <T> Future<T> inTransaction(Callable<T> work) {
    return run(() -> {
      conn.setAutoCommit(false);
      try {
        T result = work.call();
        conn.commit();
        return result;
      } catch (Exception e) {
        conn.rollback();
        throw e;
      } finally {
        conn.setAutoCommit(true);
      }
    });
  }

  @Override
  public Future<Void> createAccount(NewAccount a) {
    return inTransaction(() -> {
      insertAccount(a, Timestamps.now());
      return null;
    });
  }

  /**
   * A verified email is first taken from a password account that holds it (the rule of db/pg/V3.sql's
   * release_unverified_email), audited in that account's tenants and in the new one.
   */
  @Override
  public Future<Void> createAccountWithIdentity(NewAccount a, String issuer, String subject) {
    return inTransaction(() -> {
      String now = Timestamps.now();
      String released = releaseUnverifiedEmail(a.email(), issuer, now);
      insertAccount(a, now);
      try (PreparedStatement ps = conn.prepareStatement(
          "INSERT INTO external_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)")) {
        bind(ps, issuer, subject, a.userId(), now).executeUpdate();
      } catch (SQLiteException e) {
        if (e.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY
            || e.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE) {
          throw new ApiException(409, "identity_taken", "This identity already has an account.");
        }
        throw e;
      }
      if (released != null) {
        insertAudit(new AuditEntry(a.tenantId(), a.userId(), "user.email_claimed", a.userId(),
            new JsonObject().put("released_from", released)), now);
      }
      return null;
    });
  }

  /**
   * Takes {@code email} from the user who signed up with it and a password and has no external identity; audits it
   * in that user's tenants. Returns that user's id, or null. Call inside a transaction.
   */
  private String releaseUnverifiedEmail(String email, String issuer, String now) throws SQLException {
    if (email == null) return null;
    String userId;
    try (PreparedStatement ps = conn.prepareStatement("""
        SELECT u.id FROM users u
        WHERE u.email = ? AND u.password_hash IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM external_identities i WHERE i.user_id = u.id)""")) {
      ResultSet rs = bind(ps, email).executeQuery();
      if (!rs.next()) return null;
      userId = rs.getString(1);
    }
    try (PreparedStatement ps = conn.prepareStatement("UPDATE users SET email = NULL WHERE id = ?")) {
      bind(ps, userId).executeUpdate();
    }
    List<String> tenants = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement("SELECT tenant_id FROM tenant_members WHERE user_id = ?")) {
      ResultSet rs = bind(ps, userId).executeQuery();
      while (rs.next()) tenants.add(rs.getString(1));
    }
    for (String tenant : tenants) {
      insertAudit(new AuditEntry(tenant, null, "user.email_released", userId, new JsonObject()
          .put("reason", "claimed by a verified external identity").put("issuer", issuer)), now);
    }
    return userId;
  }

  /** The tenant, its owner, the default workspace, the first key and an audit line; call inside a transaction. */
  private void insertAccount(NewAccount a, String now) throws SQLException {
    try (PreparedStatement tenant = conn.prepareStatement(
            "INSERT INTO tenants (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)");
         PreparedStatement user = conn.prepareStatement(
             "INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)");
         PreparedStatement member = conn.prepareStatement(
             "INSERT INTO tenant_members (tenant_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)");
         PreparedStatement workspace = conn.prepareStatement(
             "INSERT INTO workspaces (tenant_id, name, created_at) VALUES (?, 'default', ?)")) {
      bind(tenant, a.tenantId(), a.tenantName(), now, now).executeUpdate();
      try {
        bind(user, a.userId(), a.email(), a.passwordHash(), now).executeUpdate();
      } catch (SQLiteException e) {
        if (e.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE) {
          throw new ApiException(409, "email_taken", "An account with this email already exists.");
        }
        throw e;
      }
      bind(member, a.tenantId(), a.userId(), now).executeUpdate();
      bind(workspace, a.tenantId(), now).executeUpdate();
      insertKey(a.firstKey(), now);
      insertAudit(new AuditEntry(a.tenantId(), a.userId(), "tenant.created", a.tenantId(), null), now);
    }
  }

  @Override
  public Future<Optional<ExternalIdentity>> findIdentity(String issuer, String subject) {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement("""
          SELECT i.user_id, m.tenant_id, m.role, t.status
          FROM external_identities i
          LEFT JOIN tenant_members m ON m.user_id = i.user_id
          LEFT JOIN tenants t ON t.id = m.tenant_id
          WHERE i.issuer = ? AND i.subject = ?
          ORDER BY m.created_at, m.tenant_id""")) {
        ResultSet rs = bind(ps, issuer, subject).executeQuery();
        String userId = null;
        List<Membership> memberships = new ArrayList<>();
        while (rs.next()) {
          userId = rs.getString(1);
          if (rs.getString(2) != null) memberships.add(new Membership(rs.getString(2), rs.getString(3), rs.getString(4)));
        }
        return userId == null ? Optional.empty() : Optional.of(new ExternalIdentity(userId, List.copyOf(memberships)));
      }
    });
  }

  @Override
  public Future<Optional<UserLogin>> findLogin(String email) {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement("""
          SELECT u.id, u.email, u.password_hash, m.tenant_id, m.role, t.status
          FROM users u
          JOIN tenant_members m ON m.user_id = u.id
          JOIN tenants t ON t.id = m.tenant_id
          WHERE u.email = ?
          ORDER BY m.created_at, m.tenant_id
          LIMIT 1""")) {
        ResultSet rs = bind(ps, email).executeQuery();
        if (!rs.next()) return Optional.empty();
        return Optional.of(new UserLogin(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
            rs.getString(5), rs.getString(6)));
      }
    });
  }

  @Override
  public Future<Optional<ApiKeyRecord>> findApiKeyByHash(String keyHash) {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement(KEY_COLUMNS + " WHERE k.key_hash = ?")) {
        ResultSet rs = bind(ps, keyHash).executeQuery();
        return rs.next() ? Optional.of(keyRecord(rs)) : Optional.empty();
      }
    });
  }

  @Override
  public Future<Void> insertApiKey(NewApiKey key, int maxActive) {
    // One connection on one thread: the count and the insert cannot interleave with another key's.
    return inTransaction(() -> {
      String now = Timestamps.now();
      try (PreparedStatement ps = conn.prepareStatement("""
          SELECT count(*) FROM api_keys
          WHERE tenant_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)""")) {
        ResultSet rs = bind(ps, key.tenantId(), now).executeQuery();
        if (rs.next() && rs.getLong(1) >= maxActive) throw ControlPlane.tooManyApiKeys(maxActive);
      }
      insertKey(key, now);
      insertAudit(new AuditEntry(key.tenantId(), key.createdBy(), "api_key.created", key.id(), null), now);
      return null;
    });
  }

  @Override
  public Future<ApiKeyPage> listApiKeys(ApiKeyQuery q) {
    // Insertion order: rowid breaks same-millisecond ties, and the cursor key's own (created_at, rowid) resumes it.
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement(LIST_KEYS)) {
        String workspaces = q.workspaces().isEmpty() ? null : new JsonArray(q.workspaces()).encode();
        ResultSet rs = bind(ps, q.tenantId(), q.afterKeyId(), q.afterKeyId(), workspaces, workspaces, q.limit() + 1)
            .executeQuery();
        List<ApiKeyRecord> keys = new ArrayList<>();
        while (rs.next()) keys.add(keyRecord(rs));
        return page(keys, q.limit());
      }
    });
  }

  @Override
  public Future<Boolean> revokeApiKey(String tenantId, String keyId, List<String> workspaces) {
    return inTransaction(() -> {
      String now = Timestamps.now();
      String within = workspaces.isEmpty() ? null : new JsonArray(workspaces).encode();
      try (PreparedStatement ps = conn.prepareStatement(REVOKE_KEY)) {
        boolean revoked = bind(ps, now, keyId, tenantId, within, within).executeUpdate() == 1;
        if (revoked) insertAudit(new AuditEntry(tenantId, null, "api_key.revoked", keyId, null), now);
        return revoked;
      }
    });
  }

  /**
   * The condition of {@link ApiKeyQuery#workspaces()} on a JSON scopes column, bound to one parameter (the JSON
   * array of workspace names). A restriction is stored as {@code workspace:<name>} scopes (auth's Principal).
   */
  private static String within(String scopes) {
    return "(EXISTS (SELECT 1 FROM json_each(" + scopes + ") s WHERE substr(s.value, 1, 10) = 'workspace:')"
        + " AND NOT EXISTS (SELECT 1 FROM json_each(" + scopes + ") s WHERE substr(s.value, 1, 10) = 'workspace:'"
        + " AND substr(s.value, 11) NOT IN (SELECT value FROM json_each(?))))";
  }

  /** The first {@code limit} keys, and the cursor after them when the query found one more. */
  private static ApiKeyPage page(List<ApiKeyRecord> keys, int limit) {
    if (keys.size() <= limit) return new ApiKeyPage(List.copyOf(keys), null);
    List<ApiKeyRecord> shown = List.copyOf(keys.subList(0, limit));
    return new ApiKeyPage(shown, shown.get(limit - 1).id());
  }

  @Override
  public Future<Optional<String>> tenantPlan(String tenantId) {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement("SELECT plan FROM tenants WHERE id = ?")) {
        ResultSet rs = bind(ps, tenantId).executeQuery();
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    });
  }

  @Override
  public Future<Boolean> setTenantPlan(String tenantId, String plan) {
    return inTransaction(() -> {
      String now = Timestamps.now();
      try (PreparedStatement ps = conn.prepareStatement("UPDATE tenants SET plan = ?, updated_at = ? WHERE id = ?")) {
        boolean changed = bind(ps, plan, now, tenantId).executeUpdate() == 1;
        if (changed) {
          insertAudit(new AuditEntry(tenantId, null, "tenant.plan_changed", tenantId,
              new JsonObject().put("plan", plan)), now);
        }
        return changed;
      }
    });
  }

  @Override
  public Future<Optional<BillingAccount>> billingAccount(String tenantId) {
    return run(() -> readBillingAccount(tenantId));
  }

  @Override
  public Future<BillingAccount> linkBillingCustomer(String tenantId, String customerId) {
    return inTransaction(() -> {
      try (PreparedStatement ps = conn.prepareStatement("""
          INSERT INTO billing_accounts (tenant_id, customer_id, updated_at) VALUES (?, ?, ?)
          ON CONFLICT (tenant_id) DO NOTHING""")) {
        bind(ps, tenantId, customerId, Timestamps.now()).executeUpdate();
      }
      return readBillingAccount(tenantId).orElseThrow();
    });
  }

  @Override
  public Future<Boolean> applyBillingChange(BillingChange change) {
    BillingAccount a = change.account();
    return inTransaction(() -> {
      String now = Timestamps.now();
      try (PreparedStatement event = conn.prepareStatement("""
          INSERT INTO billing_events (event_id, tenant_id, type, received_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (event_id) DO NOTHING""")) {
        if (bind(event, change.eventId(), a.tenantId(), change.eventType(), now).executeUpdate() == 0) return false;
      }
      try (PreparedStatement ps = conn.prepareStatement("""
          INSERT INTO billing_accounts (tenant_id, customer_id, subscription_id, status, plan, current_period_end,
            cancel_at_period_end, past_due_since, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (tenant_id) DO UPDATE SET customer_id = excluded.customer_id,
            subscription_id = excluded.subscription_id, status = excluded.status, plan = excluded.plan,
            current_period_end = excluded.current_period_end, cancel_at_period_end = excluded.cancel_at_period_end,
            past_due_since = excluded.past_due_since, updated_at = excluded.updated_at""")) {
        bind(ps, a.tenantId(), a.customerId(), a.subscriptionId(), a.status(), a.plan(),
            a.currentPeriodEnd() == null ? null : Timestamps.format(a.currentPeriodEnd()), a.cancelAtPeriodEnd() ? 1 : 0,
            a.pastDueSince() == null ? null : Timestamps.format(a.pastDueSince()), now).executeUpdate();
      }
      insertAudit(new AuditEntry(a.tenantId(), null, "billing.subscription_changed", a.subscriptionId(),
          change.auditDetails()), now);
      try (PreparedStatement ps = conn.prepareStatement(
          "UPDATE tenants SET plan = ?, updated_at = ? WHERE id = ? AND plan <> ?")) {
        if (bind(ps, change.tenantPlan(), now, a.tenantId(), change.tenantPlan()).executeUpdate() == 1) {
          insertAudit(new AuditEntry(a.tenantId(), null, "tenant.plan_changed", a.tenantId(),
              new JsonObject().put("plan", change.tenantPlan()).put("by", "billing")), now);
        }
      }
      return true;
    });
  }

  @Override
  public Future<List<BillingAccount>> payingBillingAccounts() {
    return run(() -> {
      List<BillingAccount> out = new ArrayList<>();
      try (PreparedStatement ps = conn.prepareStatement("""
          SELECT tenant_id FROM billing_accounts
          WHERE status IN ('active', 'trialing', 'past_due') AND plan IS NOT NULL ORDER BY tenant_id""")) {
        ResultSet rs = ps.executeQuery();
        List<String> tenants = new ArrayList<>();
        while (rs.next()) tenants.add(rs.getString(1));
        for (String t : tenants) readBillingAccount(t).ifPresent(out::add);
      }
      return out;
    });
  }

  @Override
  public Future<MeterReport> meterReport(String tenantId, String month, String metric) {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement("""
          SELECT reported, pending, pending_identifier FROM meter_reports
          WHERE tenant_id = ? AND month = ? AND metric = ?""")) {
        ResultSet rs = bind(ps, tenantId, month, metric).executeQuery();
        if (!rs.next()) return new MeterReport(tenantId, month, metric, 0, null, null);
        Object pending = rs.getObject(2);
        return new MeterReport(tenantId, month, metric, rs.getLong(1),
            pending == null ? null : ((Number) pending).longValue(), rs.getString(3));
      }
    });
  }

  @Override
  public Future<Boolean> claimMeterReport(String tenantId, String month, String metric, long expectedReported,
                                          long pending, String identifier) {
    return inTransaction(() -> {
      try (PreparedStatement insert = conn.prepareStatement("""
              INSERT INTO meter_reports (tenant_id, month, metric) VALUES (?, ?, ?)
              ON CONFLICT (tenant_id, month, metric) DO NOTHING""");
           PreparedStatement claim = conn.prepareStatement("""
              UPDATE meter_reports SET pending = ?, pending_identifier = ?
              WHERE tenant_id = ? AND month = ? AND metric = ? AND reported = ? AND pending IS NULL""")) {
        bind(insert, tenantId, month, metric).executeUpdate();
        return bind(claim, pending, identifier, tenantId, month, metric, expectedReported).executeUpdate() == 1;
      }
    });
  }

  @Override
  public Future<Void> confirmMeterReport(String tenantId, String month, String metric, String identifier) {
    return inTransaction(() -> {
      try (PreparedStatement ps = conn.prepareStatement("""
          UPDATE meter_reports SET reported = pending, pending = NULL, pending_identifier = NULL
          WHERE tenant_id = ? AND month = ? AND metric = ? AND pending_identifier = ?""")) {
        bind(ps, tenantId, month, metric, identifier).executeUpdate();
      }
      return null;
    });
  }

  private Optional<BillingAccount> readBillingAccount(String tenantId) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("""
        SELECT customer_id, subscription_id, status, plan, current_period_end, cancel_at_period_end, past_due_since
        FROM billing_accounts WHERE tenant_id = ?""")) {
      ResultSet rs = bind(ps, tenantId).executeQuery();
      if (!rs.next()) return Optional.empty();
      return Optional.of(new BillingAccount(tenantId, rs.getString(1), rs.getString(2), rs.getString(3),
          rs.getString(4), rs.getString(5) == null ? null : Timestamps.parse(rs.getString(5)), rs.getInt(6) == 1,
          rs.getString(7) == null ? null : Timestamps.parse(rs.getString(7))));
    }
  }

  @Override
  public Future<Boolean> foldUsage(String segmentId, List<UsageDay> deltas) {
    if (deltas.isEmpty()) return Future.succeededFuture(false);
    return inTransaction(() -> {
      String now = Timestamps.now();
      boolean applied = false;
      try (PreparedStatement event = conn.prepareStatement("""
              INSERT INTO usage_events (segment_id, tenant_id, day, api_calls, memories_created, searches, folded_at)
              SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM tenants WHERE id = ?)
              ON CONFLICT (segment_id, tenant_id, day) DO NOTHING""");
           PreparedStatement daily = conn.prepareStatement("""
              INSERT INTO usage_daily (tenant_id, day, api_calls, memories_created, searches) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (tenant_id, day) DO UPDATE SET
                api_calls = api_calls + excluded.api_calls,
                memories_created = memories_created + excluded.memories_created,
                searches = searches + excluded.searches""")) {
        for (UsageDay d : deltas) {
          // A tenant deleted meanwhile takes no row; a row already there means this segment was folded before.
          if (bind(event, segmentId, d.tenantId(), d.day().toString(), d.apiCalls(), d.memoriesCreated(), d.searches(),
              now, d.tenantId()).executeUpdate() == 0) {
            continue;
          }
          bind(daily, d.tenantId(), d.day().toString(), d.apiCalls(), d.memoriesCreated(), d.searches())
              .executeUpdate();
          applied = true;
        }
      }
      return applied;
    });
  }

  @Override
  public Future<List<UsageDay>> usage(String tenantId, LocalDate from, LocalDate to) {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement("""
          SELECT day, api_calls, memories_created, searches FROM usage_daily
          WHERE tenant_id = ? AND day >= ? AND day <= ? ORDER BY day""")) {
        ResultSet rs = bind(ps, tenantId, from.toString(), to.toString()).executeQuery();
        List<UsageDay> days = new ArrayList<>();
        while (rs.next()) {
          days.add(new UsageDay(tenantId, LocalDate.parse(rs.getString(1)), rs.getLong(2), rs.getLong(3), rs.getLong(4)));
        }
        return days;
      }
    });
  }

  @Override
  public Future<Void> audit(AuditEntry entry) {
    return run(() -> {
      insertAudit(entry, Timestamps.now());
      return null;
    });
  }

  @Override
  public Future<List<AuditEntry>> auditLog(String tenantId, int limit) {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement(
          "SELECT actor, action, target, details FROM audit_log WHERE tenant_id = ? ORDER BY id DESC LIMIT ?")) {
        ResultSet rs = bind(ps, tenantId, limit).executeQuery();
        List<AuditEntry> entries = new ArrayList<>();
        while (rs.next()) {
          entries.add(new AuditEntry(tenantId, rs.getString(1), rs.getString(2), rs.getString(3),
              new JsonObject(rs.getString(4))));
        }
        return entries;
      }
    });
  }

  @Override
  public Future<Void> ping() {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement("SELECT 1")) {
        ps.executeQuery().close();
      }
      return null;
    });
  }

  @Override
  public Future<Void> close() {
    return run(() -> {
      conn.close();
      return (Void) null;
    }).eventually(executor::close);
  }

  private static final String KEY_COLUMNS = """
      SELECT k.id, k.tenant_id, k.name, k.prefix, k.scopes, k.created_at, k.expires_at, k.revoked_at, t.status
      FROM api_keys k JOIN tenants t ON t.id = k.tenant_id""";

  private static final String LIST_KEYS = KEY_COLUMNS + """

      WHERE k.tenant_id = ?
        AND (? IS NULL OR (k.created_at, k.rowid) > (SELECT c.created_at, c.rowid FROM api_keys c
                                                     WHERE c.id = ? AND c.tenant_id = k.tenant_id))
        AND (? IS NULL OR %s)
      ORDER BY k.created_at, k.rowid LIMIT ?""".formatted(within("k.scopes"));

  private static final String REVOKE_KEY = """
      UPDATE api_keys SET revoked_at = ?
      WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL AND (? IS NULL OR %s)""".formatted(within("api_keys.scopes"));

  private static ApiKeyRecord keyRecord(ResultSet rs) throws SQLException {
    List<String> scopes = new ArrayList<>();
    new JsonArray(rs.getString(5)).forEach(s -> scopes.add((String) s));
    return new ApiKeyRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), List.copyOf(scopes),
        instant(rs.getString(6)), instant(rs.getString(7)), instant(rs.getString(8)), rs.getString(9));
  }

  private void insertKey(NewApiKey k, String now) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("""
        INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, scopes, created_by, created_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
      bind(ps, k.id(), k.tenantId(), k.name(), k.prefix(), k.keyHash(), new JsonArray(k.scopes()).encode(),
          k.createdBy(), now, k.expiresAt() == null ? null : Timestamps.format(k.expiresAt())).executeUpdate();
    }
  }

  private void insertAudit(AuditEntry e, String now) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(
        "INSERT INTO audit_log (tenant_id, actor, action, target, details, created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
      bind(ps, e.tenantId(), e.actor(), e.action(), e.target(),
          e.details() == null ? "{}" : e.details().encode(), now).executeUpdate();
    }
  }

  private static Instant instant(String text) {
    return text == null ? null : Instant.parse(text);
  }

  private static PreparedStatement bind(PreparedStatement ps, Object... values) throws SQLException {
    for (int i = 0; i < values.length; i++) ps.setObject(i + 1, values[i]);
    return ps;
  }
}
