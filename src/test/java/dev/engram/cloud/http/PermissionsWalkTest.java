package dev.engram.cloud.http;

import dev.engram.cloud.auth.JwtTokens;
import dev.engram.cloud.auth.Permission;
import dev.engram.cloud.auth.Permissions;
import dev.engram.cloud.auth.Role;
import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.mcp.McpSessions;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.TestServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The permission table against the routes the ingress really serves: every route of the router has an entry, and
 * each of the four roles (signed in, as a user) is let through exactly the routes and MCP tools its role reaches —
 * refused 403 below it, never refused at or above it (a 400, 404 or 200 then means the permission let it pass; the
 * bodies sent are invalid on purpose, so nothing is changed).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PermissionsWalkTest {

  private static final Set<String> REFUSALS = Set.of("insufficient_role", "insufficient_scope");

  TestServer server;
  Api api;
  final Map<Role, String> tokens = new LinkedHashMap<>();
  List<String> routes;

  @BeforeAll
  void start() throws Exception {
    routes = routerRoutes();
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

  /** {@code "METHOD path"} of every route the ingress registers, read from its router. */
  private static List<String> routerRoutes() throws Exception {
    Vertx vertx = Vertx.vertx();
    Path dir = Files.createTempDirectory("engram-walk-");
    try {
      EngramConfig config = EngramConfig.fromJson(ConfigLoader.deepMerge(ConfigLoader.defaults(),
          new JsonObject().put("data_dir", dir.toString())));
      HttpVerticle verticle = new HttpVerticle(config, null, JwtTokens.load(vertx, dir, config.auth()),
          new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), new McpSessions(config.mcp()),
          new UploadSlots(config.http()));
      verticle.init(vertx, vertx.getOrCreateContext());
      Set<String> found = new TreeSet<>();
      for (Route route : verticle.router().getRoutes()) {
        if (route.getPath() == null || route.methods() == null) continue;
        route.methods().forEach(m -> found.add(m.name() + " " + route.getPath()));
      }
      return List.copyOf(found);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      TestServer.deleteRecursively(dir);
    }
  }

  @Test
  void every_route_of_the_router_is_in_the_permission_table_and_nothing_else_is() {
    List<String> missing = routes.stream().filter(r -> permission(r) == null).toList();
    assertTrue(missing.isEmpty(), "routes without a permission: " + missing);
    List<String> stale = Permissions.routes().keySet().stream().filter(r -> !routes.contains(r)).toList();
    assertTrue(stale.isEmpty(), "permissions of routes that do not exist: " + stale);
    assertTrue(routes.size() > 50, "the whole router was read: " + routes.size());
  }

  /**
   * What the table says follows the roles: a viewer reads memories; a member also writes them; an admin also manages
   * keys, members and invites and sees usage and the audit log; the owner also owns the tenant itself.
   */
  @Test
  void the_table_gives_each_route_the_role_its_kind_needs() {
    List<String> wrong = new ArrayList<>();
    for (String route : routes) {
      String method = route.substring(0, route.indexOf(' '));
      String path = route.substring(route.indexOf(' ') + 1);
      Permission expected;
      if (path.startsWith("/v1/operator/")) expected = Permission.OPERATOR;
      else if (path.equals("/mcp") || path.equals("/v1/mcp")) expected = Permission.MCP;
      else if (path.equals("/v1/invites/accept") || path.equals("/v1/signup") || path.equals("/v1/auth/token")
          || !path.startsWith("/v1/") || path.startsWith("/.well-known")) expected = Permission.PUBLIC;
      else if (path.startsWith("/v1/tenant")) expected = method.equals("GET") ? Permission.READ : Permission.OWNER;
      else if (path.equals("/v1/me") || path.startsWith("/v1/me/")) expected = Permission.READ;
      else if (List.of("/v1/api-keys", "/v1/members", "/v1/invites", "/v1/usage", "/v1/audit-log").stream()
          .anyMatch(path::startsWith)) expected = Permission.ADMIN;
      else if (method.equals("GET") || path.startsWith("/v1/search")) expected = Permission.READ;
      else expected = Permission.WRITE;
      if (permission(route) != expected) wrong.add(route + " is " + permission(route) + ", expected " + expected);
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  @Test
  void each_role_reaches_exactly_the_routes_its_role_allows() {
    List<String> wrong = new ArrayList<>();
    int checked = 0;
    for (String route : routes) {
      Permission permission = permission(route);
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
    assertTrue(checked > 200, "checked " + checked);
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

  private static Permission permission(String route) {
    int space = route.indexOf(' ');
    return Permissions.forRoute(route.substring(0, space), route.substring(space + 1)).orElse(null);
  }

  /** A path with its parameters filled in with well-formed ids of things that do not exist. */
  private static String concrete(String pattern) {
    String id = pattern.startsWith("/v1/api-keys") ? "key_" + "0".repeat(20)
        : pattern.startsWith("/v1/invites") ? "inv_" + "0".repeat(20) : "999999";
    return pattern.replace(":user_id", "usr_" + "0".repeat(20)).replace(":id", id).replace(":name", "nowhere")
        .replace(":ref", "tn-nobody");
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
