package dev.engram.cloud.auth;

import dev.engram.cloud.bus.ApiException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one permission table: every REST route (method and path pattern, as the router names it) and every MCP tool,
 * with what it needs. The ingress refuses to start with a route that is not listed here, and MCP refuses a tool
 * that is not; both doors check principals against it with {@link #check}. The role × route test walks the router.
 */
public final class Permissions {

  private static final Map<String, Permission> ROUTES = new LinkedHashMap<>();
  private static final Map<String, Permission> TOOLS = new LinkedHashMap<>();
  /** Sensitive reads and bulk writes that are written to the audit log when they succeed, with their action. */
  private static final Map<String, String> AUDITED = Map.of("GET /v1/export", "memories.exported",
      "POST /v1/import", "memories.imported", "memory_export", "memories.exported",
      "memory_import", "memories.imported");

  static {
    route(Permission.PUBLIC, "GET /health/live", "GET /health/ready", "GET /metrics", "GET /.well-known/jwks.json",
        "GET /.well-known/oauth-protected-resource", "GET /.well-known/oauth-protected-resource/v1/mcp",
        "GET /.well-known/oauth-protected-resource/mcp",
        "POST /v1/signup", "POST /v1/auth/token", "POST /v1/invites/accept");
    route(Permission.READ, "GET /v1/memories", "GET /v1/memories/:id", "POST /v1/search", "POST /v1/search/suggest",
        "GET /v1/stats", "GET /v1/tags", "GET /v1/memories/:id/versions", "GET /v1/activity", "GET /v1/workspaces",
        "GET /v1/workspaces/:name", "GET /v1/memories/:id/related", "GET /v1/export", "GET /v1/project-context",
        "GET /v1/tenant", "GET /v1/me", "POST /v1/me/password");
    route(Permission.MCP, "POST /v1/mcp", "GET /v1/mcp", "DELETE /v1/mcp", "POST /mcp", "GET /mcp", "DELETE /mcp");
    route(Permission.WRITE, "POST /v1/memories", "PATCH /v1/memories/:id", "DELETE /v1/memories/:id",
        "POST /v1/memories/:id/move", "POST /v1/links", "DELETE /v1/links", "POST /v1/import",
        "POST /v1/project-context/scan");
    route(Permission.ADMIN, "POST /v1/api-keys", "GET /v1/api-keys", "DELETE /v1/api-keys/:id",
        "POST /v1/api-keys/:id/rotate", "GET /v1/usage", "GET /v1/members", "PATCH /v1/members/:user_id",
        "DELETE /v1/members/:user_id", "POST /v1/invites", "GET /v1/invites", "DELETE /v1/invites/:id",
        "GET /v1/audit-log", "GET /v1/audit-log/export");
    route(Permission.OWNER, "PATCH /v1/tenant", "DELETE /v1/tenant", "POST /v1/tenant/transfer");
    route(Permission.OPERATOR, "GET /v1/operator/tenants", "GET /v1/operator/tenants/:ref",
        "POST /v1/operator/tenants/:ref/plan", "POST /v1/operator/tenants/:ref/suspend",
        "POST /v1/operator/tenants/:ref/resume");

    tool(Permission.READ, "memory_get", "memory_list", "memory_search", "memory_search_suggest", "memory_stats",
        "memory_tags", "memory_versions", "recent_activity", "workspace_list", "workspace_stats", "memory_export",
        "memory_related", "memory_get_project_context", "memory_list_instruction_files");
    tool(Permission.WRITE, "memory_create", "memory_update", "memory_delete", "memory_import", "memory_create_batch",
        "memory_delete_batch", "workspace_move", "memory_link", "memory_unlink", "memory_scan_project");
  }

  private Permissions() {}

  private static void route(Permission permission, String... routes) {
    for (String route : routes) ROUTES.put(route, permission);
  }

  private static void tool(Permission permission, String... tools) {
    for (String tool : tools) TOOLS.put(tool, permission);
  }

  /** What {@code METHOD path} needs (the path as registered, e.g. {@code /v1/memories/:id}); empty if unlisted. */
  public static Optional<Permission> forRoute(String method, String path) {
    return Optional.ofNullable(ROUTES.get(method + " " + path));
  }

  public static Optional<Permission> forTool(String name) {
    return Optional.ofNullable(TOOLS.get(name));
  }

  /** Every listed route, {@code "METHOD path"} → permission. */
  public static Map<String, Permission> routes() {
    return Map.copyOf(ROUTES);
  }

  /** The audit action of an operation (a route as {@code METHOD path}, or a tool name) audited when it succeeds. */
  public static Optional<String> auditAction(String operation) {
    return Optional.ofNullable(AUDITED.get(operation));
  }

  /**
   * Lets {@code principal} through when its role reaches the permission's and its credential holds the scope; else
   * 403: {@code insufficient_scope} for an API key whose scopes fall short, {@code insufficient_role} otherwise.
   */
  public static void check(Principal principal, Permission permission) {
    if (!permission.tenant()) throw new IllegalArgumentException(permission + " is not a tenant permission");
    if (permission.scope() != null && !principal.has(permission.scope())) {
      if (principal.isKey()) {
        throw ApiException.forbidden("insufficient_scope", "This credential lacks the '" + permission.scope().value()
            + "' scope.");
      }
      throw insufficientRole(principal, permission);
    }
    if (!principal.role().atLeast(permission.role())) throw insufficientRole(principal, permission);
  }

  private static ApiException insufficientRole(Principal principal, Permission permission) {
    return ApiException.forbidden("insufficient_role", "This needs the " + permission.role().value()
        + " role or higher; the credential acts as " + principal.role().value() + ".");
  }
}
