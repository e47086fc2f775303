package dev.engram.cloud.controlplane;

import java.util.List;

/**
 * One tenant a user belongs to: the tenant, its slug, the user's role in it, the tenant's status, and the workspaces
 * the member is restricted to (empty: every workspace).
 */
public record Membership(String tenantId, String tenantSlug, String role, String tenantStatus, List<String> workspaces) {

  public Membership {
    workspaces = workspaces == null ? List.of() : List.copyOf(workspaces);
  }

  /** True when {@code name} is this tenant's id or slug. */
  public boolean names(String name) {
    return tenantId.equals(name) || name.equals(tenantSlug);
  }
}
