package dev.engram.cloud.http;

import dev.engram.cloud.api.Contract;
import dev.engram.cloud.auth.Permission;
import dev.engram.cloud.auth.Permissions;
import dev.engram.cloud.auth.Role;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The permission table against the operations the ingress really serves, read from openapi.yaml (the server routes
 * every operation of the document and refuses to start when one has no permission, or a documented scope other than
 * the table's): every operation has an entry, and each of the four roles (signed in, as a user) is let through exactly
 * the operations and MCP tools its role reaches — refused 403 below it, never refused at or above it (a 400, 404 or
 * 200 then means the permission let it pass; the bodies sent are invalid on purpose, so nothing is changed).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PermissionsWalkTest {

  private static final Set<String> REFUSALS = Set.of("insufficient_role", "insufficient_scope");

  TestServer server;
  Api api;
  final Map<Role, String> tokens = new LinkedHashMap<>();
  /** operationId → "METHOD /path/{param}", every operation of the document. */
  Map<String, String> operations;

  @BeforeAll
  void start() throws Exception {
    operations = documentedOperations();
    server = TestServer.start(TestServer.withoutRateLimits());
    api = server.api();
    Account owner = api.signup();
    server.setTenantPlan(owner.tenantId(), "team");
    tokens.put(Role.OWNER, api.signIn(owner.email(), owner.password(), null));
    for (Role role : List.of(Role.ADMIN, Role.MEMBER, Role.VIEWER)) {
      tokens.put(role, api.join(owner.apiKey(), role.value()).token());
    }
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private static Map<String, String> documentedOperations() {
    Map<String, String> out = new TreeMap<>();
    JsonObject paths = Contract.read().getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (item.getValue(method) instanceof JsonObject op && op.containsKey("operationId")) {
          out.put(op.getString("operationId"), method.toUpperCase() + " " + path);
        }
      }
    }
    return out;
  }

  @Test
  void every_operation_of_the_document_is_in_the_permission_table_and_nothing_else_is() {
    List<String> missing = operations.keySet().stream().filter(id -> Permissions.forOperation(id).isEmpty()).toList();
    assertTrue(missing.isEmpty(), "operations without a permission: " + missing);
    List<String> stale = Permissions.operations().keySet().stream().filter(id -> !operations.containsKey(id)).toList();
    assertTrue(stale.isEmpty(), "permissions of operations that do not exist: " + stale);
    assertTrue(operations.size() > 50, "the whole document was read: " + operations.size());
    JsonObject document = Contract.read();
    for (var e : Permissions.operations().entrySet()) {
      if (!e.getValue().tenant()) continue;
      String route = operations.get(e.getKey());
      JsonObject op = document.getJsonObject("paths").getJsonObject(route.substring(route.indexOf(' ') + 1))
          .getJsonObject(route.substring(0, route.indexOf(' ')).toLowerCase());
      assertEquals(e.getValue().scope().value(), op.getJsonArray("security").getJsonObject(0).getJsonArray("bearer")
          .getString(0), e.getKey() + ": the documented scope is the table's");
    }
  }

  /**
   * What the table says follows the roles: a viewer reads memories; a member also writes them; an admin also manages
   * keys, members and invites and sees usage, billing, the audit log and the backups; the owner also owns the tenant
   * itself and buys its plan; Stripe's webhook is signed, not authenticated.
   */
  @Test
  void the_table_gives_each_route_the_role_its_kind_needs() {
    List<String> wrong = new ArrayList<>();
    for (var operation : operations.entrySet()) {
      String route = operation.getValue();
      String method = route.substring(0, route.indexOf(' '));
      String path = route.substring(route.indexOf(' ') + 1);
      Permission expected;
      boolean open = path.equals("/v1/invites/accept") || path.equals("/v1/signup") || path.equals("/v1/auth/token")
          || path.equals("/v1/billing/webhook") || !path.startsWith("/v1/") || path.startsWith("/.well-known");
      if (path.startsWith("/v1/operator/")) expected = Permission.OPERATOR;
      else if (open) expected = Permission.PUBLIC;
      else if (path.startsWith("/v1/billing/")) expected = Permission.OWNER;
      else if (path.startsWith("/v1/tenant")) expected = method.equals("GET") ? Permission.READ : Permission.OWNER;
      else if (path.equals("/v1/me") || path.startsWith("/v1/me/")) expected = Permission.READ;
      else if (List.of("/v1/api-keys", "/v1/members", "/v1/invites", "/v1/usage", "/v1/audit-log",
          "/v1/billing", "/v1/backups").stream().anyMatch(path::startsWith)) expected = Permission.ADMIN;
      // a search, a context and a token estimate are reads sent as POST
      else if (method.equals("GET") || path.startsWith("/v1/search") || path.startsWith("/v1/context")) {
        expected = Permission.READ;
      } else {
        expected = Permission.WRITE;
      }
      Permission permission = Permissions.forOperation(operation.getKey()).orElse(null);
      if (permission != expected) wrong.add(route + " is " + permission + ", expected " + expected);
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  @Test
  void each_role_reaches_exactly_the_operations_its_role_allows() {
    List<String> wrong = new ArrayList<>();
    int checked = 0;
    List<String> routes = new ArrayList<>();
    Map<String, Permission> permissions = new LinkedHashMap<>();
    operations.forEach((id, route) -> {
      routes.add(route);
      permissions.put(route, Permissions.forOperation(id).orElseThrow());
    });
    // The MCP transport: any credential of the tenant (each tool then needs its own permission, below).
    for (String route : List.of("POST /v1/mcp", "POST /mcp")) {
      routes.add(route);
      permissions.put(route, Permission.MCP);
    }
    for (String route : routes) {
      Permission permission = permissions.get(route);
      if (!permission.tenant() && permission != Permission.OPERATOR) continue;
      String method = route.substring(0, route.indexOf(' '));
      String path = concrete(route.substring(route.indexOf(' ') + 1));
      for (var role : tokens.entrySet()) {
        Api.Response r = api.send(method, path, Map.of("Authorization", "Bearer " + role.getValue(),
            "Accept", "application/json"), body(method, path), body(method, path) == null ? null : "application/json");
        boolean refused = r.status() == 403 && r.body().contains("\"code\"") && REFUSALS.contains(r.json().getString("code"));
        if (permission == Permission.OPERATOR) {
          if (r.status() != 404) wrong.add(role.getKey() + " " + route + " → " + r.status() + " (operator routes are 404 here)");
        } else if (refused == role.getKey().atLeast(permission.role())) {
          wrong.add(role.getKey() + " " + route + " (" + permission + ") → " + r.status() + " " + r.body());
        }
        checked++;
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    assertTrue(checked > 150, "checked " + checked);
  }

  @Test
  void each_role_calls_exactly_the_tools_its_role_allows() {
    Api.Response list = mcp(tokens.get(Role.VIEWER), new JsonObject().put("jsonrpc", "2.0").put("id", 1)
        .put("method", "tools/list").put("params", new JsonObject()));
    List<JsonObject> tools = list.json().getJsonObject("result").getJsonArray("tools").stream()
        .map(t -> (JsonObject) t).toList();
    List<String> wrong = new ArrayList<>();
    for (JsonObject tool : tools) {
      String name = tool.getString("name");
      Permission permission = Permissions.forTool(name).orElse(null);
      if (permission == null) {
        wrong.add(name + " has no permission");
        continue;
      }
      boolean readOnly = tool.getJsonObject("annotations").getBoolean("readOnlyHint");
      assertEquals(readOnly, permission == Permission.READ, name + ": the table and the tool's own hint agree");
      for (var role : tokens.entrySet()) {
        JsonObject result = mcp(role.getValue(), new JsonObject().put("jsonrpc", "2.0").put("id", 2)
            .put("method", "tools/call").put("params", new JsonObject().put("name", name)
                .put("arguments", new JsonObject().put("walk", true))))
            .json().getJsonObject("result");
        String text = result.getJsonArray("content").getJsonObject(0).getString("text");
        boolean refused = result.getBoolean("isError") && text.contains("role or higher");
        if (refused == role.getKey().atLeast(permission.role())) wrong.add(role.getKey() + " " + name + " → " + text);
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    assertTrue(tools.size() >= 24);
  }

  private Api.Response mcp(String token, JsonObject message) {
    return api.send("POST", "/v1/mcp", Map.of("Authorization", "Bearer " + token, "Accept",
        "application/json, text/event-stream"), message.encode(), "application/json");
  }

  /** A path with its parameters filled in with well-formed ids of things that do not exist. */
  private static String concrete(String pattern) {
    String id = pattern.startsWith("/v1/api-keys") ? "key_" + "0".repeat(20)
        : pattern.startsWith("/v1/invites") ? "inv_" + "0".repeat(20) : "999999";
    return pattern.replace("{user_id}", "usr_" + "0".repeat(20)).replace("{id}", id).replace("{name}", "nowhere")
        .replace("{ref}", "tn-nobody").replace("{block_type}", "persona").replace("{label}", "nobody");
  }

  /** A body no route accepts (an unknown field), or an MCP ping, so that a request let through changes nothing. */
  private static String body(String method, String path) {
    if (path.endsWith("/mcp")) {
      return method.equals("POST") ? new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "ping").encode()
          : null;
    }
    return Set.of("POST", "PATCH", "DELETE").contains(method) ? new JsonObject().put("walk", true).encode() : null;
  }
}
