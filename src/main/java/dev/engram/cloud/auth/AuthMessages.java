package dev.engram.cloud.auth;

import dev.engram.cloud.bus.LocalMessage;
import dev.engram.cloud.controlplane.Actor;
import dev.engram.cloud.controlplane.ApiKeyRecord;
import dev.engram.cloud.controlplane.InviteRecord;
import dev.engram.cloud.controlplane.Member;
import dev.engram.cloud.controlplane.Membership;
import dev.engram.cloud.controlplane.TenantPage;
import dev.engram.cloud.controlplane.TenantRecord;

import java.time.Instant;
import java.util.List;

/**
 * Requests and replies of the auth verticle's addresses. Commands that change something carry {@code origin}: the
 * request's client address, user agent and request id, for the audit log.
 */
public final class AuthMessages {

  private AuthMessages() {}

  /**
   * Sent to {@code engram.auth.resolve}: a bearer credential (API key or JWT) to turn into a {@link Principal}.
   * {@code tenants} are the values of the {@code X-Engram-Tenant} and {@code X-Tenant-Slug} headers (a tenant id or
   * slug each): each must name the credential's tenant, or for a user's token a tenant the user belongs to (which it
   * then acts in); else 403 {@code tenant_mismatch}.
   */
  public record Resolve(String credential, List<String> tenants) implements LocalMessage {}

  /** Commands of {@code engram.auth.accounts}. */
  public sealed interface AccountCommand extends LocalMessage
      permits Signup, TokenSignup, Login, CreateKey, ListKeys, RevokeKey, RotateKey, AcceptInvite, ChangePassword,
      TeamCommand {}

  /** {@code tenantSlug} null: derived from the tenant name (made unique). */
  public record Signup(String email, String password, String tenantName, String tenantSlug, Actor origin)
      implements AccountCommand {}

  /** Sign-up with an external issuer's access token instead of a password. */
  public record TokenSignup(String token, String tenantName, String tenantSlug, Actor origin) implements AccountCommand {}

  public record SignupResult(String tenantId, String tenantSlug, String userId, String apiKey) implements LocalMessage {}

  /** {@code tenants}: as in {@link Resolve}, the tenant to sign in to when the user belongs to several. */
  public record Login(String email, String password, List<String> tenants, Actor origin) implements AccountCommand {}

  public record TokenResult(String accessToken, int expiresIn, String tenantId, String tenantSlug, String userId,
                            Role role) implements LocalMessage {}

  /** {@code expiresAt} null: the key never expires. */
  public record CreateKey(Principal principal, String name, List<String> scopes, Instant expiresAt, Actor origin)
      implements AccountCommand {}

  public record CreatedKey(ApiKeyRecord key, String secret) implements LocalMessage {}

  /**
   * A page of the principal's tenant's keys, oldest first, after key {@code afterKeyId} (null: from the start); a
   * workspace-restricted principal sees only keys restricted to some of its workspaces.
   */
  public record ListKeys(Principal principal, int limit, String afterKeyId) implements AccountCommand {}

  /** {@code nextAfter}: the key id the next page starts after, null on the last page. */
  public record KeyList(List<ApiKeyRecord> keys, String nextAfter) implements LocalMessage {}

  /** Revokes a key of the principal's tenant; a workspace-restricted principal only a key inside its workspaces. */
  public record RevokeKey(Principal principal, String keyId, Actor origin) implements AccountCommand {}

  /**
   * Replaces a key with a new one of the same name, scopes and workspaces; the old one keeps working
   * {@code overlapSeconds} more. {@code expiresAt}: the new key's expiry (null: none).
   */
  public record RotateKey(Principal principal, String keyId, int overlapSeconds, Instant expiresAt, Actor origin)
      implements AccountCommand {}

  public record RotatedKey(ApiKeyRecord replaced, ApiKeyRecord key, String secret) implements LocalMessage {}

  /**
   * Accepts an invite: with {@code credential} (a user's bearer token) the user joins; else with {@code email} and
   * {@code password} an account is created, or the existing account with that email (and password) joins.
   */
  public record AcceptInvite(String token, String credential, String email, String password, Actor origin)
      implements AccountCommand {}

  public record Accepted(String tenantId, String tenantSlug, String userId, Role role) implements LocalMessage {}

  /** A signed-in user's password change: a new token comes back, every other of their session tokens stops. */
  public record ChangePassword(Principal principal, String currentPassword, String newPassword, Actor origin)
      implements AccountCommand {}

  /** Members, invites, the tenant itself and the operator's commands ({@link Teams}). */
  public sealed interface TeamCommand extends AccountCommand
      permits ListMembers, ChangeMember, RemoveMember, TransferOwnership, CreateInvite, ListInvites, RevokeInvite,
      GetTenant, UpdateTenant, DeleteTenant, Me, OperatorList, OperatorGet, OperatorSetPlan, OperatorSetStatus {}

  public record ListMembers(Principal principal) implements TeamCommand {}

  public record MemberList(List<Member> members) implements LocalMessage {}

  /** {@code role}, {@code workspaces}: null for unchanged; an empty list of workspaces means every workspace. */
  public record ChangeMember(Principal principal, String userId, Role role, List<String> workspaces, Actor origin)
      implements TeamCommand {}

  public record RemoveMember(Principal principal, String userId, Actor origin) implements TeamCommand {}

  public record TransferOwnership(Principal principal, String userId, Actor origin) implements TeamCommand {}

  public record CreateInvite(Principal principal, String email, Role role, List<String> workspaces, Actor origin)
      implements TeamCommand {}

  public record CreatedInvite(InviteRecord invite, String token) implements LocalMessage {}

  public record ListInvites(Principal principal) implements TeamCommand {}

  public record InviteList(List<InviteRecord> invites) implements LocalMessage {}

  public record RevokeInvite(Principal principal, String inviteId, Actor origin) implements TeamCommand {}

  public record GetTenant(Principal principal) implements TeamCommand {}

  public record TenantView(TenantRecord tenant) implements LocalMessage {}

  /** {@code name}, {@code slug}: null for unchanged. */
  public record UpdateTenant(Principal principal, String name, String slug, Actor origin) implements TeamCommand {}

  /** {@code confirm} must be the tenant's slug. */
  public record DeleteTenant(Principal principal, String confirm, Actor origin) implements TeamCommand {}

  public record Me(Principal principal) implements TeamCommand {}

  public record MeView(String userId, String email, List<Membership> memberships) implements LocalMessage {}

  public record OperatorList(String afterId, int limit) implements TeamCommand {}

  public record TenantList(TenantPage page) implements LocalMessage {}

  public record OperatorGet(String ref) implements TeamCommand {}

  public record OperatorSetPlan(String ref, String plan, Actor origin) implements TeamCommand {}

  /** {@code status}: {@code suspended} or {@code active}. */
  public record OperatorSetStatus(String ref, String status, Actor origin) implements TeamCommand {}

  public record Done() implements LocalMessage {}
}
