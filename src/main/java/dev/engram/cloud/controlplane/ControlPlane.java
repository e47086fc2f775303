package dev.engram.cloud.controlplane;

import dev.engram.cloud.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

/**
 * The control-plane port: tenants, users, members, invites, API keys, usage and audit. The embedded default keeps
 * them in SQLite; production keeps them in PostgreSQL. Both satisfy the same contract tests.
 * Every method is asynchronous and never blocks the calling event loop. Every change is audited in the same
 * transaction, in the tenant's hash chain ({@link AuditChain}); {@code actor} says who made it and from where.
 */
public interface ControlPlane {

  /**
   * Creates the tenant, its owner, the default workspace and the first API key in one transaction. Fails 409
   * {@code email_taken} on a taken email, {@code slug_taken} on a taken slug.
   */
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

  /** The user with this email (any case), with every tenant they belong to. */
  Future<Optional<UserLogin>> findLogin(String email);

  /** The user with this id, with every tenant they belong to. */
  Future<Optional<UserLogin>> findUser(String userId);

  Future<Optional<ApiKeyRecord>> findApiKeyByHash(String keyHash);

  /**
   * Stores a key and audits it, unless the tenant already holds {@code maxActive} active keys (neither revoked nor
   * expired): then fails with {@link #tooManyApiKeys} and writes nothing. Exact when keys are made at once.
   */
  Future<Void> insertApiKey(NewApiKey key, int maxActive, Actor actor);

  default Future<Void> insertApiKey(NewApiKey key, int maxActive) {
    return insertApiKey(key, maxActive, Actor.of(key.createdBy()));
  }

  /** One page of the tenant's keys, revoked ones included; see {@link ApiKeyQuery}. */
  Future<ApiKeyPage> listApiKeys(ApiKeyQuery query);

  /**
   * Revokes a live key of this tenant; with {@code workspaces} not empty, only a key restricted to some of them (as
   * in {@link ApiKeyQuery}). False when there is no such key, and nothing changes.
   */
  Future<Boolean> revokeApiKey(String tenantId, String keyId, List<String> workspaces, Actor actor);

  default Future<Boolean> revokeApiKey(String tenantId, String keyId, List<String> workspaces) {
    return revokeApiKey(tenantId, keyId, workspaces, Actor.SYSTEM);
  }

  /**
   * Rotates a live key of this tenant (within {@code workspaces}, as for a revocation): stores a new key with
   * {@code replacement}'s id, prefix, hash, maker and expiry and the old key's name, scopes and member (not counted
   * against the key cap: it takes the old key's place), and makes the old key expire at {@code oldExpiresAt} unless
   * it expires sooner; audited. Returns both keys as they now are; empty when there is no such live key. Fails 409
   * {@code already_rotated} when the key was rotated already.
   */
  Future<Optional<KeyRotation>> rotateApiKey(String tenantId, String keyId, List<String> workspaces,
                                              NewApiKey replacement, Instant oldExpiresAt, Actor actor);

  /** Sets {@code last_used_at} of each key to its minute, unless it already holds a later one. */
  Future<Void> markKeysUsed(List<KeyUse> uses);

  /**
   * Audits {@code api_key.expired} once for up to {@code limit} keys that have expired (and were not revoked) since
   * the last call, on any node; returns how many were audited.
   */
  Future<Integer> auditExpiredKeys(int limit);

  /** 409: the tenant's active keys are at the cap; revoking one makes room. */
  static ApiException tooManyApiKeys(int limit) {
    return new ApiException(409, "too_many_api_keys", "A tenant may hold at most " + limit
        + " active API keys; revoke one to make another.", new JsonObject().put("limit", limit));
  }

  // ---- tenants ----

  /** The tenant with this id or slug (a deleted one too). */
  Future<Optional<TenantRecord>> findTenant(String idOrSlug);

  /** Tenants in creation order after {@code afterId} (null: from the first), deleted ones included. */
  Future<TenantPage> listTenants(String afterId, int limit);

  /** The tenant's plan name ({@code tenants.plan}); empty when there is no such tenant. */
  Future<Optional<String>> tenantPlan(String tenantId);

