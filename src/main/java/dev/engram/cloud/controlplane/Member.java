package dev.engram.cloud.controlplane;

import java.time.Instant;
import java.util.List;

/** A member of a tenant: its user, email (null for an external identity without one), role and workspaces. */
public record Member(String userId, String email, String role, List<String> workspaces, Instant joinedAt) {

  public Member {
    workspaces = workspaces == null ? List.of() : List.copyOf(workspaces);
  }
}
