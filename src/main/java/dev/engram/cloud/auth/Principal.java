package dev.engram.cloud.auth;

import dev.engram.cloud.bus.LocalMessage;

import java.util.Set;

/**
 * Who is calling: the tenant always comes from here, never from a request's ids, headers or arguments. A signed-in
 * user acts with their role in the tenant; an API key ({@code keyId} set) with its scopes, never more than its
 * member's ({@code userId}) role allows.
 */
public record Principal(String tenantId, String tenantSlug, String userId, String keyId, String keyPrefix, Role role,
                        Set<String> scopes) implements LocalMessage {

  public boolean has(Scope scope) {
    return scopes.contains(scope.value()) || scopes.contains(Scope.ADMIN.value());
  }

  public boolean isKey() {
    return keyId != null;
  }

  /** Prefix of the scopes that restrict an API key to one workspace each. */
  public static final String WORKSPACE_SCOPE = "workspace:";

  /** The workspaces this credential is restricted to; empty means every workspace of the tenant. */
  public Set<String> workspaces() {
    Set<String> names = new java.util.TreeSet<>();
    for (String scope : scopes) {
      if (scope.startsWith(WORKSPACE_SCOPE)) names.add(scope.substring(WORKSPACE_SCOPE.length()));
    }
    return names;
  }

  /** The rate-limit subject: the key, or the user for a signed-in session. */
  public String subject() {
    return keyId != null ? keyId : userId;
  }

  /** The actor of an audit entry: the key's display prefix, or the signed-in user. */
  public String actor() {
    return keyId != null ? keyPrefix : userId;
  }

  /** True when {@code name} is this principal's tenant id or slug. */
  public boolean names(String name) {
    return tenantId.equals(name) || name.equals(tenantSlug);
  }
}
