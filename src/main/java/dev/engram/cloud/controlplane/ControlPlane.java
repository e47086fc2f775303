package dev.engram.cloud.controlplane;

import dev.engram.cloud.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

/**
 * The control-plane port: tenants, users, members, API keys, usage and audit. The embedded default keeps
 * them in SQLite; production keeps them in PostgreSQL. Both satisfy the same contract tests.
 * Every method is asynchronous and never blocks the calling event loop.
 */
public interface ControlPlane {

  /** Creates the tenant, its owner, the default workspace and the first API key in one transaction. Fails 409 on a taken email. */
  Future<Void> createAccount(NewAccount account);

  /**
   * Like {@link #createAccount}, for a user who signs in through an external issuer: {@code passwordHash} is null,
   * {@code email} (one the issuer verified) may be null, and the new user is linked to {@code (issuer, subject)}.
   * A verified email wins over an unverified one: if a user who signed up with a password (and has no external
   * identity) holds the email, it is taken from that user first, audited as {@code user.email_released} in that
   * user's tenants and {@code user.email_claimed} in the new one. Fails 409 {@code identity_taken} when the subject
   * is already linked, 409 {@code email_taken} when another external identity's user holds the email; either way
   * nothing is written.
   */
  Future<Void> createAccountWithIdentity(NewAccount account, String issuer, String subject);

  /** The user linked to {@code (issuer, subject)} with their memberships; empty for a subject never linked. */
  Future<Optional<ExternalIdentity>> findIdentity(String issuer, String subject);

  Future<Optional<UserLogin>> findLogin(String email);

  Future<Optional<ApiKeyRecord>> findApiKeyByHash(String keyHash);

  /**
   * Stores a key and audits it, unless the tenant already holds {@code maxActive} active keys (neither revoked nor
   * expired): then fails with {@link #tooManyApiKeys} and writes nothing. Exact when keys are made at once.
   */
  Future<Void> insertApiKey(NewApiKey key, int maxActive);

  /** One page of the tenant's keys, revoked ones included; see {@link ApiKeyQuery}. */
  Future<ApiKeyPage> listApiKeys(ApiKeyQuery query);

  /**
   * Revokes a live key of this tenant; with {@code workspaces} not empty, only a key restricted to some of them (as
   * in {@link ApiKeyQuery}). False when there is no such key, and nothing changes.
   */
  Future<Boolean> revokeApiKey(String tenantId, String keyId, List<String> workspaces);

  /** 409: the tenant's active keys are at the cap; revoking one makes room. */
  static ApiException tooManyApiKeys(int limit) {
    return new ApiException(409, "too_many_api_keys", "A tenant may hold at most " + limit
        + " active API keys; revoke one to make another.", new JsonObject().put("limit", limit));
  }

  /** The tenant's plan name ({@code tenants.plan}); empty when there is no such tenant. */
  Future<Optional<String>> tenantPlan(String tenantId);

  /**
   * Puts the tenant on {@code plan} (an operator's or billing's change; the name is checked by the caller against
   * the configured plans) and audits it. False when there is no such tenant.
   */
  Future<Boolean> setTenantPlan(String tenantId, String plan);

  /** The tenant's billing account; empty before its first checkout. */
  Future<Optional<BillingAccount>> billingAccount(String tenantId);

  /**
   * Links the tenant to its Stripe customer unless it has one already (a customer is created once per tenant and
   * reused); returns the stored account either way.
   */
  Future<BillingAccount> linkBillingCustomer(String tenantId, String customerId);

  /**
   * Applies one Stripe event once, in one transaction: records its id (an id recorded before: false, nothing
   * changes), stores the account's new state (audited {@code billing.subscription_changed}) and, when the plan
   * differs, puts the tenant on it (audited {@code tenant.plan_changed}, as an operator's change is).
   */
  Future<Boolean> applyBillingChange(BillingChange change);

  /** Every tenant whose subscription pays for a plan (active, trialing or past due), for the overage report. */
  Future<List<BillingAccount>> payingBillingAccounts();

  /** The tenant's overage report position for the month and metric (all zero before the first report). */
  Future<MeterReport> meterReport(String tenantId, String month, String metric);

  /**
   * Claims the next report: sets {@code pending} and its identifier, if the position still says
   * {@code expectedReported} and nothing is pending. False when another node claimed first (nothing changes).
   */
  Future<Boolean> claimMeterReport(String tenantId, String month, String metric, long expectedReported, long pending,
                                   String identifier);

  /** After Stripe accepted the pending report with {@code identifier}: it becomes the reported total. */
  Future<Void> confirmMeterReport(String tenantId, String month, String metric, String identifier);

  /**
   * Folds one spool segment's usage (per tenant and day) into the daily counters and records it in
   * {@code usage_events} under {@code segmentId}, in one transaction. Idempotent: a segment folded before adds
   * nothing (false); a tenant that no longer exists is skipped.
   */
  Future<Boolean> foldUsage(String segmentId, List<UsageDay> deltas);

  Future<List<UsageDay>> usage(String tenantId, LocalDate from, LocalDate to);

  Future<Void> audit(AuditEntry entry);

  /** The tenant's latest audit entries, newest first. */
  Future<List<AuditEntry>> auditLog(String tenantId, int limit);

  /** Cheap round trip for the readiness check. */
  Future<Void> ping();

  Future<Void> close();
}
