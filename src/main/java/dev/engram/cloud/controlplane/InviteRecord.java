package dev.engram.cloud.controlplane;

import java.time.Instant;
import java.util.List;

/** A stored invite (no token). */
public record InviteRecord(String id, String tenantId, String email, String role, List<String> workspaces,
                           String createdBy, Instant createdAt, Instant expiresAt, Instant acceptedAt,
                           Instant revokedAt) {

  public InviteRecord {
    workspaces = workspaces == null ? List.of() : List.copyOf(workspaces);
  }

  /** {@code accepted}, {@code revoked}, {@code expired} or {@code pending}. */
  public String state(Instant now) {
    if (acceptedAt != null) return "accepted";
    if (revokedAt != null) return "revoked";
    if (!expiresAt.isAfter(now)) return "expired";
    return "pending";
  }
}
