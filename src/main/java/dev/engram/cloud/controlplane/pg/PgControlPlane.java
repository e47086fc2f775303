package dev.engram.cloud.controlplane.pg;

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
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Control plane in PostgreSQL. The pool connects as the application role, which owns nothing and cannot bypass
 * row-level security: every tenant transaction first names its tenant with
 * {@code set_config('engram.tenant_id', $1, true)}, and the only cross-tenant reads (key by hash, user by email or
 * id, identity by issuer and subject, invite by token hash, the operator's tenant listing, expired keys), the user
 * rows (sign-up, password change, removal of a user left in no tenant), memberships added by a sign-up or an invite
 * and the release of an unverified email go through the owner's SECURITY DEFINER functions (db/pg/V1.sql–V4.sql).
 * Audit entries are appended with the tenant's row locked ({@code FOR UPDATE}), so one tenant's chain grows one
 * entry at a time whatever the number of nodes.
 */
public final class PgControlPlane implements ControlPlane {

  private static final Logger log = LoggerFactory.getLogger(PgControlPlane.class);

  private final Pool pool;

  private PgControlPlane(Pool pool) {
    this.pool = pool;
  }

  /**
   * Migrates the schema with {@code migrationUrl} (the owner role; null to migrate as the application role),
   * grants the application role what it needs, checks that role (see {@link #checkRole}), then opens the pool on
   * {@code url}.
   */
  public static Future<ControlPlane> open(Vertx vertx, String url, String migrationUrl, int poolSize,
                                          boolean allowPrivilegedRole) {
    PgUrls.Target app = PgUrls.parse(url);
    PgUrls.Target owner = migrationUrl == null ? app : PgUrls.parse(migrationUrl);
    String appRole = app.options().getUser();
    boolean separateRoles = !appRole.equals(owner.options().getUser());
    if (!separateRoles) {
      log.warn("DATABASE_MIGRATION_URL is not set (or names the same role): the server's role {} owns the control-plane "
          + "tables, so row-level security cannot hold it to one tenant. Use a separate owner role in production.",
          appRole);
    }
    Pool migrationPool = PgUrls.pool(vertx, owner, new PoolOptions().setMaxSize(1).setName("engram-pg-migrations"));
    return PgMigrations.apply(migrationPool, separateRoles ? appRole : null)
        .eventually(migrationPool::close)
        .compose(v -> {
          Pool pool = PgUrls.pool(vertx, app, new PoolOptions().setMaxSize(poolSize).setName("engram-control-plane"));
          log.info("control plane: PostgreSQL {} as role {}", app.display(), appRole);
          return checkRole(pool, appRole, separateRoles, separateRoles && !allowPrivilegedRole)
              .map(ok -> (ControlPlane) new PgControlPlane(pool))
              .onFailure(err -> pool.close());
        });
  }

  /**
   * Row-level security binds the application role only if it cannot act as a role it does not bind: the tables'
   * owner (who could SET ROLE to it, read key hashes and switch the policies off), a superuser or a BYPASSRLS role.
   * Finds every such role the pool's role is, or is a member of, directly or through other roles
   * ({@code pg_has_role(..., 'MEMBER')}). With {@code refuse} (separate roles, the default), any finding fails the
   * start; otherwise it is a loud warning. A role that migrates its own tables (no DATABASE_MIGRATION_URL, so not
   * {@code separateRoles}) is their owner by design: that was warned about already.
   */
  private static Future<Void> checkRole(Pool pool, String role, boolean separateRoles, boolean refuse) {
    return pool.query("""
            SELECT r.rolname, r.rolsuper, r.rolbypassrls,
                   r.oid IN (SELECT c.relowner FROM pg_class c WHERE c.relnamespace = 'engram'::regnamespace
                             UNION SELECT n.nspowner FROM pg_namespace n WHERE n.nspname = 'engram') AS owner
            FROM pg_roles r
            WHERE pg_has_role(current_user, r.oid, 'MEMBER')
            ORDER BY r.rolname""").execute()
        .compose(rows -> {
          List<String> findings = new ArrayList<>();
          for (Row r : rows) {
            boolean self = r.getString(0).equals(role);
            List<String> why = new ArrayList<>();
            if (r.getBoolean(1)) why.add("superuser");
            if (r.getBoolean(2)) why.add("BYPASSRLS");
            if (r.getBoolean(3) && (separateRoles || !self)) why.add("owns the control-plane tables");
            if (!why.isEmpty()) findings.add(r.getString(0) + " (" + String.join(", ", why) + ")");
          }
          if (findings.isEmpty()) return Future.succeededFuture();
          String problem = "DATABASE_URL's role " + role + " is, or can act as through role membership, "
              + String.join("; ", findings) + ": row-level security does not hold it to one tenant. Use a role that"
              + " owns nothing and is a member of no such role (REVOKE the membership)";
          if (refuse) {
            return Future.failedFuture(new IllegalStateException(problem
                + ", or set database.allow_privileged_role to start anyway."));
          }
          log.warn("{}. Starting anyway (database.allow_privileged_role, or no DATABASE_MIGRATION_URL).", problem);
          return Future.succeededFuture();
        });
  }

  /** One transaction in which row-level security shows only {@code tenantId}'s rows. */
  private <T> Future<T> inTenant(String tenantId, Function<SqlConnection, Future<T>> work) {
    return pool.withTransaction(conn -> setTenant(conn, tenantId).compose(ignored -> work.apply(conn)));
  }

  private static Future<Void> setTenant(SqlConnection conn, String tenantId) {
    return conn.preparedQuery("SELECT set_config('engram.tenant_id', $1, true)").execute(Tuple.of(tenantId)).mapEmpty();
  }

  @Override
  public Future<Void> createAccount(NewAccount a) {
    return insertAccount(a, conn -> conn.preparedQuery("SELECT engram.register_user($1, $2, $3)")
        .execute(Tuple.of(a.userId(), a.email(), a.passwordHash()))
        .map(rows -> (AuditEntry) null));
  }

  /**
   * A verified email is first taken from a password account that holds it ({@code engram.release_unverified_email});
   * that account's tenants get a {@code user.email_released} entry each, in their own chains, and the new tenant's
   * log says so too.
   */
  @Override
  public Future<Void> createAccountWithIdentity(NewAccount a, String issuer, String subject) {
    return insertAccount(a, conn -> releaseEmail(conn, a.email(), issuer)
        .compose(released -> released == null ? Future.<String>succeededFuture()
            : auditRelease(conn, released, issuer).compose(v -> setTenant(conn, a.tenantId())).map(released))
        .compose(released -> conn.preparedQuery("SELECT engram.register_external_user($1, $2, $3, $4)")
            .execute(Tuple.of(a.userId(), a.email(), issuer, subject))
            .map(rows -> released == null ? null : AuditEntry.of(a.tenantId(), a.origin(), "user.email_claimed",
                a.userId(), new JsonObject().put("released_from", released)))));
  }

  private static Future<String> releaseEmail(SqlConnection conn, String email, String issuer) {
    if (email == null) return Future.succeededFuture();
    return conn.preparedQuery("SELECT engram.release_unverified_email($1, $2)").execute(Tuple.of(email, issuer))
        .map(rows -> rows.iterator().next().getString(0));
  }

  /** Names each tenant of the user in turn and appends its entry (the caller names its own tenant again after). */
  private static Future<Void> auditRelease(SqlConnection conn, String userId, String issuer) {
    return conn.preparedQuery("SELECT tenant_id FROM engram.find_user($1) WHERE tenant_id IS NOT NULL")
        .execute(Tuple.of(userId))
        .compose(rows -> {
          Future<Void> chain = Future.succeededFuture();
          for (Row r : rows) {
            String tenant = r.getString(0);
            chain = chain.compose(v -> setTenant(conn, tenant)).compose(v -> appendAudit(conn, new AuditEntry(tenant,
                null, "user.email_released", userId, new JsonObject()
                .put("reason", "claimed by a verified external identity").put("issuer", issuer))));
          }
          return chain;
        });
  }

  /**
   * The tenant, its owner (written by {@code insertUser} through a definer function, and made the founding member
   * by {@code engram.add_member}), the default workspace, the first key and the audit lines, all in the new tenant's
   * transaction. {@code insertUser} may return one more audit entry for the new tenant.
   */
  private Future<Void> insertAccount(NewAccount a, Function<SqlConnection, Future<AuditEntry>> insertUser) {
    return inTenant(a.tenantId(), conn -> conn
        .preparedQuery("INSERT INTO engram.tenants (id, name, slug) VALUES ($1, $2, $3)")
        .execute(Tuple.of(a.tenantId(), a.tenantName(), a.tenantSlug()))
        .recover(err -> Future.failedFuture(uniqueViolation(err, "tenants_slug_key")
            ? ControlPlaneErrors.slugTaken(a.tenantSlug()) : err))
        .compose(v -> insertUser.apply(conn).recover(PgControlPlane::userTaken))
        .compose(extraAudit -> conn.preparedQuery("SELECT engram.add_member($1, NULL)").execute(Tuple.of(a.userId()))
            .compose(v -> conn.preparedQuery("INSERT INTO engram.workspaces (tenant_id, name) VALUES ($1, 'default')")
                .execute(Tuple.of(a.tenantId())))
            .compose(v -> insertKey(conn, a.firstKey()))
            .compose(v -> appendAudit(conn, AuditEntry.of(a.tenantId(), a.origin(), "tenant.created", a.tenantId(),
                new JsonObject().put("slug", a.tenantSlug()))))
            .compose(v -> extraAudit == null ? Future.succeededFuture() : appendAudit(conn, extraAudit))));
  }

  private static boolean uniqueViolation(Throwable err, String constraint) {
    return err instanceof PgException pg && "23505".equals(pg.getSqlState()) && constraint.equals(pg.getConstraint());
  }

  /** The two unique violations a sign-up can meet become their 409s; the transaction rolls back whole. */
  private static <T> Future<T> userTaken(Throwable err) {
    if (uniqueViolation(err, "users_email_lower_key")) return Future.failedFuture(ControlPlaneErrors.emailTaken());
    if (uniqueViolation(err, "external_identities_pkey")) {
      return Future.failedFuture(new ApiException(409, "identity_taken", "This identity already has an account."));
    }
    return Future.failedFuture(err);
  }

  @Override
  public Future<Optional<ExternalIdentity>> findIdentity(String issuer, String subject) {
    return pool.preparedQuery("SELECT user_id, tenant_id, tenant_slug, role, tenant_status, workspaces"
            + " FROM engram.find_identity($1, $2)")
        .execute(Tuple.of(issuer, subject))
        .map(rows -> {
          String userId = null;
          List<Membership> memberships = new ArrayList<>();
          for (Row r : rows) {
            userId = r.getString(0);
            if (r.getString(1) != null) {
              memberships.add(new Membership(r.getString(1), r.getString(2), r.getString(3), r.getString(4),
                  strings(r, 5)));
            }
          }
          return userId == null ? Optional.empty() : Optional.of(new ExternalIdentity(userId, List.copyOf(memberships)));
        });
  }

  @Override
  public Future<Optional<UserLogin>> findLogin(String email) {
    return userLogin("engram.find_login($1)", email);
  }

  @Override
  public Future<Optional<UserLogin>> findUser(String userId) {
    return userLogin("engram.find_user($1)", userId);
  }

  private Future<Optional<UserLogin>> userLogin(String function, String key) {
    return pool.preparedQuery("SELECT user_id, email, password_hash, token_version, tenant_id, tenant_slug, role,"
            + " tenant_status, workspaces FROM " + function)
        .execute(Tuple.of(key))
        .map(rows -> {
          Row first = null;
          List<Membership> memberships = new ArrayList<>();
          for (Row r : rows) {
            if (first == null) first = r;
            if (r.getString(4) != null) {
              memberships.add(new Membership(r.getString(4), r.getString(5), r.getString(6), r.getString(7),
                  strings(r, 8)));
            }
          }
          return first == null ? Optional.<UserLogin>empty() : Optional.of(new UserLogin(first.getString(0),
              first.getString(1), first.getString(2), first.getInteger(3), List.copyOf(memberships)));
        });
  }

  @Override
  public Future<Optional<ApiKeyRecord>> findApiKeyByHash(String keyHash) {
    return pool.preparedQuery("SELECT id, tenant_id, name, prefix, scopes, created_at, expires_at, revoked_at,"
            + " tenant_status, user_id, last_used_at, rotated_to, tenant_slug, member_role, member_workspaces"
            + " FROM engram.find_api_key($1)")
        .execute(Tuple.of(keyHash))
        .map(rows -> first(rows).map(r -> {
          ApiKeyRecord k = keyRecord(r);
          return new ApiKeyRecord(k.id(), k.tenantId(), k.name(), k.prefix(), k.scopes(), k.createdAt(),
              k.expiresAt(), k.revokedAt(), k.tenantStatus(), k.userId(), k.lastUsedAt(), k.rotatedTo(),
              r.getString(12), r.getString(13), strings(r, 14));
        }));
  }

  @Override
  public Future<Void> insertApiKey(NewApiKey key, int maxActive, Actor actor) {
    // Locking the tenant's row makes keys made at once count one after another, so the cap stays exact.
    return inTenant(key.tenantId(), conn -> lockTenant(conn, key.tenantId())
        .compose(v -> conn.preparedQuery("""
                SELECT count(*) FROM engram.api_keys
                WHERE tenant_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())""")
            .execute(Tuple.of(key.tenantId())))
        .compose(rows -> rows.iterator().next().getLong(0) >= maxActive
            ? Future.failedFuture(ControlPlane.tooManyApiKeys(maxActive))
            : insertKey(conn, key))
        .compose(v -> appendAudit(conn, AuditEntry.of(key.tenantId(), actor, "api_key.created", key.id(),
            keyDetails(key)))));
  }

  private static JsonObject keyDetails(NewApiKey key) {
    JsonObject details = new JsonObject().put("name", key.name()).put("prefix", key.prefix())
        .put("scopes", new JsonArray(key.scopes()));
    if (key.expiresAt() != null) details.put("expires_at", Timestamps.format(key.expiresAt()));
    return details;
  }

  private static Future<String> lockTenant(SqlConnection conn, String tenantId) {
    return conn.preparedQuery("SELECT status FROM engram.tenants WHERE id = $1 FOR UPDATE").execute(Tuple.of(tenantId))
        .map(rows -> first(rows).map(r -> r.getString(0)).orElse(null));
  }

  private static final String KEY_COLUMNS = """
      SELECT k.id, k.tenant_id, k.name, k.prefix, k.scopes, k.created_at, k.expires_at, k.revoked_at, t.status,
             k.user_id, k.last_used_at, k.rotated_to
      FROM engram.api_keys k JOIN engram.tenants t ON t.id = k.tenant_id""";

  @Override
  public Future<ApiKeyPage> listApiKeys(ApiKeyQuery q) {
    // The tenant filter is row-level security's; the WHERE repeats it so the index is used. The cursor key's own
    // (created_at, id) resumes the order.
    return inTenant(q.tenantId(), conn -> conn.preparedQuery(KEY_COLUMNS + """

            WHERE k.tenant_id = $1
              AND ($2::text IS NULL OR (k.created_at, k.id) > (SELECT c.created_at, c.id FROM engram.api_keys c
                                                               WHERE c.id = $2 AND c.tenant_id = $1))
              AND ($3::text[] IS NULL OR """ + WITHIN + """
            )
            ORDER BY k.created_at, k.id LIMIT $4""")
        .execute(Tuple.from(Arrays.asList(q.tenantId(), q.afterKeyId(), workspaces(q.workspaces()), q.limit() + 1)))
        .map(rows -> {
          List<ApiKeyRecord> keys = new ArrayList<>();
          rows.forEach(r -> keys.add(keyRecord(r)));
          if (keys.size() <= q.limit()) return new ApiKeyPage(List.copyOf(keys), null);
          List<ApiKeyRecord> shown = List.copyOf(keys.subList(0, q.limit()));
          return new ApiKeyPage(shown, shown.get(shown.size() - 1).id());
        }));
  }

  @Override
  public Future<Boolean> revokeApiKey(String tenantId, String keyId, List<String> workspaces, Actor actor) {
    return inTenant(tenantId, conn -> conn.preparedQuery("""
            UPDATE engram.api_keys k SET revoked_at = now()
            WHERE k.id = $1 AND k.tenant_id = $2 AND k.revoked_at IS NULL AND ($3::text[] IS NULL OR """ + WITHIN + ")")
        .execute(Tuple.from(Arrays.asList(keyId, tenantId, workspaces(workspaces))))
        .compose(rows -> rows.rowCount() == 1
            ? appendAudit(conn, AuditEntry.of(tenantId, actor, "api_key.revoked", keyId, null)).map(true)
            : Future.succeededFuture(false)));
  }

  @Override
  public Future<Optional<KeyRotation>> rotateApiKey(String tenantId, String keyId, List<String> workspaces,
                                                    NewApiKey replacement, Instant oldExpiresAt, Actor actor) {
    return inTenant(tenantId, conn -> conn.preparedQuery(KEY_COLUMNS + """

            WHERE k.id = $1 AND k.tenant_id = $2 AND k.revoked_at IS NULL
              AND (k.expires_at IS NULL OR k.expires_at > now()) AND ($3::text[] IS NULL OR """ + WITHIN + """
            )
            FOR UPDATE OF k""")
        .execute(Tuple.from(Arrays.asList(keyId, tenantId, workspaces(workspaces))))
        .compose(rows -> {
          Optional<ApiKeyRecord> found = first(rows).map(PgControlPlane::keyRecord);
          if (found.isEmpty()) return Future.succeededFuture(Optional.<KeyRotation>empty());
          ApiKeyRecord old = found.get();
          if (old.rotatedTo() != null) {
            return Future.failedFuture(ControlPlaneErrors.alreadyRotated(keyId, old.rotatedTo()));
          }
          Instant until = old.expiresAt() != null && old.expiresAt().isBefore(oldExpiresAt) ? old.expiresAt()
              : oldExpiresAt;
          NewApiKey actual = ControlPlaneErrors.replacementOf(old, replacement);
          return insertKey(conn, actual)
              .compose(v -> conn.preparedQuery("UPDATE engram.api_keys SET rotated_to = $1, expires_at = $2 WHERE id = $3")
                  .execute(Tuple.of(replacement.id(), timestamp(until), keyId)))
              .compose(v -> appendAudit(conn, AuditEntry.of(tenantId, actor, "api_key.rotated", keyId, new JsonObject()
                  .put("replaced_by", replacement.id()).put("prefix", replacement.prefix())
                  .put("old_key_expires_at", Timestamps.format(until)))))
              .compose(v -> conn.preparedQuery(KEY_COLUMNS + " WHERE k.id IN ($1, $2) ORDER BY k.id = $2")
                  .execute(Tuple.of(keyId, actual.id())))
              .map(again -> {
                List<ApiKeyRecord> both = new ArrayList<>();
                again.forEach(r -> both.add(keyRecord(r)));
                return Optional.of(new KeyRotation(both.get(0), both.get(1)));
              });
        }));
  }

  @Override
  public Future<Void> markKeysUsed(List<KeyUse> uses) {
    if (uses.isEmpty()) return Future.succeededFuture();
    // One transaction that names each tenant in turn, like a usage flush.
    return pool.withTransaction(conn -> {
      Future<Void> chain = Future.succeededFuture();
      for (String tenantId : uses.stream().map(KeyUse::tenantId).distinct().toList()) {
        List<Tuple> batch = uses.stream().filter(u -> u.tenantId().equals(tenantId))
            .map(u -> Tuple.of(timestamp(u.minute()), u.keyId())).toList();
        chain = chain.compose(v -> setTenant(conn, tenantId))
            .compose(v -> conn.preparedQuery("""
                UPDATE engram.api_keys SET last_used_at = $1
                WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)""").executeBatch(batch))
            .mapEmpty();
      }
      return chain;
    });
  }

  @Override
  public Future<Integer> auditExpiredKeys(int limit) {
    return pool.preparedQuery("SELECT id, tenant_id FROM engram.expired_api_keys($1)").execute(Tuple.of(limit))
        .compose(rows -> {
          Future<Integer> chain = Future.succeededFuture(0);
          for (Row r : rows) {
            String keyId = r.getString(0);
            String tenantId = r.getString(1);
            // Marked and audited in one transaction, only by the node whose update finds it unmarked.
            chain = chain.compose(n -> inTenant(tenantId, conn -> conn.preparedQuery("""
                    UPDATE engram.api_keys SET expiry_audited_at = now()
                    WHERE id = $1 AND expiry_audited_at IS NULL""").execute(Tuple.of(keyId))
                .compose(updated -> updated.rowCount() == 1
                    ? appendAudit(conn, AuditEntry.of(tenantId, Actor.SYSTEM, "api_key.expired", keyId, null)).map(n + 1)
                    : Future.succeededFuture(n))));
          }
          return chain;
        });
  }

  /**
   * The condition of {@link ApiKeyQuery#workspaces()} on key {@code k}, given the workspace names as {@code $3}: a
   * restriction is stored as {@code workspace:<name>} scopes (auth's Principal).
   */
  private static final String WITHIN = """
       (EXISTS (SELECT 1 FROM unnest(k.scopes) s WHERE starts_with(s, 'workspace:'))
        AND NOT EXISTS (SELECT 1 FROM unnest(k.scopes) s
                        WHERE starts_with(s, 'workspace:') AND NOT substr(s, 11) = ANY($3::text[])))""";

  private static String[] workspaces(List<String> names) {
    return names.isEmpty() ? null : names.toArray(new String[0]);
  }

  // ---- tenants ----

  private static final String TENANT_COLUMNS = "id, slug, name, plan, status, created_at, members, audit_seq, audit_head";

  @Override
  public Future<Optional<TenantRecord>> findTenant(String idOrSlug) {
    return pool.preparedQuery("SELECT " + TENANT_COLUMNS + " FROM engram.find_tenant($1)").execute(Tuple.of(idOrSlug))
        .map(rows -> first(rows).map(PgControlPlane::tenantRecord));
  }

  @Override
  public Future<TenantPage> listTenants(String afterId, int limit) {
    return pool.preparedQuery("SELECT " + TENANT_COLUMNS + " FROM engram.list_tenants($1, $2)")
        .execute(Tuple.of(afterId, limit + 1))
        .map(rows -> {
          List<TenantRecord> tenants = new ArrayList<>();
          rows.forEach(r -> tenants.add(tenantRecord(r)));
          if (tenants.size() <= limit) return new TenantPage(List.copyOf(tenants), null);
          List<TenantRecord> shown = List.copyOf(tenants.subList(0, limit));
          return new TenantPage(shown, shown.get(limit - 1).id());
        });
  }

  @Override
  public Future<Optional<String>> tenantPlan(String tenantId) {
    return inTenant(tenantId, conn -> conn.preparedQuery("SELECT plan FROM engram.tenants WHERE id = $1")
        .execute(Tuple.of(tenantId))
        .map(rows -> first(rows).map(r -> r.getString(0))));
  }

  @Override
  public Future<Boolean> setTenantPlan(String tenantId, String plan, Actor actor) {
    return inTenant(tenantId, conn -> conn.preparedQuery(
            "SELECT plan FROM engram.tenants WHERE id = $1 AND status <> 'deleted' FOR UPDATE")
        .execute(Tuple.of(tenantId))
        .compose(rows -> {
          Optional<String> from = first(rows).map(r -> r.getString(0));
          if (from.isEmpty()) return Future.succeededFuture(false);
          return conn.preparedQuery("UPDATE engram.tenants SET plan = $1, updated_at = now() WHERE id = $2")
              .execute(Tuple.of(plan, tenantId))
              .compose(v -> appendAudit(conn, AuditEntry.of(tenantId, actor, "tenant.plan_changed", tenantId,
                  new JsonObject().put("plan", plan).put("from", from.get()))))
              .map(true);
        }));
  }

  @Override
  public Future<Boolean> updateTenant(String tenantId, String name, String slug, Actor actor) {
    return inTenant(tenantId, conn -> conn.preparedQuery(
            "SELECT slug, name FROM engram.tenants WHERE id = $1 AND status <> 'deleted' FOR UPDATE")
        .execute(Tuple.of(tenantId))
        .compose(rows -> {
          Optional<Row> found = first(rows);
          if (found.isEmpty()) return Future.succeededFuture(false);
          String oldSlug = found.get().getString(0);
          String oldName = found.get().getString(1);
          Future<Void> chain = Future.succeededFuture();
          if (slug != null && !slug.equals(oldSlug)) {
            chain = chain.compose(v -> conn.preparedQuery(
                    "UPDATE engram.tenants SET slug = $1, updated_at = now() WHERE id = $2")
                .execute(Tuple.of(slug, tenantId))
                .recover(err -> Future.failedFuture(uniqueViolation(err, "tenants_slug_key")
                    ? ControlPlaneErrors.slugTaken(slug) : err))
                .compose(r -> appendAudit(conn, AuditEntry.of(tenantId, actor, "tenant.slug_changed", tenantId,
                    new JsonObject().put("from", oldSlug).put("to", slug)))));
          }
          if (name != null && !name.equals(oldName)) {
            chain = chain.compose(v -> conn.preparedQuery(
                    "UPDATE engram.tenants SET name = $1, updated_at = now() WHERE id = $2")
                .execute(Tuple.of(name, tenantId))
                .compose(r -> appendAudit(conn, AuditEntry.of(tenantId, actor, "tenant.renamed", tenantId,
                    new JsonObject().put("name", name)))));
          }
          return chain.map(true);
        }));
  }

  @Override
  public Future<Boolean> setTenantStatus(String tenantId, String status, Actor actor) {
    return inTenant(tenantId, conn -> conn.preparedQuery(
            "SELECT status FROM engram.tenants WHERE id = $1 AND status <> 'deleted' FOR UPDATE")
        .execute(Tuple.of(tenantId))
        .compose(rows -> {
          Optional<String> current = first(rows).map(r -> r.getString(0));
          if (current.isEmpty()) return Future.succeededFuture(false);
          if (current.get().equals(status)) return Future.succeededFuture(true);
          return conn.preparedQuery("UPDATE engram.tenants SET status = $1, updated_at = now() WHERE id = $2")
              .execute(Tuple.of(status, tenantId))
              .compose(v -> appendAudit(conn, AuditEntry.of(tenantId, actor,
                  "suspended".equals(status) ? "tenant.suspended" : "tenant.resumed", tenantId, null)))
              .map(true);
        }));
  }

  @Override
  public Future<Optional<List<String>>> deleteTenant(String tenantId, Actor actor) {
    return inTenant(tenantId, conn -> conn.preparedQuery(
            "SELECT slug FROM engram.tenants WHERE id = $1 AND status <> 'deleted' FOR UPDATE")
        .execute(Tuple.of(tenantId))
        .compose(rows -> {
          Optional<Row> found = first(rows);
          if (found.isEmpty()) return Future.succeededFuture(Optional.<List<String>>empty());
          String slug = found.get().getString(0);
          List<String> members = new ArrayList<>();
          long[] keys = new long[1];
          int[] forgotten = new int[1];
          Future<Void> chain = conn.preparedQuery("SELECT user_id FROM engram.tenant_members WHERE tenant_id = $1")
              .execute(Tuple.of(tenantId))
              .map(r -> {
                r.forEach(row -> members.add(row.getString(0)));
                return null;
              })
              .compose(v -> conn.preparedQuery("SELECT count(*) FROM engram.api_keys WHERE tenant_id = $1")
                  .execute(Tuple.of(tenantId)))
              .map(r -> {
                keys[0] = r.iterator().next().getLong(0);
                return null;
              });
          for (String table : List.of("api_keys", "tenant_invites", "tenant_members", "workspaces", "usage_daily",
              "usage_events", "meter_reports")) {
            chain = chain.compose(v -> conn.preparedQuery("DELETE FROM engram." + table + " WHERE tenant_id = $1")
                .execute(Tuple.of(tenantId)).mapEmpty());
          }
          chain = chain.compose(v -> conn.preparedQuery("""
                  UPDATE engram.tenants SET status = 'deleted', slug = NULL, deleted_at = now(), updated_at = now()
                  WHERE id = $1""").execute(Tuple.of(tenantId)).mapEmpty())
              .compose(v -> forget(conn, members, forgotten));
          return chain
              .compose(v -> appendAudit(conn, AuditEntry.of(tenantId, actor, "tenant.deleted", tenantId,
                  new JsonObject().put("slug", slug).put("members", members.size()).put("keys_removed", keys[0])
                      .put("users_removed", forgotten[0]))))
              .map(v -> Optional.of(List.copyOf(members)));
        }));
  }

  /** Removes each user who belongs to no tenant any more, counting them in {@code forgotten[0]}. */
  private static Future<Void> forget(SqlConnection conn, List<String> users, int[] forgotten) {
    Future<Void> chain = Future.succeededFuture();
    for (String user : users) {
      chain = chain.compose(v -> conn.preparedQuery("SELECT engram.forget_user_if_orphaned($1)").execute(Tuple.of(user))
          .map(rows -> {
            if (rows.iterator().next().getBoolean(0)) forgotten[0]++;
            return null;
          }));
    }
    return chain;
  }

  // ---- members and invites ----

  @Override
  public Future<List<Member>> listMembers(String tenantId) {
    return inTenant(tenantId, conn -> members(conn, tenantId, null));
  }

  private static Future<List<Member>> members(SqlConnection conn, String tenantId, String userId) {
    return conn.preparedQuery("""
            SELECT m.user_id, u.email, m.role, m.workspaces, m.created_at
            FROM engram.tenant_members m JOIN engram.users u ON u.id = m.user_id
            WHERE m.tenant_id = $1 AND ($2::text IS NULL OR m.user_id = $2)
            ORDER BY m.created_at, m.user_id""")
        .execute(Tuple.of(tenantId, userId))
        .map(rows -> {
          List<Member> members = new ArrayList<>();
          rows.forEach(r -> members.add(new Member(r.getString(0), r.getString(1), r.getString(2), strings(r, 3),
              instant(r.getOffsetDateTime(4)))));
          return members;
        });
  }

  @Override
  public Future<Optional<Member>> changeMember(String tenantId, String userId, String role, List<String> workspaces,
                                               Actor actor) {
    return inTenant(tenantId, conn -> members(conn, tenantId, userId).compose(found -> {
      if (found.isEmpty()) return Future.succeededFuture(Optional.<Member>empty());
      Member current = found.get(0);
      ControlPlaneErrors.checkRoleChange(current.role(), role);
      Future<Void> chain = Future.succeededFuture();
      if (role != null && !role.equals(current.role())) {
        chain = chain.compose(v -> conn.preparedQuery(
                "UPDATE engram.tenant_members SET role = $1 WHERE tenant_id = $2 AND user_id = $3")
            .execute(Tuple.of(role, tenantId, userId)))
            .compose(v -> appendAudit(conn, AuditEntry.of(tenantId, actor, "member.role_changed", userId,
                new JsonObject().put("from", current.role()).put("to", role))));
      }
      if (workspaces != null && !workspaces.equals(current.workspaces())) {
        chain = chain.compose(v -> conn.preparedQuery(
                "UPDATE engram.tenant_members SET workspaces = $1 WHERE tenant_id = $2 AND user_id = $3")
            .execute(Tuple.from(Arrays.asList(workspaces(workspaces), tenantId, userId))))
            .compose(v -> appendAudit(conn, AuditEntry.of(tenantId, actor, "member.workspaces_changed", userId,
                new JsonObject().put("workspaces", new JsonArray(workspaces)))));
      }
      return chain.compose(v -> members(conn, tenantId, userId)).map(again -> Optional.of(again.get(0)));
    }));
  }

  @Override
  public Future<Optional<List<String>>> removeMember(String tenantId, String userId, Actor actor) {
    return inTenant(tenantId, conn -> conn.preparedQuery(
            "SELECT role FROM engram.tenant_members WHERE tenant_id = $1 AND user_id = $2")
        .execute(Tuple.of(tenantId, userId))
        .compose(rows -> {
          Optional<String> role = first(rows).map(r -> r.getString(0));
          if (role.isEmpty()) return Future.succeededFuture(Optional.<List<String>>empty());
          if ("owner".equals(role.get())) return Future.failedFuture(ControlPlaneErrors.ownerRole());
          List<String> keys = new ArrayList<>();
          int[] forgotten = new int[1];
          return conn.preparedQuery("""
                  UPDATE engram.api_keys SET revoked_at = now()
                  WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id""")
              .execute(Tuple.of(tenantId, userId))
              .compose(revoked -> {
                revoked.forEach(r -> keys.add(r.getString(0)));
                return conn.preparedQuery("DELETE FROM engram.tenant_members WHERE tenant_id = $1 AND user_id = $2")
                    .execute(Tuple.of(tenantId, userId));
              })
              .compose(v -> forget(conn, List.of(userId), forgotten))
              .compose(v -> appendAudit(conn, AuditEntry.of(tenantId, actor, "member.removed", userId,
                  new JsonObject().put("role", role.get()).put("keys_revoked", new JsonArray(keys))
                      .put("account_removed", forgotten[0] == 1))))
              .map(v -> Optional.of(List.copyOf(keys)));
        }));
  }

  @Override
  public Future<Boolean> transferOwnership(String tenantId, String fromUserId, String toUserId, Actor actor) {
    return inTenant(tenantId, conn -> conn.preparedQuery("""
            SELECT user_id, role FROM engram.tenant_members WHERE tenant_id = $1 AND user_id IN ($2, $3) FOR UPDATE""")
        .execute(Tuple.of(tenantId, fromUserId, toUserId))
        .compose(rows -> {
          Map<String, String> roles = new LinkedHashMap<>();
          rows.forEach(r -> roles.put(r.getString(0), r.getString(1)));
          if (!roles.containsKey(toUserId) || !"owner".equals(roles.get(fromUserId))) {
            return Future.succeededFuture(false);
          }
          if (toUserId.equals(fromUserId)) return Future.succeededFuture(true);
          // One owner at every step (a unique index holds it): the old owner steps down first.
          return conn.preparedQuery("UPDATE engram.tenant_members SET role = 'admin' WHERE tenant_id = $1 AND user_id = $2")
              .execute(Tuple.of(tenantId, fromUserId))
              .compose(v -> conn.preparedQuery("""
                      UPDATE engram.tenant_members SET role = 'owner', workspaces = NULL
                      WHERE tenant_id = $1 AND user_id = $2""").execute(Tuple.of(tenantId, toUserId)))
              .compose(v -> appendAudit(conn, AuditEntry.of(tenantId, actor, "tenant.ownership_transferred", toUserId,
                  new JsonObject().put("from", fromUserId).put("to", toUserId)
                      .put("previous_role", roles.get(toUserId)))))
              .map(true);
        }));
  }

  private static final String PENDING_INVITES = """
      SELECT count(*) FROM engram.tenant_invites
      WHERE tenant_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()""";

  @Override
  public Future<Void> createInvite(NewInvite invite, MemberCap cap, Actor actor) {
    String tenantId = invite.tenantId();
    // The tenant's row is locked first, as an accept locks it: the cap counts one invite or accept at a time.
    return inTenant(tenantId, conn -> lockTenant(conn, tenantId)
        .compose(v -> conn.preparedQuery("SELECT (SELECT count(*) FROM engram.tenant_members WHERE tenant_id = $1) + ("
            + PENDING_INVITES + ")").execute(Tuple.of(tenantId)))
        .compose(rows -> {
          long used = rows.iterator().next().getLong(0);
          if (cap.reached(used)) return Future.failedFuture(cap.exceeded(used));
          return conn.preparedQuery("""
                  SELECT count(*) FROM engram.tenant_members m JOIN engram.users u ON u.id = m.user_id
                  WHERE m.tenant_id = $1 AND lower(u.email) = lower($2)""").execute(Tuple.of(tenantId, invite.email()));
        })
        .compose(rows -> rows.iterator().next().getLong(0) > 0
            ? Future.failedFuture(ControlPlaneErrors.alreadyMember())
            : conn.preparedQuery(PENDING_INVITES + " AND lower(email) = lower($2)")
                .execute(Tuple.of(tenantId, invite.email())))
        .compose(rows -> rows.iterator().next().getLong(0) > 0
            ? Future.failedFuture(ControlPlaneErrors.invitePending(invite.email()))
            : conn.preparedQuery("""
                    INSERT INTO engram.tenant_invites (id, tenant_id, email, role, workspaces, token_hash, created_by,
                                                       expires_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""")
                .execute(Tuple.from(Arrays.asList(invite.id(), tenantId, invite.email(), invite.role(),
                    workspaces(invite.workspaces()), invite.tokenHash(), invite.createdBy(),
                    timestamp(invite.expiresAt())))))
        .compose(v -> appendAudit(conn, AuditEntry.of(tenantId, actor, "invite.created", invite.id(), new JsonObject()
            .put("email", invite.email()).put("role", invite.role()).put("workspaces", new JsonArray(invite.workspaces()))
            .put("expires_at", Timestamps.format(invite.expiresAt()))))));
  }

  private static final String INVITE_COLUMNS =
      "id, tenant_id, email, role, workspaces, created_by, created_at, expires_at, accepted_at, revoked_at";

  @Override
  public Future<List<InviteRecord>> listInvites(String tenantId) {
    return inTenant(tenantId, conn -> conn.preparedQuery("SELECT " + INVITE_COLUMNS + """
             FROM engram.tenant_invites
            WHERE tenant_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
            ORDER BY created_at DESC, id DESC""")
        .execute(Tuple.of(tenantId))
        .map(rows -> {
          List<InviteRecord> invites = new ArrayList<>();
          rows.forEach(r -> invites.add(inviteRecord(r)));
          return invites;
        }));
  }

  @Override
  public Future<Boolean> revokeInvite(String tenantId, String inviteId, Actor actor) {
    return inTenant(tenantId, conn -> conn.preparedQuery("""
            UPDATE engram.tenant_invites SET revoked_at = now()
            WHERE id = $1 AND tenant_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()""")
        .execute(Tuple.of(inviteId, tenantId))
        .compose(rows -> rows.rowCount() == 1
            ? appendAudit(conn, AuditEntry.of(tenantId, actor, "invite.revoked", inviteId, null)).map(true)
            : Future.succeededFuture(false)));
  }

  @Override
  public Future<Optional<InviteRecord>> findInviteByTokenHash(String tokenHash) {
    return pool.preparedQuery("SELECT " + INVITE_COLUMNS + " FROM engram.find_invite($1)").execute(Tuple.of(tokenHash))
        .map(rows -> first(rows).map(PgControlPlane::inviteRecord));
  }

  /**
   * Checks what it can first, for the precise refusal; {@code engram.add_member} then checks it all again as the
   * owner (invite, email, membership, the cap named by {@code engram.member_cap}) and writes the membership.
   */
  @Override
  public Future<String> acceptInvite(InviteRecord given, NewUser newUser, String existingUserId, MemberCap cap,
                                     Actor actor) {
    String tenantId = given.tenantId();
    String userId = newUser != null ? newUser.userId() : existingUserId;
    return inTenant(tenantId, conn -> conn.preparedQuery("SELECT set_config('engram.member_cap', $1, true)")
        .execute(Tuple.of(cap.limit() == null ? "unlimited" : cap.limit().toString()))
        .compose(v -> lockTenant(conn, tenantId))
        .compose(status -> conn.preparedQuery("SELECT " + INVITE_COLUMNS + " FROM engram.tenant_invites WHERE id = $1")
            .execute(Tuple.of(given.id()))
            .map(rows -> {
              InviteRecord invite = first(rows).map(PgControlPlane::inviteRecord)
                  .orElseThrow(ControlPlaneErrors::inviteNotFound);
              ControlPlaneErrors.checkPending(invite, Instant.now());
              ControlPlaneErrors.checkJoinable(status);
              return invite;
            }))
        .compose(invite -> (newUser == null ? Future.<Void>succeededFuture()
            : conn.preparedQuery("SELECT engram.register_user($1, $2, $3)")
                .execute(Tuple.of(newUser.userId(), newUser.email(), newUser.passwordHash()))
                .recover(PgControlPlane::userTaken).<Void>mapEmpty())
            .compose(v -> conn.preparedQuery("SELECT email FROM engram.find_user($1) LIMIT 1").execute(Tuple.of(userId)))
            .compose(rows -> {
              ControlPlaneErrors.checkInviteEmail(invite, first(rows).map(r -> r.getString(0)).orElse(null));
              return conn.preparedQuery("""
                      SELECT count(*) FILTER (WHERE user_id = $2), count(*)
                      FROM engram.tenant_members WHERE tenant_id = $1""").execute(Tuple.of(tenantId, userId));
            })
            .compose(rows -> {
              Row r = rows.iterator().next();
              if (r.getLong(0) > 0) return Future.failedFuture(ControlPlaneErrors.alreadyMember());
              if (cap.reached(r.getLong(1))) return Future.failedFuture(cap.exceeded(r.getLong(1)));
              return conn.preparedQuery("SELECT engram.add_member($1, $2)").execute(Tuple.of(userId, invite.id()));
            })
            .compose(rows -> {
              String role = rows.iterator().next().getString(0);
              return appendAudit(conn, AuditEntry.of(tenantId, new Actor(userId, actor.ip(), actor.userAgent(),
                      actor.requestId()), "invite.accepted", invite.id(), new JsonObject().put("user_id", userId)
                  .put("role", role).put("new_account", newUser != null))).map(role);
            })));
  }

  @Override
  public Future<Integer> changePassword(String tenantId, String userId, String passwordHash, Actor actor) {
    return inTenant(tenantId, conn -> conn.preparedQuery("SELECT engram.set_password($1, $2)")
        .execute(Tuple.of(userId, passwordHash))
        .recover(err -> Future.failedFuture(err instanceof PgException pg && "42501".equals(pg.getSqlState())
            ? ControlPlaneErrors.noPassword() : err))
        .compose(rows -> {
          int version = rows.iterator().next().getInteger(0);
          return appendAudit(conn, AuditEntry.of(tenantId, actor, "user.password_changed", userId, null)).map(version);
        }));
  }

  // ---- usage ----

  @Override
  public Future<Optional<BillingAccount>> billingAccount(String tenantId) {
    return inTenant(tenantId, conn -> readBillingAccount(conn, tenantId));
  }

  @Override
  public Future<BillingAccount> linkBillingCustomer(String tenantId, String customerId) {
    return inTenant(tenantId, conn -> conn.preparedQuery("""
            INSERT INTO engram.billing_accounts (tenant_id, customer_id) VALUES ($1, $2)
            ON CONFLICT (tenant_id) DO NOTHING""")
        .execute(Tuple.of(tenantId, customerId))
        .compose(v -> readBillingAccount(conn, tenantId))
        .map(Optional::orElseThrow));
  }

  @Override
  public Future<Boolean> applyBillingChange(BillingChange change) {
    BillingAccount a = change.account();
    return inTenant(a.tenantId(), conn -> conn.preparedQuery("""
            INSERT INTO engram.billing_events (event_id, tenant_id, type) VALUES ($1, $2, $3)
            ON CONFLICT (event_id) DO NOTHING""")
        .execute(Tuple.of(change.eventId(), a.tenantId(), change.eventType()))
        .compose(recorded -> recorded.rowCount() == 0 ? Future.succeededFuture(false) : conn.preparedQuery("""
                INSERT INTO engram.billing_accounts AS b (tenant_id, customer_id, subscription_id, status, plan,
                  current_period_end, cancel_at_period_end, past_due_since) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (tenant_id) DO UPDATE SET customer_id = excluded.customer_id,
                  subscription_id = excluded.subscription_id, status = excluded.status, plan = excluded.plan,
                  current_period_end = excluded.current_period_end,
                  cancel_at_period_end = excluded.cancel_at_period_end, past_due_since = excluded.past_due_since,
                  updated_at = now()""")
            .execute(Tuple.tuple().addString(a.tenantId()).addString(a.customerId()).addString(a.subscriptionId())
                .addString(a.status()).addString(a.plan()).addOffsetDateTime(utc(a.currentPeriodEnd()))
                .addBoolean(a.cancelAtPeriodEnd()).addOffsetDateTime(utc(a.pastDueSince())))
            .compose(v -> appendAudit(conn, AuditEntry.of(a.tenantId(), Actor.BILLING, "billing.subscription_changed",
                a.subscriptionId(), change.auditDetails())))
            .compose(v -> conn.preparedQuery("""
                    UPDATE engram.tenants t SET plan = $1, updated_at = now()
                    FROM (SELECT plan FROM engram.tenants WHERE id = $2) old
                    WHERE t.id = $2 AND t.plan <> $1 RETURNING old.plan""")
                .execute(Tuple.of(change.tenantPlan(), a.tenantId())))
            .compose(updated -> updated.rowCount() == 0 ? Future.succeededFuture()
                : appendAudit(conn, AuditEntry.of(a.tenantId(), Actor.BILLING, "tenant.plan_changed", a.tenantId(),
                    new JsonObject().put("plan", change.tenantPlan())
                        .put("from", updated.iterator().next().getString(0)))))
            .map(true)));
  }

  @Override
  public Future<List<BillingAccount>> payingBillingAccounts() {
    return pool.preparedQuery("SELECT * FROM engram.paying_billing_accounts()").execute().map(rows -> {
      List<BillingAccount> out = new ArrayList<>();
      rows.forEach(r -> out.add(new BillingAccount(r.getString(0), r.getString(1), r.getString(2), r.getString(3),
          r.getString(4), instant(r.getOffsetDateTime(5)), r.getBoolean(6), instant(r.getOffsetDateTime(7)))));
      return out;
    });
  }

  @Override
  public Future<MeterReport> meterReport(String tenantId, String month, String metric) {
    return inTenant(tenantId, conn -> conn.preparedQuery("""
            SELECT reported, pending, pending_identifier FROM engram.meter_reports
            WHERE tenant_id = $1 AND month = $2 AND metric = $3""")
        .execute(Tuple.of(tenantId, month, metric))
        .map(rows -> first(rows).map(r -> new MeterReport(tenantId, month, metric, r.getLong(0), r.getLong(1),
                r.getString(2)))
            .orElse(new MeterReport(tenantId, month, metric, 0, null, null))));
  }

  @Override
  public Future<Boolean> claimMeterReport(String tenantId, String month, String metric, long expectedReported,
                                          long pending, String identifier) {
    return inTenant(tenantId, conn -> conn.preparedQuery("""
            INSERT INTO engram.meter_reports (tenant_id, month, metric) VALUES ($1, $2, $3)
            ON CONFLICT (tenant_id, month, metric) DO NOTHING""")
        .execute(Tuple.of(tenantId, month, metric))
        .compose(v -> conn.preparedQuery("""
                UPDATE engram.meter_reports SET pending = $1, pending_identifier = $2
                WHERE tenant_id = $3 AND month = $4 AND metric = $5 AND reported = $6 AND pending IS NULL""")
            .execute(Tuple.of(pending, identifier, tenantId, month, metric, expectedReported)))
        .map(rows -> rows.rowCount() == 1));
  }

  @Override
  public Future<Void> confirmMeterReport(String tenantId, String month, String metric, String identifier) {
    return inTenant(tenantId, conn -> conn.preparedQuery("""
            UPDATE engram.meter_reports SET reported = pending, pending = NULL, pending_identifier = NULL
            WHERE tenant_id = $1 AND month = $2 AND metric = $3 AND pending_identifier = $4""")
        .execute(Tuple.of(tenantId, month, metric, identifier))
        .mapEmpty());
  }

  private static Future<Optional<BillingAccount>> readBillingAccount(SqlConnection conn, String tenantId) {
    return conn.preparedQuery("""
            SELECT customer_id, subscription_id, status, plan, current_period_end, cancel_at_period_end,
              past_due_since FROM engram.billing_accounts WHERE tenant_id = $1""")
        .execute(Tuple.of(tenantId))
        .map(rows -> first(rows).map(r -> new BillingAccount(tenantId, r.getString(0), r.getString(1),
            r.getString(2), r.getString(3), instant(r.getOffsetDateTime(4)), r.getBoolean(5),
            instant(r.getOffsetDateTime(6)))));
  }

  private static java.time.OffsetDateTime utc(java.time.Instant instant) {
    return instant == null ? null : instant.atOffset(java.time.ZoneOffset.UTC);
  }

  @Override
  public Future<Boolean> foldUsage(String segmentId, List<UsageDay> deltas) {
    if (deltas.isEmpty()) return Future.succeededFuture(false);
    // Still one transaction: it names each tenant in turn before writing that tenant's rows.
    return pool.withTransaction(conn -> {
      Future<Boolean> chain = Future.succeededFuture(false);
      for (UsageDay d : deltas) {
        chain = chain.compose(appliedSoFar -> setTenant(conn, d.tenantId())
            // A tenant deleted meanwhile takes no row (its usage went with it); a row already there means this
            // segment was folded before.
            .compose(v -> conn.preparedQuery("""
                INSERT INTO engram.usage_events (segment_id, tenant_id, day, api_calls, memories_created, searches)
                SELECT $1, $2, $3, $4, $5, $6
                WHERE EXISTS (SELECT 1 FROM engram.tenants WHERE id = $2 AND status <> 'deleted')
                ON CONFLICT (segment_id, tenant_id, day) DO NOTHING""")
                .execute(Tuple.of(segmentId, d.tenantId(), d.day(), d.apiCalls(), d.memoriesCreated(), d.searches())))
            .compose(inserted -> inserted.rowCount() == 0 ? Future.succeededFuture(appliedSoFar)
                : conn.preparedQuery("""
                    INSERT INTO engram.usage_daily AS u (tenant_id, day, api_calls, memories_created, searches)
                    VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (tenant_id, day) DO UPDATE SET
                      api_calls = u.api_calls + excluded.api_calls,
                      memories_created = u.memories_created + excluded.memories_created,
                      searches = u.searches + excluded.searches""")
                    .execute(Tuple.of(d.tenantId(), d.day(), d.apiCalls(), d.memoriesCreated(), d.searches()))
                    .map(true)));
      }
      return chain;
    });
  }

  @Override
  public Future<List<UsageDay>> usage(String tenantId, LocalDate from, LocalDate to) {
    return inTenant(tenantId, conn -> conn.preparedQuery("""
            SELECT day, api_calls, memories_created, searches FROM engram.usage_daily
            WHERE tenant_id = $1 AND day >= $2 AND day <= $3 ORDER BY day""")
        .execute(Tuple.of(tenantId, from, to))
        .map(rows -> {
          List<UsageDay> days = new ArrayList<>();
          rows.forEach(r -> days.add(new UsageDay(tenantId, r.getLocalDate(0), r.getLong(1), r.getLong(2),
              r.getLong(3))));
          return days;
        }));
  }

  // ---- audit ----

  @Override
  public Future<Void> audit(AuditEntry entry) {
    return inTenant(entry.tenantId(), conn -> appendAudit(conn, entry));
  }

  private record Head(boolean tenantRow, long seq, String hash) {}

  /**
   * Appends an entry to its tenant's chain in the transaction of {@code conn}, which names that tenant: locks the
   * tenant's row (so appends of one tenant wait for each other, on every node), links the entry to the head the row
   * records (for a tenant without a row, to its last chained entry), and moves the head.
   */
  private static Future<Void> appendAudit(SqlConnection conn, AuditEntry e) {
    Instant at = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    return conn.preparedQuery("SELECT audit_seq, audit_head FROM engram.tenants WHERE id = $1 FOR UPDATE")
        .execute(Tuple.of(e.tenantId()))
        .compose(rows -> {
          Optional<Row> tenant = first(rows);
          if (tenant.isPresent()) {
            long seq = tenant.get().getLong(0);
            return Future.succeededFuture(new Head(true, seq, seq == 0 ? AuditChain.GENESIS : tenant.get().getString(1)));
          }
          return conn.preparedQuery("""
                  SELECT seq, hash FROM engram.audit_log WHERE tenant_id = $1 AND seq IS NOT NULL
                  ORDER BY seq DESC LIMIT 1""").execute(Tuple.of(e.tenantId()))
              .map(last -> first(last).map(r -> new Head(false, r.getLong(0), r.getString(1)))
                  .orElse(new Head(false, 0, AuditChain.GENESIS)));
        })
        .compose(head -> {
          long seq = head.seq() + 1;
          String hash = AuditChain.hash(head.hash(), seq, at, e);
          Future<?> inserted = conn.preparedQuery("""
                  INSERT INTO engram.audit_log (tenant_id, actor, action, target, details, created_at, seq, ip,
                                                user_agent, request_id, outcome, prev_hash, hash)
                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)""")
              .execute(Tuple.from(Arrays.asList(e.tenantId(), e.actor(), e.action(), e.target(), e.details(),
                  timestamp(at), seq, e.ip(), e.userAgent(), e.requestId(), e.outcome(), head.hash(), hash)));
          if (!head.tenantRow()) return inserted.mapEmpty();
          return inserted.compose(v -> conn.preparedQuery(
                  "UPDATE engram.tenants SET audit_seq = $1, audit_head = $2 WHERE id = $3")
              .execute(Tuple.of(seq, hash, e.tenantId()))).mapEmpty();
        });
  }

  @Override
  public Future<List<AuditEntry>> auditLog(String tenantId, int limit) {
    return auditPage(new AuditQuery(tenantId, null, null, null, null, null, limit, false))
        .map(page -> page.entries().stream().map(AuditRecord::entry).toList());
  }

  @Override
  public Future<AuditPage> auditPage(AuditQuery q) {
    String order = q.oldestFirst() ? "ASC" : "DESC";
    String after = q.oldestFirst() ? ">" : "<";
    return inTenant(q.tenantId(), conn -> conn.preparedQuery("""
            SELECT id, seq, created_at, tenant_id, actor, action, target, details, ip, user_agent, request_id, outcome,
                   prev_hash, hash
            FROM engram.audit_log
            WHERE tenant_id = $1 AND ($2::text IS NULL OR action = $2) AND ($3::text IS NULL OR actor = $3)
              AND ($4::timestamptz IS NULL OR created_at >= $4) AND ($5::timestamptz IS NULL OR created_at < $5)
              AND ($6::bigint IS NULL OR id %s $6)
            ORDER BY id %s LIMIT $7""".formatted(after, order))
        .execute(Tuple.from(Arrays.asList(q.tenantId(), q.action(), q.actor(), timestamp(q.from()), timestamp(q.to()),
            q.cursor(), q.limit() + 1)))
        .map(rows -> {
          List<AuditRecord> records = new ArrayList<>();
          for (Row r : rows) {
            AuditEntry entry = new AuditEntry(r.getString(3), r.getString(4), r.getString(5), r.getString(6),
                (JsonObject) r.getValue(7), r.getString(8), r.getString(9), r.getString(10), r.getString(11));
            records.add(new AuditRecord(r.getLong(0), r.getLong(1), instant(r.getOffsetDateTime(2)), entry,
                r.getString(12), r.getString(13)));
          }
          if (records.size() <= q.limit()) return new AuditPage(List.copyOf(records), null);
          List<AuditRecord> shown = List.copyOf(records.subList(0, q.limit()));
          return new AuditPage(shown, shown.get(q.limit() - 1).id());
        }));
  }

  @Override
  public Future<Void> ping() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  @Override
  public Future<Void> close() {
    return pool.close();
  }

  private static Future<Void> insertKey(SqlConnection conn, NewApiKey k) {
    return conn.preparedQuery("""
            INSERT INTO engram.api_keys (id, tenant_id, name, prefix, key_hash, scopes, created_by, expires_at, user_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""")
        .execute(Tuple.from(Arrays.asList(k.id(), k.tenantId(), k.name(), k.prefix(), k.keyHash(),
            k.scopes().toArray(new String[0]), k.createdBy(), timestamp(k.expiresAt()), k.userId())))
        .mapEmpty();
  }

  private static ApiKeyRecord keyRecord(Row r) {
    return new ApiKeyRecord(r.getString(0), r.getString(1), r.getString(2), r.getString(3),
        List.of(r.getArrayOfStrings(4)), instant(r.getOffsetDateTime(5)), instant(r.getOffsetDateTime(6)),
        instant(r.getOffsetDateTime(7)), r.getString(8), r.getString(9), instant(r.getOffsetDateTime(10)),
        r.getString(11), null, null, null);
  }

  private static TenantRecord tenantRecord(Row r) {
    return new TenantRecord(r.getString(0), r.getString(1), r.getString(2), r.getString(3), r.getString(4),
        instant(r.getOffsetDateTime(5)), r.getLong(6), r.getLong(7), r.getString(8));
  }

  private static InviteRecord inviteRecord(Row r) {
    return new InviteRecord(r.getString(0), r.getString(1), r.getString(2), r.getString(3), strings(r, 4),
        r.getString(5), instant(r.getOffsetDateTime(6)), instant(r.getOffsetDateTime(7)),
        instant(r.getOffsetDateTime(8)), instant(r.getOffsetDateTime(9)));
  }

  /** A text[] column; NULL is the empty list. */
  private static List<String> strings(Row r, int column) {
    String[] values = r.getArrayOfStrings(column);
    return values == null ? List.of() : List.of(values);
  }

  private static Optional<Row> first(RowSet<Row> rows) {
    var it = rows.iterator();
    return it.hasNext() ? Optional.of(it.next()) : Optional.empty();
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  private static OffsetDateTime timestamp(Instant i) {
    return i == null ? null : i.atOffset(ZoneOffset.UTC);
  }
}
