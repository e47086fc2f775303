package dev.engram.cloud.controlplane;

import java.time.Instant;
import java.util.List;

/**
 * A stored API key as the control plane knows it (no secret). {@code userId} is the member whose rights bound the key;
 * {@code rotatedTo} the key that replaced it. A lookup by hash also fills {@code tenantSlug}, and {@code memberRole}
 * and {@code memberWorkspaces}: that member's role and workspaces now (role null when the user is no longer a
 * member); listings leave those three null.
 */
public record ApiKeyRecord(String id, String tenantId, String name, String prefix, List<String> scopes,
                           Instant createdAt, Instant expiresAt, Instant revokedAt, String tenantStatus,
                           String userId, Instant lastUsedAt, String rotatedTo, String tenantSlug, String memberRole,
                           List<String> memberWorkspaces) {

  /** {@code revoked}, {@code expired}, {@code rotating} (replaced; works until {@code expiresAt}) or {@code active}. */
  public String state(Instant now) {
    if (revokedAt != null) return "revoked";
    if (expiresAt != null && !expiresAt.isAfter(now)) return "expired";
    if (rotatedTo != null) return "rotating";
    return "active";
  }
}
