package dev.engram.cloud.auth;

import dev.engram.cloud.bus.LocalMessage;
import dev.engram.cloud.controlplane.ApiKeyRecord;

import java.util.List;

/** Requests and replies of the auth verticle's addresses. */
public final class AuthMessages {

  private AuthMessages() {}

  /**
   * Sent to {@code engram.auth.resolve}: a bearer credential (API key or JWT) to turn into a {@link Principal}.
   * {@code tenant} is the {@code X-Engram-Tenant} header (or null): it only chooses among the tenants an external
   * issuer's user is a member of; API keys and the server's own tokens are bound to one tenant and ignore it.
   */
  public record Resolve(String credential, String tenant) implements LocalMessage {}

  /** Commands of {@code engram.auth.accounts}. */
  public sealed interface AccountCommand extends LocalMessage
      permits Signup, TokenSignup, Login, CreateKey, ListKeys, RevokeKey {}

  public record Signup(String email, String password, String tenantName) implements AccountCommand {}

  /** Sign-up with an external issuer's access token instead of a password. */
  public record TokenSignup(String token, String tenantName) implements AccountCommand {}

  public record SignupResult(String tenantId, String userId, String apiKey) implements LocalMessage {}

  public record Login(String email, String password) implements AccountCommand {}

  public record TokenResult(String accessToken, int expiresIn) implements LocalMessage {}

  public record CreateKey(Principal principal, String name, List<String> scopes) implements AccountCommand {}

  public record CreatedKey(ApiKeyRecord key, String secret) implements LocalMessage {}

  /**
   * A page of the principal's tenant's keys, oldest first, after key {@code afterKeyId} (null: from the start); a
   * workspace-restricted principal sees only keys restricted to some of its workspaces.
   */
  public record ListKeys(Principal principal, int limit, String afterKeyId) implements AccountCommand {}

  /** {@code nextAfter}: the key id the next page starts after, null on the last page. */
  public record KeyList(List<ApiKeyRecord> keys, String nextAfter) implements LocalMessage {}

  /** Revokes a key of the principal's tenant; a workspace-restricted principal only a key inside its workspaces. */
  public record RevokeKey(Principal principal, String keyId) implements AccountCommand {}

  public record Done() implements LocalMessage {}
}
