package dev.engram.cloud.auth;

import dev.engram.cloud.bus.LocalMessage;

import java.util.Set;

/** Who is calling: the tenant always comes from here, never from a request's ids, headers or arguments. */
public record Principal(String tenantId, String userId, String keyId, String role, Set<String> scopes)
    implements LocalMessage {

  public boolean has(Scope scope) {
    return scopes.contains(scope.value()) || scopes.contains(Scope.ADMIN.value());
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
}
