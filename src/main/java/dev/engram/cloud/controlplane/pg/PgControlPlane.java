package dev.engram.cloud.controlplane.pg;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.controlplane.ApiKeyPage;
import dev.engram.cloud.controlplane.ApiKeyQuery;
import dev.engram.cloud.controlplane.ApiKeyRecord;
import dev.engram.cloud.controlplane.AuditEntry;
import dev.engram.cloud.controlplane.BillingAccount;
import dev.engram.cloud.controlplane.BillingChange;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.ExternalIdentity;
import dev.engram.cloud.controlplane.MeterReport;
import dev.engram.cloud.controlplane.ExternalIdentity.Membership;
import dev.engram.cloud.controlplane.NewAccount;
import dev.engram.cloud.controlplane.NewApiKey;
import dev.engram.cloud.controlplane.UsageDay;
import dev.engram.cloud.controlplane.UserLogin;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Control plane in PostgreSQL. The pool connects as the application role, which owns nothing and cannot bypass
 * row-level security: every tenant transaction first names its tenant with
 * {@code set_config('engram.tenant_id', $1, true)}, and the only cross-tenant reads (key by hash, login by
 * email, identity by issuer and subject), the user insert of a sign-up, its founding membership and the release of
 * an unverified email go through the owner's SECURITY DEFINER functions (db/pg/V1.sql, V2.sql, V3.sql).
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
   * A verified email is first taken from a password account that holds it ({@code engram.release_unverified_email},
   * which audits that in the password account's tenants); the new tenant's audit log then says so too.
   */
  @Override
  public Future<Void> createAccountWithIdentity(NewAccount a, String issuer, String subject) {
    return insertAccount(a, conn -> releaseEmail(conn, a.email(), issuer)
        .compose(released -> conn.preparedQuery("SELECT engram.register_external_user($1, $2, $3, $4)")
            .execute(Tuple.of(a.userId(), a.email(), issuer, subject))
            .map(rows -> released == null ? null : new AuditEntry(a.tenantId(), a.userId(), "user.email_claimed",
                a.userId(), new JsonObject().put("released_from", released)))));
  }

  private static Future<String> releaseEmail(SqlConnection conn, String email, String issuer) {
    if (email == null) return Future.succeededFuture();
    return conn.preparedQuery("SELECT engram.release_unverified_email($1, $2)").execute(Tuple.of(email, issuer))
        .map(rows -> rows.iterator().next().getString(0));
  }

  /**
   * The tenant, its owner (written by {@code insertUser} through a definer function, and made the founding member
   * by {@code engram.add_member}), the default workspace, the first key and the audit lines, all in the new tenant's
   * transaction. {@code insertUser} may return one more audit entry for the new tenant.
   */
  private Future<Void> insertAccount(NewAccount a, Function<SqlConnection, Future<AuditEntry>> insertUser) {
    return inTenant(a.tenantId(), conn -> conn
        .preparedQuery("INSERT INTO engram.tenants (id, name) VALUES ($1, $2)")
        .execute(Tuple.of(a.tenantId(), a.tenantName()))
        .compose(v -> insertUser.apply(conn).recover(PgControlPlane::userTaken))
        .compose(extraAudit -> conn.preparedQuery("SELECT engram.add_member($1, NULL)").execute(Tuple.of(a.userId()))
            .compose(v -> conn.preparedQuery("INSERT INTO engram.workspaces (tenant_id, name) VALUES ($1, 'default')")
                .execute(Tuple.of(a.tenantId())))
            .compose(v -> insertKey(conn, a.firstKey()))
            .compose(v -> insertAudit(conn, new AuditEntry(a.tenantId(), a.userId(), "tenant.created", a.tenantId(),
                null)))
            .compose(v -> extraAudit == null ? Future.succeededFuture() : insertAudit(conn, extraAudit))));
  }

  /** The two unique violations a sign-up can meet become their 409s; the transaction rolls back whole. */
  private static <T> Future<T> userTaken(Throwable err) {
    if (err instanceof PgException pg && "23505".equals(pg.getSqlState())) {
      if ("users_email_lower_key".equals(pg.getConstraint())) {
        return Future.failedFuture(new ApiException(409, "email_taken", "An account with this email already exists."));
      }
      if ("external_identities_pkey".equals(pg.getConstraint())) {
        return Future.failedFuture(new ApiException(409, "identity_taken", "This identity already has an account."));
      }
    }
    return Future.failedFuture(err);
  }

  @Override
  public Future<Optional<ExternalIdentity>> findIdentity(String issuer, String subject) {
    return pool.preparedQuery("SELECT user_id, tenant_id, role, tenant_status FROM engram.find_identity($1, $2)")
        .execute(Tuple.of(issuer, subject))
        .map(rows -> {
          String userId = null;
          List<Membership> memberships = new ArrayList<>();
          for (Row r : rows) {
            userId = r.getString(0);
            if (r.getString(1) != null) memberships.add(new Membership(r.getString(1), r.getString(2), r.getString(3)));
          }
          return userId == null ? Optional.empty() : Optional.of(new ExternalIdentity(userId, List.copyOf(memberships)));
        });
  }

  @Override
  public Future<Optional<UserLogin>> findLogin(String email) {
    return pool.preparedQuery("SELECT user_id, email, password_hash, tenant_id, role, tenant_status"
            + " FROM engram.find_login($1)")
        .execute(Tuple.of(email))
        .map(rows -> first(rows).map(r -> new UserLogin(r.getString(0), r.getString(1), r.getString(2),
            r.getString(3), r.getString(4), r.getString(5))));
  }

  @Override
  public Future<Optional<ApiKeyRecord>> findApiKeyByHash(String keyHash) {
    return pool.preparedQuery("SELECT id, tenant_id, name, prefix, scopes, created_at, expires_at, revoked_at,"
            + " tenant_status FROM engram.find_api_key($1)")
        .execute(Tuple.of(keyHash))
        .map(rows -> first(rows).map(PgControlPlane::keyRecord));
  }

  @Override
  public Future<Void> insertApiKey(NewApiKey key, int maxActive) {
    // Locking the tenant's row makes keys made at once count one after another, so the cap stays exact.
    return inTenant(key.tenantId(), conn -> conn
        .preparedQuery("SELECT id FROM engram.tenants WHERE id = $1 FOR UPDATE").execute(Tuple.of(key.tenantId()))
        .compose(v -> conn.preparedQuery("""
                SELECT count(*) FROM engram.api_keys
                WHERE tenant_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())""")
            .execute(Tuple.of(key.tenantId())))
        .compose(rows -> rows.iterator().next().getLong(0) >= maxActive
            ? Future.failedFuture(ControlPlane.tooManyApiKeys(maxActive))
            : insertKey(conn, key))
        .compose(v -> insertAudit(conn, new AuditEntry(key.tenantId(), key.createdBy(), "api_key.created", key.id(),
            null))));
  }

  @Override
  public Future<ApiKeyPage> listApiKeys(ApiKeyQuery q) {
    // The tenant filter is row-level security's; the WHERE repeats it so the index is used. The cursor key's own
    // (created_at, id) resumes the order.
    return inTenant(q.tenantId(), conn -> conn.preparedQuery("""
            SELECT k.id, k.tenant_id, k.name, k.prefix, k.scopes, k.created_at, k.expires_at, k.revoked_at, t.status
            FROM engram.api_keys k JOIN engram.tenants t ON t.id = k.tenant_id
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
  public Future<Boolean> revokeApiKey(String tenantId, String keyId, List<String> workspaces) {
    return inTenant(tenantId, conn -> conn.preparedQuery("""
            UPDATE engram.api_keys k SET revoked_at = now()
            WHERE k.id = $1 AND k.tenant_id = $2 AND k.revoked_at IS NULL AND ($3::text[] IS NULL OR """ + WITHIN + ")")
        .execute(Tuple.from(Arrays.asList(keyId, tenantId, workspaces(workspaces))))
        .compose(rows -> rows.rowCount() == 1
            ? insertAudit(conn, new AuditEntry(tenantId, null, "api_key.revoked", keyId, null)).map(true)
            : Future.succeededFuture(false)));
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

  @Override
  public Future<Optional<String>> tenantPlan(String tenantId) {
    return inTenant(tenantId, conn -> conn.preparedQuery("SELECT plan FROM engram.tenants WHERE id = $1")
        .execute(Tuple.of(tenantId))
        .map(rows -> first(rows).map(r -> r.getString(0))));
  }

  @Override
  public Future<Boolean> setTenantPlan(String tenantId, String plan) {
    return inTenant(tenantId, conn -> conn.preparedQuery(
            "UPDATE engram.tenants SET plan = $1, updated_at = now() WHERE id = $2")
        .execute(Tuple.of(plan, tenantId))
        .compose(rows -> rows.rowCount() == 1
            ? insertAudit(conn, new AuditEntry(tenantId, null, "tenant.plan_changed", tenantId,
                new JsonObject().put("plan", plan))).map(true)
            : Future.succeededFuture(false)));
  }

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
            .compose(v -> insertAudit(conn, new AuditEntry(a.tenantId(), null, "billing.subscription_changed",
                a.subscriptionId(), change.auditDetails())))
            .compose(v -> conn.preparedQuery(
                    "UPDATE engram.tenants SET plan = $1, updated_at = now() WHERE id = $2 AND plan <> $1")
                .execute(Tuple.of(change.tenantPlan(), a.tenantId())))
            .compose(updated -> updated.rowCount() == 0 ? Future.succeededFuture()
                : insertAudit(conn, new AuditEntry(a.tenantId(), null, "tenant.plan_changed", a.tenantId(),
                    new JsonObject().put("plan", change.tenantPlan()).put("by", "billing"))))
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
            // A tenant deleted meanwhile takes no row; a row already there means this segment was folded before.
            .compose(v -> conn.preparedQuery("""
                INSERT INTO engram.usage_events (segment_id, tenant_id, day, api_calls, memories_created, searches)
                SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM engram.tenants WHERE id = $2)
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

  @Override
  public Future<Void> audit(AuditEntry entry) {
    return inTenant(entry.tenantId(), conn -> insertAudit(conn, entry));
  }

  @Override
  public Future<List<AuditEntry>> auditLog(String tenantId, int limit) {
    return inTenant(tenantId, conn -> conn.preparedQuery("""
            SELECT actor, action, target, details FROM engram.audit_log
            WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2""")
        .execute(Tuple.of(tenantId, limit))
        .map(rows -> {
          List<AuditEntry> entries = new ArrayList<>();
          rows.forEach(r -> entries.add(new AuditEntry(tenantId, r.getString(0), r.getString(1), r.getString(2),
              (JsonObject) r.getValue(3))));
          return entries;
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
            INSERT INTO engram.api_keys (id, tenant_id, name, prefix, key_hash, scopes, created_by, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""")
        .execute(Tuple.from(Arrays.asList(k.id(), k.tenantId(), k.name(), k.prefix(), k.keyHash(),
            k.scopes().toArray(new String[0]), k.createdBy(), timestamp(k.expiresAt()))))
        .mapEmpty();
  }

  private static Future<Void> insertAudit(SqlConnection conn, AuditEntry e) {
    return conn.preparedQuery("""
            INSERT INTO engram.audit_log (tenant_id, actor, action, target, details) VALUES ($1, $2, $3, $4, $5)""")
        .execute(Tuple.from(Arrays.asList(e.tenantId(), e.actor(), e.action(), e.target(),
            e.details() == null ? new JsonObject() : e.details())))
        .mapEmpty();
  }

  private static ApiKeyRecord keyRecord(Row r) {
    return new ApiKeyRecord(r.getString(0), r.getString(1), r.getString(2), r.getString(3),
        List.of(r.getArrayOfStrings(4)), instant(r.getOffsetDateTime(5)), instant(r.getOffsetDateTime(6)),
        instant(r.getOffsetDateTime(7)), r.getString(8));
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
