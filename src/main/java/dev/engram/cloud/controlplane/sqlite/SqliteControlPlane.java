package dev.engram.cloud.controlplane.sqlite;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.controlplane.Actor;
import dev.engram.cloud.controlplane.ApiKeyPage;
import dev.engram.cloud.controlplane.ApiKeyQuery;
import dev.engram.cloud.controlplane.ApiKeyRecord;
import dev.engram.cloud.controlplane.AuditChain;
import dev.engram.cloud.controlplane.AuditEntry;
import dev.engram.cloud.controlplane.BillingAccount;
import dev.engram.cloud.controlplane.BillingChange;
import dev.engram.cloud.controlplane.AuditPage;
import dev.engram.cloud.controlplane.AuditQuery;
import dev.engram.cloud.controlplane.AuditRecord;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.ControlPlaneErrors;
import dev.engram.cloud.controlplane.ExternalIdentity;
import dev.engram.cloud.controlplane.InviteRecord;
import dev.engram.cloud.controlplane.KeyRotation;
import dev.engram.cloud.controlplane.KeyUse;
import dev.engram.cloud.controlplane.Member;
import dev.engram.cloud.controlplane.MemberCap;
import dev.engram.cloud.controlplane.MeterReport;
import dev.engram.cloud.controlplane.Membership;
import dev.engram.cloud.controlplane.NewAccount;
import dev.engram.cloud.controlplane.NewApiKey;
import dev.engram.cloud.controlplane.NewInvite;
import dev.engram.cloud.controlplane.NewUser;
import dev.engram.cloud.controlplane.TenantPage;
import dev.engram.cloud.controlplane.TenantRecord;
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
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Control plane in {@code data/control.db}. One connection, used by one worker thread at a time: the
 * hot lookups (API keys) are cached by the auth layer, so this never sits on the request path at load. That single
 * writer also serializes every tenant's audit appends, so a chain cannot fork.
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
      String released = releaseUnverifiedEmail(a.email(), issuer);
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
        appendAudit(AuditEntry.of(a.tenantId(), a.origin(), "user.email_claimed", a.userId(),
            new JsonObject().put("released_from", released)));
      }
      return null;
    });
  }

  /**
   * Takes {@code email} from the user who signed up with it and a password and has no external identity; audits it
   * in that user's tenants. Returns that user's id, or null. Call inside a transaction.
   */
  private String releaseUnverifiedEmail(String email, String issuer) throws SQLException {
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
    update("UPDATE users SET email = NULL WHERE id = ?", userId);
    for (String tenant : strings("SELECT tenant_id FROM tenant_members WHERE user_id = ?", userId)) {
      appendAudit(new AuditEntry(tenant, null, "user.email_released", userId, new JsonObject()
          .put("reason", "claimed by a verified external identity").put("issuer", issuer)));
    }
    return userId;
  }

  /** The tenant, its owner, the default workspace, the first key and an audit line; call inside a transaction. */
  private void insertAccount(NewAccount a, String now) throws SQLException {
    try {
      update("INSERT INTO tenants (id, name, slug, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
          a.tenantId(), a.tenantName(), a.tenantSlug(), now, now);
    } catch (SQLiteException e) {
      if (e.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE) throw ControlPlaneErrors.slugTaken(a.tenantSlug());
      throw e;
    }
    insertUser(a.userId(), a.email(), a.passwordHash(), now);
    update("INSERT INTO tenant_members (tenant_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)",
        a.tenantId(), a.userId(), now);
    update("INSERT INTO workspaces (tenant_id, name, created_at) VALUES (?, 'default', ?)", a.tenantId(), now);
    insertKey(a.firstKey(), now);
    appendAudit(AuditEntry.of(a.tenantId(), a.origin(), "tenant.created", a.tenantId(),
        new JsonObject().put("slug", a.tenantSlug())));
  }

  private void insertUser(String userId, String email, String passwordHash, String now) throws SQLException {
    try {
      update("INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)", userId, email,
          passwordHash, now);
    } catch (SQLiteException e) {
      if (e.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE) throw ControlPlaneErrors.emailTaken();
      throw e;
    }
  }

  @Override
  public Future<Optional<ExternalIdentity>> findIdentity(String issuer, String subject) {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement("""
          SELECT i.user_id, m.tenant_id, t.slug, m.role, t.status, m.workspaces
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
          if (rs.getString(2) != null) {
            memberships.add(new Membership(rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                list(rs.getString(6))));
          }
        }
        return userId == null ? Optional.empty() : Optional.of(new ExternalIdentity(userId, List.copyOf(memberships)));
      }
    });
  }

  private static final String USER_LOGIN = """
      SELECT u.id, u.email, u.password_hash, u.token_version, m.tenant_id, t.slug, m.role, t.status, m.workspaces
      FROM users u
      LEFT JOIN tenant_members m ON m.user_id = u.id
      LEFT JOIN tenants t ON t.id = m.tenant_id
      WHERE %s
      ORDER BY m.created_at, m.tenant_id""";

  @Override
  public Future<Optional<UserLogin>> findLogin(String email) {
    return run(() -> userLogin(USER_LOGIN.formatted("u.email = ?"), email));
  }

  @Override
  public Future<Optional<UserLogin>> findUser(String userId) {
    return run(() -> userLogin(USER_LOGIN.formatted("u.id = ?"), userId));
  }

  private Optional<UserLogin> userLogin(String sql, String key) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ResultSet rs = bind(ps, key).executeQuery();
      if (!rs.next()) return Optional.empty();
      String userId = rs.getString(1);
      String email = rs.getString(2);
      String hash = rs.getString(3);
      int version = rs.getInt(4);
      List<Membership> memberships = new ArrayList<>();
      do {
        if (rs.getString(5) != null) {
          memberships.add(new Membership(rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
              list(rs.getString(9))));
        }
      } while (rs.next());
      return Optional.of(new UserLogin(userId, email, hash, version, List.copyOf(memberships)));
    }
  }

  @Override
  public Future<Optional<ApiKeyRecord>> findApiKeyByHash(String keyHash) {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement("""
          SELECT k.id, k.tenant_id, k.name, k.prefix, k.scopes, k.created_at, k.expires_at, k.revoked_at, t.status,
                 k.user_id, k.last_used_at, k.rotated_to, t.slug, m.role, m.workspaces
          FROM api_keys k
          JOIN tenants t ON t.id = k.tenant_id
          LEFT JOIN tenant_members m ON m.tenant_id = k.tenant_id AND m.user_id = k.user_id
          WHERE k.key_hash = ?""")) {
        ResultSet rs = bind(ps, keyHash).executeQuery();
        if (!rs.next()) return Optional.empty();
        ApiKeyRecord k = keyRecord(rs);
        return Optional.of(new ApiKeyRecord(k.id(), k.tenantId(), k.name(), k.prefix(), k.scopes(), k.createdAt(),
            k.expiresAt(), k.revokedAt(), k.tenantStatus(), k.userId(), k.lastUsedAt(), k.rotatedTo(),
            rs.getString(13), rs.getString(14), list(rs.getString(15))));
      }
    });
  }

  @Override
  public Future<Void> insertApiKey(NewApiKey key, int maxActive, Actor actor) {
    // One connection on one thread: the count and the insert cannot interleave with another key's.
    return inTransaction(() -> {
      String now = Timestamps.now();
      if (count("""
          SELECT count(*) FROM api_keys
          WHERE tenant_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)""",
          key.tenantId(), now) >= maxActive) {
        throw ControlPlane.tooManyApiKeys(maxActive);
      }
      insertKey(key, now);
      appendAudit(AuditEntry.of(key.tenantId(), actor, "api_key.created", key.id(), keyDetails(key)));
      return null;
    });
  }

  static JsonObject keyDetails(NewApiKey key) {
    JsonObject details = new JsonObject().put("name", key.name()).put("prefix", key.prefix())
        .put("scopes", new JsonArray(key.scopes()));
    if (key.expiresAt() != null) details.put("expires_at", Timestamps.format(key.expiresAt()));
    return details;
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
  public Future<Boolean> revokeApiKey(String tenantId, String keyId, List<String> workspaces, Actor actor) {
    return inTransaction(() -> {
      String now = Timestamps.now();
      String within = workspaces.isEmpty() ? null : new JsonArray(workspaces).encode();
      try (PreparedStatement ps = conn.prepareStatement(REVOKE_KEY)) {
        boolean revoked = bind(ps, now, keyId, tenantId, within, within).executeUpdate() == 1;
        if (revoked) appendAudit(AuditEntry.of(tenantId, actor, "api_key.revoked", keyId, null));
        return revoked;
      }
    });
  }

  @Override
  public Future<Optional<KeyRotation>> rotateApiKey(String tenantId, String keyId, List<String> workspaces,
                                                    NewApiKey replacement, Instant oldExpiresAt, Actor actor) {
    return inTransaction(() -> {
      String now = Timestamps.now();
      String within = workspaces.isEmpty() ? null : new JsonArray(workspaces).encode();
      ApiKeyRecord old;
      try (PreparedStatement ps = conn.prepareStatement(LIVE_KEY)) {
        ResultSet rs = bind(ps, keyId, tenantId, now, within, within).executeQuery();
        if (!rs.next()) return Optional.<KeyRotation>empty();
        old = keyRecord(rs);
      }
      if (old.rotatedTo() != null) throw ControlPlaneErrors.alreadyRotated(keyId, old.rotatedTo());
      NewApiKey actual = ControlPlaneErrors.replacementOf(old, replacement);
      insertKey(actual, now);
      Instant until = old.expiresAt() != null && old.expiresAt().isBefore(oldExpiresAt) ? old.expiresAt() : oldExpiresAt;
      update("UPDATE api_keys SET rotated_to = ?, expires_at = ? WHERE id = ?", replacement.id(),
          Timestamps.format(until), keyId);
      appendAudit(AuditEntry.of(tenantId, actor, "api_key.rotated", keyId, new JsonObject()
          .put("replaced_by", replacement.id()).put("prefix", replacement.prefix())
          .put("old_key_expires_at", Timestamps.format(until))));
      List<ApiKeyRecord> both = new ArrayList<>();
      try (PreparedStatement ps = conn.prepareStatement(KEY_COLUMNS + " WHERE k.id IN (?, ?) ORDER BY k.id = ?")) {
        ResultSet rs = bind(ps, keyId, actual.id(), actual.id()).executeQuery();
        while (rs.next()) both.add(keyRecord(rs));
      }
      return Optional.of(new KeyRotation(both.get(0), both.get(1)));
    });
  }

  @Override
  public Future<Void> markKeysUsed(List<KeyUse> uses) {
    if (uses.isEmpty()) return Future.succeededFuture();
    return inTransaction(() -> {
      try (PreparedStatement ps = conn.prepareStatement(
          "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)")) {
        for (KeyUse use : uses) {
          String minute = Timestamps.format(use.minute());
          bind(ps, minute, use.keyId(), minute).addBatch();
        }
        ps.executeBatch();
      }
      return null;
    });
  }

  @Override
  public Future<Integer> auditExpiredKeys(int limit) {
    return inTransaction(() -> {
      String now = Timestamps.now();
      List<String[]> expired = new ArrayList<>();
      try (PreparedStatement ps = conn.prepareStatement("""
          SELECT id, tenant_id FROM api_keys
          WHERE expires_at <= ? AND expiry_audited_at IS NULL AND revoked_at IS NULL
          ORDER BY expires_at LIMIT ?""")) {
        ResultSet rs = bind(ps, now, limit).executeQuery();
        while (rs.next()) expired.add(new String[] {rs.getString(1), rs.getString(2)});
      }
      for (String[] key : expired) {
        update("UPDATE api_keys SET expiry_audited_at = ? WHERE id = ?", now, key[0]);
        appendAudit(AuditEntry.of(key[1], Actor.SYSTEM, "api_key.expired", key[0], null));
      }
      return expired.size();
    });
  }

  /** The condition of {@link ApiKeyQuery#workspaces()} on a JSON scopes column, bound to one parameter (the JSON
   * array of workspace names). A restriction is stored as {@code workspace:<name>} scopes (auth's Principal). */
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

  // ---- tenants ----

  private static final String TENANT_COLUMNS = """
      SELECT t.id, t.slug, t.name, t.plan, t.status, t.created_at,
             (SELECT count(*) FROM tenant_members m WHERE m.tenant_id = t.id), t.audit_seq, t.audit_head
      FROM tenants t""";

  @Override
  public Future<Optional<TenantRecord>> findTenant(String idOrSlug) {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement(TENANT_COLUMNS + " WHERE t.id = ? OR t.slug = ?")) {
        ResultSet rs = bind(ps, idOrSlug, idOrSlug).executeQuery();
        return rs.next() ? Optional.of(tenantRecord(rs)) : Optional.<TenantRecord>empty();
      }
    });
  }

  @Override
  public Future<TenantPage> listTenants(String afterId, int limit) {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement(TENANT_COLUMNS + """

          WHERE ? IS NULL OR (t.created_at, t.rowid) > (SELECT c.created_at, c.rowid FROM tenants c WHERE c.id = ?)
          ORDER BY t.created_at, t.rowid LIMIT ?""")) {
        ResultSet rs = bind(ps, afterId, afterId, limit + 1).executeQuery();
        List<TenantRecord> tenants = new ArrayList<>();
        while (rs.next()) tenants.add(tenantRecord(rs));
        if (tenants.size() <= limit) return new TenantPage(List.copyOf(tenants), null);
        List<TenantRecord> shown = List.copyOf(tenants.subList(0, limit));
        return new TenantPage(shown, shown.get(limit - 1).id());
      }
    });
  }

  @Override
  public Future<Optional<String>> tenantPlan(String tenantId) {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement("SELECT plan FROM tenants WHERE id = ?")) {
        ResultSet rs = bind(ps, tenantId).executeQuery();
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
      }
    });
  }

  @Override
  public Future<Boolean> setTenantPlan(String tenantId, String plan, Actor actor) {
    return inTransaction(() -> {
      String from = string("SELECT plan FROM tenants WHERE id = ? AND status <> 'deleted'", tenantId);
      if (from == null) return false;
      update("UPDATE tenants SET plan = ?, updated_at = ? WHERE id = ?", plan, Timestamps.now(), tenantId);
      appendAudit(AuditEntry.of(tenantId, actor, "tenant.plan_changed", tenantId,
          new JsonObject().put("plan", plan).put("from", from)));
      return true;
    });
  }

  @Override
  public Future<Boolean> updateTenant(String tenantId, String name, String slug, Actor actor) {
    return inTransaction(() -> {
      String oldSlug;
      String oldName;
      try (PreparedStatement ps = conn.prepareStatement(
          "SELECT slug, name FROM tenants WHERE id = ? AND status <> 'deleted'")) {
        ResultSet rs = bind(ps, tenantId).executeQuery();
        if (!rs.next()) return false;
        oldSlug = rs.getString(1);
        oldName = rs.getString(2);
      }
      String now = Timestamps.now();
      if (slug != null && !slug.equals(oldSlug)) {
        try {
          update("UPDATE tenants SET slug = ?, updated_at = ? WHERE id = ?", slug, now, tenantId);
        } catch (SQLiteException e) {
          if (e.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE) throw ControlPlaneErrors.slugTaken(slug);
          throw e;
        }
        appendAudit(AuditEntry.of(tenantId, actor, "tenant.slug_changed", tenantId,
            new JsonObject().put("from", oldSlug).put("to", slug)));
      }
      if (name != null && !name.equals(oldName)) {
        update("UPDATE tenants SET name = ?, updated_at = ? WHERE id = ?", name, now, tenantId);
        appendAudit(AuditEntry.of(tenantId, actor, "tenant.renamed", tenantId, new JsonObject().put("name", name)));
      }
      return true;
    });
  }

  @Override
  public Future<Boolean> setTenantStatus(String tenantId, String status, Actor actor) {
    return inTransaction(() -> {
      String current = string("SELECT status FROM tenants WHERE id = ? AND status <> 'deleted'", tenantId);
      if (current == null) return false;
      if (!current.equals(status)) {
        update("UPDATE tenants SET status = ?, updated_at = ? WHERE id = ?", status, Timestamps.now(), tenantId);
        appendAudit(AuditEntry.of(tenantId, actor, "suspended".equals(status) ? "tenant.suspended" : "tenant.resumed",
            tenantId, null));
      }
      return true;
    });
  }

  @Override
  public Future<Optional<List<String>>> deleteTenant(String tenantId, Actor actor) {
    return inTransaction(() -> {
      String slug;
      try (PreparedStatement ps = conn.prepareStatement("SELECT slug FROM tenants WHERE id = ? AND status <> 'deleted'")) {
        ResultSet rs = bind(ps, tenantId).executeQuery();
        if (!rs.next()) return Optional.<List<String>>empty();
        slug = rs.getString(1);
      }
      List<String> members = strings("SELECT user_id FROM tenant_members WHERE tenant_id = ?", tenantId);
      long keys = count("SELECT count(*) FROM api_keys WHERE tenant_id = ?", tenantId);
      for (String table : List.of("api_keys", "tenant_invites", "tenant_members", "workspaces", "usage_daily",
          "usage_events", "meter_reports")) {
        update("DELETE FROM " + table + " WHERE tenant_id = ?", tenantId);
      }
      String now = Timestamps.now();
      update("UPDATE tenants SET status = 'deleted', slug = NULL, deleted_at = ?, updated_at = ? WHERE id = ?", now,
          now, tenantId);
      int forgotten = 0;
      for (String user : members) forgotten += forgetIfOrphaned(user) ? 1 : 0;
      appendAudit(AuditEntry.of(tenantId, actor, "tenant.deleted", tenantId, new JsonObject().put("slug", slug)
          .put("members", members.size()).put("keys_removed", keys).put("users_removed", forgotten)));
      return Optional.of(List.copyOf(members));
    });
  }

  private boolean forgetIfOrphaned(String userId) throws SQLException {
    return update("DELETE FROM users WHERE id = ? AND NOT EXISTS (SELECT 1 FROM tenant_members m WHERE m.user_id = ?)",
        userId, userId) == 1;
  }

  // ---- members and invites ----

  @Override
  public Future<List<Member>> listMembers(String tenantId) {
    return run(() -> members(null, tenantId));
  }

  private List<Member> members(String userId, String tenantId) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("""
        SELECT m.user_id, u.email, m.role, m.workspaces, m.created_at
        FROM tenant_members m JOIN users u ON u.id = m.user_id
        WHERE m.tenant_id = ? AND (? IS NULL OR m.user_id = ?)
        ORDER BY m.created_at, m.user_id""")) {
      ResultSet rs = bind(ps, tenantId, userId, userId).executeQuery();
      List<Member> members = new ArrayList<>();
      while (rs.next()) {
        members.add(new Member(rs.getString(1), rs.getString(2), rs.getString(3), list(rs.getString(4)),
            instant(rs.getString(5))));
      }
      return members;
    }
  }

  @Override
  public Future<Optional<Member>> changeMember(String tenantId, String userId, String role, List<String> workspaces,
                                               Actor actor) {
    return inTransaction(() -> {
      List<Member> found = members(userId, tenantId);
      if (found.isEmpty()) return Optional.<Member>empty();
      Member current = found.get(0);
      ControlPlaneErrors.checkRoleChange(current.role(), role);
      if (role != null && !role.equals(current.role())) {
        update("UPDATE tenant_members SET role = ? WHERE tenant_id = ? AND user_id = ?", role, tenantId, userId);
        appendAudit(AuditEntry.of(tenantId, actor, "member.role_changed", userId,
            new JsonObject().put("from", current.role()).put("to", role)));
      }
      if (workspaces != null && !workspaces.equals(current.workspaces())) {
        update("UPDATE tenant_members SET workspaces = ? WHERE tenant_id = ? AND user_id = ?", json(workspaces),
            tenantId, userId);
        appendAudit(AuditEntry.of(tenantId, actor, "member.workspaces_changed", userId,
            new JsonObject().put("workspaces", new JsonArray(workspaces))));
      }
      return Optional.of(members(userId, tenantId).get(0));
    });
  }

  @Override
  public Future<Optional<List<String>>> removeMember(String tenantId, String userId, Actor actor) {
    return inTransaction(() -> {
      String role = string("SELECT role FROM tenant_members WHERE tenant_id = ? AND user_id = ?", tenantId, userId);
      if (role == null) return Optional.<List<String>>empty();
      if ("owner".equals(role)) throw ControlPlaneErrors.ownerRole();
      List<String> keys = strings("""
          SELECT id FROM api_keys WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL""", tenantId, userId);
      String now = Timestamps.now();
      update("UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL", now,
          tenantId, userId);
      update("DELETE FROM tenant_members WHERE tenant_id = ? AND user_id = ?", tenantId, userId);
      boolean forgotten = forgetIfOrphaned(userId);
      appendAudit(AuditEntry.of(tenantId, actor, "member.removed", userId, new JsonObject().put("role", role)
          .put("keys_revoked", new JsonArray(keys)).put("account_removed", forgotten)));
      return Optional.of(List.copyOf(keys));
    });
  }

  @Override
  public Future<Boolean> transferOwnership(String tenantId, String fromUserId, String toUserId, Actor actor) {
    return inTransaction(() -> {
      String to = string("SELECT role FROM tenant_members WHERE tenant_id = ? AND user_id = ?", tenantId, toUserId);
      String from = string("SELECT role FROM tenant_members WHERE tenant_id = ? AND user_id = ?", tenantId, fromUserId);
      if (to == null || !"owner".equals(from)) return false;
      if (toUserId.equals(fromUserId)) return true;
      // One owner at every step (a unique index holds it): the old owner steps down first.
      update("UPDATE tenant_members SET role = 'admin' WHERE tenant_id = ? AND user_id = ?", tenantId, fromUserId);
      update("UPDATE tenant_members SET role = 'owner', workspaces = NULL WHERE tenant_id = ? AND user_id = ?",
          tenantId, toUserId);
      appendAudit(AuditEntry.of(tenantId, actor, "tenant.ownership_transferred", toUserId,
          new JsonObject().put("from", fromUserId).put("to", toUserId).put("previous_role", to)));
      return true;
    });
  }

  @Override
  public Future<Void> createInvite(NewInvite invite, MemberCap cap, Actor actor) {
    return inTransaction(() -> {
      String now = Timestamps.now();
      long used = count("SELECT count(*) FROM tenant_members WHERE tenant_id = ?", invite.tenantId())
          + count(PENDING_INVITES, invite.tenantId(), now);
      if (cap.reached(used)) throw cap.exceeded(used);
      if (count("""
          SELECT count(*) FROM tenant_members m JOIN users u ON u.id = m.user_id
          WHERE m.tenant_id = ? AND u.email = ?""", invite.tenantId(), invite.email()) > 0) {
        throw ControlPlaneErrors.alreadyMember();
      }
      if (count(PENDING_INVITES + " AND email = ?", invite.tenantId(), now, invite.email()) > 0) {
        throw ControlPlaneErrors.invitePending(invite.email());
      }
      update("""
          INSERT INTO tenant_invites (id, tenant_id, email, role, workspaces, token_hash, created_by, created_at,
                                      expires_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""", invite.id(), invite.tenantId(), invite.email(), invite.role(),
          invite.workspaces().isEmpty() ? null : json(invite.workspaces()), invite.tokenHash(), invite.createdBy(),
          now, Timestamps.format(invite.expiresAt()));
      appendAudit(AuditEntry.of(invite.tenantId(), actor, "invite.created", invite.id(), new JsonObject()
          .put("email", invite.email()).put("role", invite.role()).put("workspaces", new JsonArray(invite.workspaces()))
          .put("expires_at", Timestamps.format(invite.expiresAt()))));
      return null;
    });
  }

  private static final String PENDING_INVITES = """
      SELECT count(*) FROM tenant_invites
      WHERE tenant_id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?""";

  private static final String INVITE_COLUMNS = """
      SELECT id, tenant_id, email, role, workspaces, created_by, created_at, expires_at, accepted_at, revoked_at
      FROM tenant_invites""";

  @Override
  public Future<List<InviteRecord>> listInvites(String tenantId) {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement(INVITE_COLUMNS + """

          WHERE tenant_id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?
          ORDER BY created_at DESC, rowid DESC""")) {
        ResultSet rs = bind(ps, tenantId, Timestamps.now()).executeQuery();
        List<InviteRecord> invites = new ArrayList<>();
        while (rs.next()) invites.add(inviteRecord(rs));
        return invites;
      }
    });
  }

  @Override
  public Future<Boolean> revokeInvite(String tenantId, String inviteId, Actor actor) {
    return inTransaction(() -> {
      String now = Timestamps.now();
      boolean revoked = update("""
          UPDATE tenant_invites SET revoked_at = ?
          WHERE id = ? AND tenant_id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?""",
          now, inviteId, tenantId, now) == 1;
      if (revoked) appendAudit(AuditEntry.of(tenantId, actor, "invite.revoked", inviteId, null));
      return revoked;
    });
  }

  @Override
  public Future<Optional<InviteRecord>> findInviteByTokenHash(String tokenHash) {
    return run(() -> {
      try (PreparedStatement ps = conn.prepareStatement(INVITE_COLUMNS + " WHERE token_hash = ?")) {
        ResultSet rs = bind(ps, tokenHash).executeQuery();
        return rs.next() ? Optional.of(inviteRecord(rs)) : Optional.<InviteRecord>empty();
      }
    });
  }

  @Override
  public Future<String> acceptInvite(InviteRecord given, NewUser newUser, String existingUserId, MemberCap cap,
                                     Actor actor) {
    return inTransaction(() -> {
      InviteRecord invite;
      try (PreparedStatement ps = conn.prepareStatement(INVITE_COLUMNS + " WHERE id = ? AND tenant_id = ?")) {
        ResultSet rs = bind(ps, given.id(), given.tenantId()).executeQuery();
        if (!rs.next()) throw ControlPlaneErrors.inviteNotFound();
        invite = inviteRecord(rs);
      }
      ControlPlaneErrors.checkPending(invite, Instant.now());
      String status = string("SELECT status FROM tenants WHERE id = ?", invite.tenantId());
      ControlPlaneErrors.checkJoinable(status);
      String now = Timestamps.now();
      String userId = existingUserId;
      if (newUser != null) {
        insertUser(newUser.userId(), newUser.email(), newUser.passwordHash(), now);
        userId = newUser.userId();
      }
      String email = string("SELECT email FROM users WHERE id = ?", userId);
      ControlPlaneErrors.checkInviteEmail(invite, email);
      if (count("SELECT count(*) FROM tenant_members WHERE tenant_id = ? AND user_id = ?", invite.tenantId(), userId)
          > 0) {
        throw ControlPlaneErrors.alreadyMember();
      }
      long members = count("SELECT count(*) FROM tenant_members WHERE tenant_id = ?", invite.tenantId());
      if (cap.reached(members)) throw cap.exceeded(members);
      update("INSERT INTO tenant_members (tenant_id, user_id, role, workspaces, created_at) VALUES (?, ?, ?, ?, ?)",
          invite.tenantId(), userId, invite.role(), invite.workspaces().isEmpty() ? null : json(invite.workspaces()),
          now);
      update("UPDATE tenant_invites SET accepted_at = ?, accepted_by = ? WHERE id = ?", now, userId, invite.id());
      appendAudit(AuditEntry.of(invite.tenantId(), new Actor(userId, actor.ip(), actor.userAgent(), actor.requestId()),
          "invite.accepted", invite.id(), new JsonObject().put("user_id", userId).put("role", invite.role())
              .put("new_account", newUser != null)));
      return invite.role();
    });
  }

  @Override
  public Future<Integer> changePassword(String tenantId, String userId, String passwordHash, Actor actor) {
    return inTransaction(() -> {
      int changed = update("""
          UPDATE users SET password_hash = ?, token_version = token_version + 1
          WHERE id = ? AND password_hash IS NOT NULL
            AND EXISTS (SELECT 1 FROM tenant_members m WHERE m.user_id = ? AND m.tenant_id = ?)""",
          passwordHash, userId, userId, tenantId);
      if (changed != 1) throw ControlPlaneErrors.noPassword();
      int version = (int) count("SELECT token_version FROM users WHERE id = ?", userId);
      appendAudit(AuditEntry.of(tenantId, actor, "user.password_changed", userId, null));
      return version;
    });
  }

  // ---- usage ----

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
            a.currentPeriodEnd() == null ? null : Timestamps.format(a.currentPeriodEnd()),
            a.cancelAtPeriodEnd() ? 1 : 0, a.pastDueSince() == null ? null : Timestamps.format(a.pastDueSince()), now)
            .executeUpdate();
      }
      appendAudit(AuditEntry.of(a.tenantId(), Actor.BILLING, "billing.subscription_changed", a.subscriptionId(),
          change.auditDetails()));
      try (PreparedStatement ps = conn.prepareStatement(
          "UPDATE tenants SET plan = ?, updated_at = ? WHERE id = ? AND plan <> ?")) {
        String from = string("SELECT plan FROM tenants WHERE id = ?", a.tenantId());
        if (bind(ps, change.tenantPlan(), now, a.tenantId(), change.tenantPlan()).executeUpdate() == 1) {
          appendAudit(AuditEntry.of(a.tenantId(), Actor.BILLING, "tenant.plan_changed", a.tenantId(),
              new JsonObject().put("plan", change.tenantPlan()).put("from", from)));
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
              SELECT ?, ?, ?, ?, ?, ?, ?
              WHERE EXISTS (SELECT 1 FROM tenants WHERE id = ? AND status <> 'deleted')
              ON CONFLICT (segment_id, tenant_id, day) DO NOTHING""");
           PreparedStatement daily = conn.prepareStatement("""
              INSERT INTO usage_daily (tenant_id, day, api_calls, memories_created, searches) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (tenant_id, day) DO UPDATE SET
                api_calls = api_calls + excluded.api_calls,
                memories_created = memories_created + excluded.memories_created,
                searches = searches + excluded.searches""")) {
        for (UsageDay d : deltas) {
          // A tenant deleted meanwhile takes no row (its usage went with it); a row already there means this
          // segment was folded before.
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

  // ---- audit ----

  @Override
  public Future<Void> audit(AuditEntry entry) {
    return inTransaction(() -> {
      appendAudit(entry);
      return null;
    });
  }

  /**
   * Appends an entry to its tenant's chain, after the head the tenant's row records (or, for a tenant without a row,
   * after its last chained entry), and moves the head. Call inside a transaction.
   */
  private void appendAudit(AuditEntry e) throws SQLException {
    Instant at = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    long seq = 0;
    String prev = AuditChain.GENESIS;
    boolean tenantRow;
    try (PreparedStatement ps = conn.prepareStatement("SELECT audit_seq, audit_head FROM tenants WHERE id = ?")) {
      ResultSet rs = bind(ps, e.tenantId()).executeQuery();
      tenantRow = rs.next();
      if (tenantRow && rs.getLong(1) > 0) {
        seq = rs.getLong(1);
        prev = rs.getString(2);
      }
    }
    if (!tenantRow) {
      try (PreparedStatement ps = conn.prepareStatement(
          "SELECT seq, hash FROM audit_log WHERE tenant_id = ? AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1")) {
        ResultSet rs = bind(ps, e.tenantId()).executeQuery();
        if (rs.next()) {
          seq = rs.getLong(1);
          prev = rs.getString(2);
        }
      }
    }
    seq++;
    String hash = AuditChain.hash(prev, seq, at, e);
    update("""
        INSERT INTO audit_log (tenant_id, actor, action, target, details, created_at, seq, ip, user_agent, request_id,
                               outcome, prev_hash, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", e.tenantId(), e.actor(), e.action(), e.target(),
        e.details().encode(), Timestamps.format(at), seq, e.ip(), e.userAgent(), e.requestId(), e.outcome(), prev,
        hash);
    if (tenantRow) update("UPDATE tenants SET audit_seq = ?, audit_head = ? WHERE id = ?", seq, hash, e.tenantId());
  }

  @Override
  public Future<List<AuditEntry>> auditLog(String tenantId, int limit) {
    return auditPage(new AuditQuery(tenantId, null, null, null, null, null, limit, false))
        .map(page -> page.entries().stream().map(AuditRecord::entry).toList());
  }

  @Override
  public Future<AuditPage> auditPage(AuditQuery q) {
    return run(() -> {
      String order = q.oldestFirst() ? "ASC" : "DESC";
      String after = q.oldestFirst() ? ">" : "<";
      try (PreparedStatement ps = conn.prepareStatement("""
          SELECT id, seq, created_at, tenant_id, actor, action, target, details, ip, user_agent, request_id, outcome,
                 prev_hash, hash
          FROM audit_log
          WHERE tenant_id = ? AND (? IS NULL OR action = ?) AND (? IS NULL OR actor = ?)
            AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?) AND (? IS NULL OR id %s ?)
          ORDER BY id %s LIMIT ?""".formatted(after, order))) {
        String from = q.from() == null ? null : Timestamps.format(q.from());
        String to = q.to() == null ? null : Timestamps.format(q.to());
        ResultSet rs = bind(ps, q.tenantId(), q.action(), q.action(), q.actor(), q.actor(), from, from, to, to,
            q.cursor(), q.cursor(), q.limit() + 1).executeQuery();
        List<AuditRecord> records = new ArrayList<>();
        while (rs.next()) {
          AuditEntry entry = new AuditEntry(rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7),
              new JsonObject(rs.getString(8)), rs.getString(9), rs.getString(10), rs.getString(11), rs.getString(12));
          long seq = rs.getLong(2);
          records.add(new AuditRecord(rs.getLong(1), rs.wasNull() ? null : seq, instant(rs.getString(3)), entry,
              rs.getString(13), rs.getString(14)));
        }
        if (records.size() <= q.limit()) return new AuditPage(List.copyOf(records), null);
        List<AuditRecord> shown = List.copyOf(records.subList(0, q.limit()));
        return new AuditPage(shown, shown.get(q.limit() - 1).id());
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
      SELECT k.id, k.tenant_id, k.name, k.prefix, k.scopes, k.created_at, k.expires_at, k.revoked_at, t.status,
             k.user_id, k.last_used_at, k.rotated_to
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

  /** A key of the tenant that is neither revoked nor expired, within the workspaces (as for a revocation). */
  private static final String LIVE_KEY = KEY_COLUMNS + """

      WHERE k.id = ? AND k.tenant_id = ? AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?)
        AND (? IS NULL OR %s)""".formatted(within("k.scopes"));

  private static ApiKeyRecord keyRecord(ResultSet rs) throws SQLException {
    return new ApiKeyRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), list(rs.getString(5)),
        instant(rs.getString(6)), instant(rs.getString(7)), instant(rs.getString(8)), rs.getString(9),
        rs.getString(10), instant(rs.getString(11)), rs.getString(12), null, null, null);
  }

  private static TenantRecord tenantRecord(ResultSet rs) throws SQLException {
    return new TenantRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
        instant(rs.getString(6)), rs.getLong(7), rs.getLong(8), rs.getString(9));
  }

  private static InviteRecord inviteRecord(ResultSet rs) throws SQLException {
    return new InviteRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), list(rs.getString(5)),
        rs.getString(6), instant(rs.getString(7)), instant(rs.getString(8)), instant(rs.getString(9)),
        instant(rs.getString(10)));
  }

  private void insertKey(NewApiKey k, String now) throws SQLException {
    update("""
        INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, scopes, created_by, created_at, expires_at, user_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", k.id(), k.tenantId(), k.name(), k.prefix(), k.keyHash(),
        json(k.scopes()), k.createdBy(), now, k.expiresAt() == null ? null : Timestamps.format(k.expiresAt()),
        k.userId());
  }

  private int update(String sql, Object... values) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      return bind(ps, values).executeUpdate();
    }
  }

  private long count(String sql, Object... values) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ResultSet rs = bind(ps, values).executeQuery();
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  private String string(String sql, Object... values) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ResultSet rs = bind(ps, values).executeQuery();
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private List<String> strings(String sql, Object... values) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ResultSet rs = bind(ps, values).executeQuery();
      List<String> out = new ArrayList<>();
      while (rs.next()) out.add(rs.getString(1));
      return out;
    }
  }

  private static String json(List<String> values) {
    return new JsonArray(values).encode();
  }

  /** A JSON array of strings; NULL is the empty list. */
  private static List<String> list(String json) {
    if (json == null) return List.of();
    List<String> out = new ArrayList<>();
    new JsonArray(json).forEach(s -> out.add((String) s));
    return List.copyOf(out);
  }

  private static Instant instant(String text) {
    return text == null ? null : Instant.parse(text);
  }

  private static PreparedStatement bind(PreparedStatement ps, Object... values) throws SQLException {
    for (int i = 0; i < values.length; i++) ps.setObject(i + 1, values[i]);
    return ps;
  }
}
