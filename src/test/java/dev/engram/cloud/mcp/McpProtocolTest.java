package dev.engram.cloud.mcp;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Streamable HTTP transport, on each protocol revision, as a client sees it on the wire. */
class McpProtocolTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits().put("mcp", new JsonObject().put("tools_page_size", 5)));
  static Api api;
  static McpHttp mcp;
  static Account a;

  @BeforeAll
  static void given_a_server_with_small_tool_pages() {
    api = server.api();
    mcp = new McpHttp(api);
    a = api.signup();
  }

  private static JsonObject initialize(String version) {
    return mcp.request("initialize", new JsonObject().put("protocolVersion", version)
        .put("capabilities", new JsonObject()).put("clientInfo", new JsonObject().put("name", "t").put("version", "1")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"2025-03-26", "2025-06-18", "2025-11-25"})
  void initialize_negotiates_the_version_and_issues_a_session_that_is_honoured_then_ended(String version) {
    Api.Response init = mcp.post(a.apiKey(), initialize(version));
    assertEquals(200, init.status(), init.body());
    JsonObject result = init.json().getJsonObject("result");
    assertEquals(version, result.getString("protocolVersion"));
    assertEquals("engram-cloud", result.getJsonObject("serverInfo").getString("name"));
    assertNotNull(result.getJsonObject("capabilities").getJsonObject("tools"));
    String session = init.header("Mcp-Session-Id");
    assertNotNull(session);
    assertTrue(session.chars().allMatch(c -> c >= 0x21 && c <= 0x7e), "visible ASCII");

    Map<String, String> headers = Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", version);
    Api.Response initialized = mcp.post(a.apiKey(), new JsonObject().put("jsonrpc", "2.0")
        .put("method", "notifications/initialized"), headers);
    assertEquals(202, initialized.status());
    assertEquals("", initialized.body());

    Api.Response ping = mcp.post(a.apiKey(), mcp.request("ping", new JsonObject()), headers);
    assertEquals(200, ping.status());
    assertEquals(new JsonObject(), ping.json().getJsonObject("result"));

    Api.Response wrongVersion = mcp.post(a.apiKey(), mcp.request("ping", new JsonObject()),
        Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", version.equals("2025-03-26") ? "2025-06-18" : "2025-03-26"));
    assertEquals(400, wrongVersion.status(), "a header that contradicts the session");

    Api.Response end = api.send("DELETE", "/v1/mcp", Map.of("Authorization", "Bearer " + a.apiKey(),
        "Mcp-Session-Id", session), null, null);
    assertEquals(204, end.status());
    Api.Response after = mcp.post(a.apiKey(), mcp.request("ping", new JsonObject()), headers);
    assertEquals(404, after.status(), "an ended session is unknown");
  }

  @Test
  void an_unknown_version_in_initialize_gets_our_newest_handshake_version() {
    JsonObject result = mcp.post(a.apiKey(), initialize("2024-01-01")).json().getJsonObject("result");
    assertEquals("2025-11-25", result.getString("protocolVersion"));
  }

  @Test
  void unknown_sessions_bad_version_headers_and_get_are_refused() {
    assertEquals(404, mcp.post(a.apiKey(), mcp.request("ping", new JsonObject()),
        Map.of("Mcp-Session-Id", "mcp_nope")).status());
    Api.Response bad = mcp.post(a.apiKey(), mcp.request("ping", new JsonObject()),
        Map.of("MCP-Protocol-Version", "1999-01-01"));
    assertEquals(400, bad.status());
    assertEquals(-32022, bad.json().getJsonObject("error").getInteger("code"));
    Api.Response get = api.send("GET", "/v1/mcp", Map.of("Authorization", "Bearer " + a.apiKey(),
        "Accept", "text/event-stream"), null, null);
    assertEquals(405, get.status());
  }

  @Test
  void another_credential_cannot_use_a_session() {
    Account b = api.signup();
    String session = mcp.post(a.apiKey(), initialize("2025-11-25")).header("Mcp-Session-Id");
    Api.Response stolen = mcp.post(b.apiKey(), mcp.request("tools/list", new JsonObject()),
        Map.of("Mcp-Session-Id", session));
    assertEquals(404, stolen.status());
    Api.Response end = api.send("DELETE", "/v1/mcp", Map.of("Authorization", "Bearer " + b.apiKey(),
        "Mcp-Session-Id", session), null, null);
    assertEquals(404, end.status());
  }

  @Test
  void batches_work_in_2025_03_26_only() {
    JsonArray batch = new JsonArray().add(mcp.request("ping", new JsonObject()))
        .add(new JsonObject().put("jsonrpc", "2.0").put("method", "notifications/initialized"))
        .add(mcp.request("tools/list", new JsonObject()));
    Api.Response ok = api.send("POST", "/v1/mcp", Map.of("Authorization", "Bearer " + a.apiKey(),
        "MCP-Protocol-Version", "2025-03-26"), batch.encode(), "application/json");
    assertEquals(200, ok.status(), ok.body());
    JsonArray answers = new JsonArray(ok.body());
    assertEquals(2, answers.size(), "no answer to the notification");
    Api.Response refused = api.send("POST", "/v1/mcp", Map.of("Authorization", "Bearer " + a.apiKey(),
        "MCP-Protocol-Version", "2025-11-25"), batch.encode(), "application/json");
    assertEquals(400, refused.status());
  }

  @Test
  void tools_list_pages_through_every_tool_once() {
    Set<String> names = new HashSet<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonObject params = cursor == null ? new JsonObject() : new JsonObject().put("cursor", cursor);
      JsonObject result = mcp.post(a.apiKey(), mcp.request("tools/list", params)).json().getJsonObject("result");
      for (Object t : result.getJsonArray("tools")) {
        JsonObject tool = (JsonObject) t;
        assertTrue(names.add(tool.getString("name")), "listed twice: " + tool.getString("name"));
        assertEquals("object", tool.getJsonObject("inputSchema").getString("type"));
      }
      cursor = result.getString("nextCursor");
      pages++;
    } while (cursor != null);
    assertTrue(pages > 1, "5 per page");
    assertTrue(names.containsAll(Set.of("memory_create", "memory_get", "memory_update", "memory_delete",
        "memory_list", "memory_search", "memory_create_batch", "memory_delete_batch", "memory_stats", "memory_tags",
        "memory_versions", "recent_activity", "workspace_list", "workspace_stats", "workspace_move",
        "memory_export", "memory_link", "memory_unlink", "memory_related")), names.toString());
    Api.Response badCursor = mcp.post(a.apiKey(), mcp.request("tools/list", new JsonObject().put("cursor", "zzz")));
    assertEquals(-32602, badCursor.json().getJsonObject("error").getInteger("code"));
  }

  @Test
  void the_stateless_revision_needs_no_handshake_and_checks_headers_against_the_body() {
    JsonObject discover = mcp.request("server/discover", new JsonObject().put("_meta", McpHttp.meta()));
    Api.Response d = mcp.post(a.apiKey(), discover, McpHttp.stateless("server/discover", null));
    assertEquals(200, d.status(), d.body());
    JsonObject result = d.json().getJsonObject("result");
    assertTrue(result.getJsonArray("supportedVersions").contains("2026-07-28"));
    assertEquals("complete", result.getString("resultType"));
    assertNull(d.header("Mcp-Session-Id"), "no sessions in the stateless revision");

    JsonObject call = mcp.request("tools/call", new JsonObject().put("name", "memory_create")
        .put("arguments", new JsonObject().put("content", "stateless write")).put("_meta", McpHttp.meta()));
    Api.Response created = mcp.post(a.apiKey(), call, McpHttp.stateless("tools/call", "memory_create"));
    assertEquals(200, created.status(), created.body());
    assertEquals("stateless write", created.json().getJsonObject("result").getJsonObject("structuredContent")
        .getString("content"));

    Map<String, String> wrongName = McpHttp.stateless("tools/call", "memory_delete");
    assertEquals(-32020, error(mcp.post(a.apiKey(), call, wrongName), 400));
    Map<String, String> noMethod = new HashMap<>(McpHttp.stateless("tools/call", "memory_create"));
    noMethod.remove("Mcp-Method");
    assertEquals(-32020, error(mcp.post(a.apiKey(), call, noMethod), 400));
    Map<String, String> noVersion = new HashMap<>(McpHttp.stateless("server/discover", null));
    noVersion.remove("MCP-Protocol-Version");
    assertEquals(-32020, error(mcp.post(a.apiKey(), discover, noVersion), 400));
    Map<String, String> future = new HashMap<>(McpHttp.stateless("server/discover", null));
    future.put("MCP-Protocol-Version", "2099-01-01");
    Api.Response unsupported = mcp.post(a.apiKey(), discover, future);
    assertEquals(-32022, error(unsupported, 400));
    assertTrue(unsupported.json().getJsonObject("error").getJsonObject("data").getJsonArray("supported")
        .contains("2026-07-28"));
    JsonObject noMeta = mcp.request("server/discover", new JsonObject());
    assertEquals(-32602, error(mcp.post(a.apiKey(), noMeta, McpHttp.stateless("server/discover", null)), 400));
    JsonObject init = mcp.request("initialize", new JsonObject().put("_meta", McpHttp.meta()));
    assertEquals(-32601, error(mcp.post(a.apiKey(), init, McpHttp.stateless("initialize", null)), 404));
  }

  private static int error(Api.Response r, int status) {
    assertEquals(status, r.status(), r.body());
    return r.json().getJsonObject("error").getInteger("code");
  }

  @Test
  void a_401_points_at_the_resource_metadata_which_describes_the_endpoint() {
    Api.Response r = mcp.post(null, mcp.request("ping", new JsonObject()));
    assertEquals(401, r.status());
    String challenge = r.header("WWW-Authenticate");
    assertTrue(challenge.startsWith("Bearer resource_metadata=\"http://"), challenge);
    assertTrue(challenge.contains("/.well-known/oauth-protected-resource/v1/mcp\""), challenge);
    assertTrue(mcp.post("ek_live_nonsense", mcp.request("ping", new JsonObject())).header("WWW-Authenticate")
        .contains("error=\"invalid_token\""));
    for (String path : new String[] {"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/v1/mcp"}) {
      JsonObject doc = api.get(path, null).json();
      assertEquals("http://127.0.0.1:" + server.config().port() + "/v1/mcp", doc.getString("resource"), doc.encode());
      assertFalse(doc.getJsonArray("authorization_servers").isEmpty());
    }
    assertTrue(api.get("/.well-known/oauth-protected-resource/mcp", null).json().getString("resource").endsWith("/mcp"));
  }

  @Test
  void foreign_browser_origins_are_refused_and_loopback_ones_allowed() {
    Api.Response evil = mcp.post(a.apiKey(), mcp.request("ping", new JsonObject()),
        Map.of("Origin", "http://evil.example.com"));
    assertEquals(403, evil.status());
    Api.Response local = mcp.post(a.apiKey(), mcp.request("ping", new JsonObject()),
        Map.of("Origin", "http://localhost:3000"));
    assertEquals(200, local.status());
  }

  @Test
  void tenant_headers_must_repeat_the_credentials_tenant() {
    Account b = api.signup();
    for (String header : new String[] {"X-Tenant-Slug", "X-Engram-Tenant"}) {
      assertEquals(403, mcp.post(a.apiKey(), mcp.request("ping", new JsonObject()), Map.of(header, b.tenantId()))
          .status(), header);
      assertEquals(200, mcp.post(a.apiKey(), mcp.request("ping", new JsonObject()), Map.of(header, a.tenantId()))
          .status(), header);
    }
  }

  @Test
  void a_client_that_only_takes_event_streams_gets_one() {
    Api.Response r = mcp.post(a.apiKey(), mcp.request("ping", new JsonObject()), Map.of("Accept", "text/event-stream"));
    assertEquals(200, r.status());
    assertTrue(r.header("Content-Type").startsWith("text/event-stream"));
    assertTrue(r.body().startsWith("event: message\ndata: {"), r.body());
  }

  @Test
  void malformed_messages_get_json_rpc_errors() {
    Api.Response notJson = api.send("POST", "/v1/mcp", Map.of("Authorization", "Bearer " + a.apiKey()), "{oops",
        "application/json");
    assertEquals(400, notJson.status());
    assertEquals(-32700, notJson.json().getJsonObject("error").getInteger("code"));
    assertEquals(-32601, mcp.post(a.apiKey(), mcp.request("no/such", new JsonObject())).json()
        .getJsonObject("error").getInteger("code"));
    assertEquals(-32602, mcp.post(a.apiKey(), mcp.request("tools/call", new JsonObject().put("name", "nope")))
        .json().getJsonObject("error").getInteger("code"));
  }
}