  /**
   * Puts the tenant on {@code plan} (an operator's or billing's change; the name is checked by the caller against
   * the configured plans) and audits it. False when there is no such tenant.
   */
  Future<Boolean> setTenantPlan(String tenantId, String plan, Actor actor);

  default Future<Boolean> setTenantPlan(String tenantId, String plan) {
    return setTenantPlan(tenantId, plan, Actor.SYSTEM);
  }

  /**
   * Renames the tenant and/or changes its slug (null: unchanged), audited; the old slug names nothing any more.
   * False when there is no such live tenant; 409 {@code slug_taken}.
   */
  Future<Boolean> updateTenant(String tenantId, String name, String slug, Actor actor);

  /** Suspends ({@code suspended}) or resumes ({@code active}) a live tenant, audited. False when there is none. */
  Future<Boolean> setTenantStatus(String tenantId, String status, Actor actor);

  /**
   * Deletes a tenant: its keys, invites, memberships, workspaces and usage go, and so do users left in no tenant; the
   * tenant's row stays as a tombstone (status {@code deleted}, slug given up) with its audit chain, which gets a
   * {@code tenant.deleted} entry. Returns the users who were its members; empty when there is no such live tenant.
   */
  Future<Optional<List<String>>> deleteTenant(String tenantId, Actor actor);

  // ---- members and invites ----

  /** The tenant's members, oldest first. */
  Future<List<Member>> listMembers(String tenantId);

  /**
   * Changes a member's role and/or workspaces (null: unchanged; an empty list: every workspace), audited. Never the
   * owner's role, and never to owner (see {@link #transferOwnership}): 409 {@code owner_role}. Empty when the user is
   * not a member.
   */
  Future<Optional<Member>> changeMember(String tenantId, String userId, String role, List<String> workspaces,
                                        Actor actor);

  /**
   * Removes a member (never the owner: 409 {@code owner_role}), revokes the API keys that act for them, and removes
   * the user if they belong to no tenant any more; audited. Returns the revoked keys' ids; empty when the user is
   * not a member.
   */
  Future<Optional<List<String>>> removeMember(String tenantId, String userId, Actor actor);

  /** Makes member {@code toUserId} the owner and the current owner an admin, audited. False when not a member. */
  Future<Boolean> transferOwnership(String tenantId, String fromUserId, String toUserId, Actor actor);

  /**
   * Stores an invite, unless the tenant's members and pending invites together reach {@code cap} (402) or the email
   * is a member's (409 {@code already_a_member}) or has a pending invite (409 {@code invite_pending}); audited.
   */
  Future<Void> createInvite(NewInvite invite, MemberCap cap, Actor actor);

  /** The tenant's pending invites, newest first. */
  Future<List<InviteRecord>> listInvites(String tenantId);

  /** Revokes a pending invite, audited. False when there is no such pending invite. */
  Future<Boolean> revokeInvite(String tenantId, String inviteId, Actor actor);

  Future<Optional<InviteRecord>> findInviteByTokenHash(String tokenHash);

  /**
   * Accepts a pending invite: creates {@code newUser} if given (409 {@code email_taken}), then makes the user (that new
   * one, or {@code existingUserId}) a member with the invite's role and workspaces, unless the tenant is at its
   * member {@code cap} (402), the user is a member already (409 {@code already_a_member}) or the invite is no longer
   * pending (410 {@code invite_expired}, 409 {@code invite_used}, 404 {@code invite_not_found}); audited. Returns the
   * role.
   */
  Future<String> acceptInvite(InviteRecord invite, NewUser newUser, String existingUserId, MemberCap cap, Actor actor);

  /**
   * Sets a user's password hash and raises their token version (their session tokens stop), audited in
   * {@code tenantId}. Returns the new version.
   */
  Future<Integer> changePassword(String tenantId, String userId, String passwordHash, Actor actor);

  // ---- usage ----

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

  // ---- audit ----

  /** Appends an entry to its tenant's chain. */
  Future<Void> audit(AuditEntry entry);

  /** The tenant's latest audit entries, newest first. */
  Future<List<AuditEntry>> auditLog(String tenantId, int limit);

  Future<AuditPage> auditPage(AuditQuery query);

  /** Cheap round trip for the readiness check. */
  Future<Void> ping();

  Future<Void> close();
}
