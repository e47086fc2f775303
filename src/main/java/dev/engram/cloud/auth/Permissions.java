package dev.engram.cloud.auth;

import dev.engram.cloud.bus.ApiException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one permission table: every operation of openapi.yaml (by its {@code operationId}) and every MCP tool, with
 * what it needs. The ingress refuses to start when an operation of the document has no entry here (or its documented
 * scope is not the one listed here), and MCP refuses to start with a tool that has none; both doors check principals
 * against it with {@link #check}. The MCP transport itself ({@code /v1/mcp}) needs {@link Permission#MCP}: any
 * credential of the tenant, each tool then its own. The role × operation walk test walks the document.
 */
public final class Permissions {

  private static final Map<String, Permission> OPERATIONS = new LinkedHashMap<>();
  private static final Map<String, Permission> TOOLS = new LinkedHashMap<>();
  /** Sensitive reads and bulk writes that are written to the audit log when they succeed, with their action. */
  private static final Map<String, String> AUDITED = Map.of("exportMemories", "memories.exported",
      "importMemories", "memories.imported", "memory_export", "memories.exported",
      "memory_import", "memories.imported");

  static {
    operation(Permission.PUBLIC, "live", "ready", "jwks", "openapiJson", "openapiYaml", "signup", "createToken",
        "acceptInvite", "stripeWebhook");
    operation(Permission.READ, "listMemories", "getMemory", "search", "suggest", "getStats", "listTags",
        "listVersions", "recentActivity", "listWorkspaces", "getWorkspace", "listRelated", "exportMemories",
        "getProjectContext", "getTenant", "getMe", "changePassword", "buildContext", "compressForContext",
        "estimateTokens", "listBlocks", "getBlock", "resolveIdentity", "feedbackStats");
    operation(Permission.WRITE, "createMemory", "updateMemory", "deleteMemory", "moveMemory", "link", "unlink",
        "importMemories", "scanProject", "createDailyMemory", "createBlock", "editBlock", "createIdentity",
        "recordFeedback");
    operation(Permission.ADMIN, "createApiKey", "listApiKeys", "revokeApiKey", "rotateApiKey", "getUsage",
        "listMembers", "updateMember", "removeMember", "createInvite", "listInvites", "revokeInvite", "listAuditLog",
        "exportAuditLog", "listBackups", "getBilling");
    operation(Permission.OWNER, "updateTenant", "deleteTenant", "transferOwnership", "createCheckout", "createPortal");
    operation(Permission.OPERATOR, "operatorListTenants", "operatorGetTenant", "operatorSetPlan",
        "operatorSuspendTenant", "operatorResumeTenant");

    tool(Permission.READ, "memory_get", "memory_list", "memory_search", "memory_search_suggest", "memory_stats",
        "memory_tags", "memory_versions", "recent_activity", "workspace_list", "workspace_stats", "memory_export",
        "memory_related", "memory_get_project_context", "memory_list_instruction_files", "memory_build_context",
        "memory_compress_for_context", "memory_token_estimate", "memory_block_get", "memory_block_list",
        "identity_resolve", "memory_feedback_stats");
    tool(Permission.WRITE, "memory_create", "memory_update", "memory_delete", "memory_import", "memory_create_batch",
        "memory_delete_batch", "workspace_move", "memory_link", "memory_unlink", "memory_scan_project",
        "memory_create_daily", "memory_block_create", "memory_block_edit", "identity_create", "memory_feedback");
  }

  private Permissions() {}

  private static void operation(Permission permission, String... operationIds) {
    for (String id : operationIds) OPERATIONS.put(id, permission);
  }

  private static void tool(Permission permission, String... tools) {
    for (String tool : tools) TOOLS.put(tool, permission);
  }

  /** What the operation of openapi.yaml with this {@code operationId} needs; empty if unlisted. */
  public static Optional<Permission> forOperation(String operationId) {
    return Optional.ofNullable(OPERATIONS.get(operationId));
  }

  public static Optional<Permission> forTool(String name) {
    return Optional.ofNullable(TOOLS.get(name));
  }

  /** Every listed operation, {@code operationId} → permission. */
  public static Map<String, Permission> operations() {
    return Map.copyOf(OPERATIONS);
  }

  /** Every listed MCP tool → permission. */
  public static Map<String, Permission> tools() {
    return Map.copyOf(TOOLS);
  }

  /** The audit action of an operation (an {@code operationId} or a tool name) audited when it succeeds. */
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
