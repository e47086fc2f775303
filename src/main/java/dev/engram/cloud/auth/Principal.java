package dev.engram.cloud.auth;

import dev.engram.cloud.bus.LocalMessage;

import java.util.Set;

/** Who is calling: the tenant always comes from here, never from a request's ids, headers or arguments. */
public record Principal(String tenantId, String userId, String keyId, String role, Set<String> scopes)
    implements LocalMessage {

  public boolean has(Scope scope) {
    return scopes.contains(scope.value()) || scopes.contains(Scope.ADMIN.value());
  }

  /** The rate-limit subject: the key, or the user for a signed-in session. */
  public String subject() {
    return keyId != null ? keyId : userId;
  }
}
