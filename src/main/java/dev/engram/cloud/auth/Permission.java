package dev.engram.cloud.auth;

/**
 * What an operation needs: a role in the tenant and the scope a credential must carry, or no credential at all
 * ({@link #PUBLIC}), or the platform operator's token ({@link #OPERATOR}, not a tenant role).
 */
public enum Permission {
  PUBLIC(null, null),
  /** The MCP transport: any credential of the tenant; each tool then needs its own permission. */
  MCP(Role.VIEWER, null),
  READ(Role.VIEWER, Scope.MEMORIES_READ),
  WRITE(Role.MEMBER, Scope.MEMORIES_WRITE),
  ADMIN(Role.ADMIN, Scope.ADMIN),
  OWNER(Role.OWNER, Scope.ADMIN),
  OPERATOR(null, null);

  private final Role role;
  private final Scope scope;

  Permission(Role role, Scope scope) {
    this.role = role;
    this.scope = scope;
  }

  /** The least role that may run it; null for the public and operator operations. */
  public Role role() {
    return role;
  }

  /** The scope a credential must carry; null when any will do. */
  public Scope scope() {
    return scope;
  }

  /** True for the operations of a tenant's credentials (not public, not the operator's). */
  public boolean tenant() {
    return role != null;
  }
}
