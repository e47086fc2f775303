package dev.engram.cloud.abuse;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Liveness;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * MCP sessions are capped per key and per tenant, and a new session only ever pushes out an older one of the same
 * key (or, at the tenant cap, of the same tenant): one tenant opening sessions in a loop never ends another's.
 */
@Timeout(120)
class SessionFloodTest {

  static final int PER_KEY = 3;
  static final int PER_TENANT = 5;
  static final int NODE = 9;

  static TestServer start() {
    return TestServer.start(TestServer.withoutRateLimits().put("mcp", new JsonObject()
        .put("max_sessions_per_key", PER_KEY).put("max_sessions_per_tenant", PER_TENANT).put("max_sessions", NODE)));
  }

  static Api.Response post(Api api, String key, String session, JsonObject message) {
    Map<String, String> headers = new java.util.HashMap<>(Map.of("Authorization", "Bearer " + key,
        "Accept", "application/json, text/event-stream"));
    if (session != null) headers.put("Mcp-Session-Id", session);
    return api.send("POST", "/v1/mcp", headers, message.encode(), "application/json");
  }

  /** initialize; the session id it issued, or null when it issued none. */
  static String open(Api api, String key) {
    Api.Response r = post(api, key, null, new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "initialize")
        .put("params", new JsonObject().put("protocolVersion", "2025-11-25").put("capabilities", new JsonObject())
            .put("clientInfo", new JsonObject().put("name", "flood").put("version", "1"))));
    assertEquals(200, r.status(), r.body());
    assertEquals("2025-11-25", r.json().getJsonObject("result").getString("protocolVersion"));
    return r.header("Mcp-Session-Id");
  }

  /** The status of a ping inside the session: 200 while it lives, 404 once it is gone. */
  static int ping(Api api, String key, String session) {
    return post(api, key, session, new JsonObject().put("jsonrpc", "2.0").put("id", 2).put("method", "ping")).status();
  }

  static String newKey(Api api, Account owner) {
    return api.post("/v1/api-keys", owner.apiKey(), new JsonObject().put("name", "k")
        .put("scopes", new JsonArray().add("memories:read"))).json().getString("key");
  }

  @Test
  void one_tenant_flooding_sessions_never_ends_another_tenants_session() {
    try (TestServer server = start()) {
      Api api = server.api();
      Account a = api.signup();
      Account b = api.signup();
      String bSession = open(api, b.apiKey());
      assertNotNull(bSession);

      List<String> aSessions = new ArrayList<>();
      try (Liveness live = Liveness.watch(server.config().port(), Duration.ofSeconds(1))) {
        for (int i = 0; i < 300; i++) aSessions.add(open(api, a.apiKey()));
        live.assertAnswered();
      }

      assertEquals(200, ping(api, b.apiKey(), bSession), "B's session outlives A's flood");
      int alive = 0;
      for (String s : aSessions) {
        if (s != null && ping(api, a.apiKey(), s) == 200) alive++;
      }
      assertEquals(PER_KEY, alive, "A keeps at most its per-key cap");
      for (String s : aSessions.subList(aSessions.size() - PER_KEY, aSessions.size())) {
        assertEquals(200, ping(api, a.apiKey(), s), "the newest survive");
      }
    }
  }

  @Test
  void the_per_key_cap_evicts_the_keys_own_least_recently_used_session() {
    try (TestServer server = start()) {
      Api api = server.api();
      Account a = api.signup();
      String s1 = open(api, a.apiKey());
      String s2 = open(api, a.apiKey());
      String s3 = open(api, a.apiKey());
      assertEquals(200, ping(api, a.apiKey(), s1), "s1 used again: s2 is now the idlest");
      String s4 = open(api, a.apiKey());
      assertEquals(404, ping(api, a.apiKey(), s2));
      for (String s : new String[] {s1, s3, s4}) assertEquals(200, ping(api, a.apiKey(), s));
    }
  }

  @Test
  void the_tenant_cap_evicts_only_within_the_tenant_and_the_node_cap_evicts_no_stranger() {
    try (TestServer server = start()) {
      Api api = server.api();
      Account a = api.signup();
      Account b = api.signup();
      Account c = api.signup();
      String a2 = newKey(api, a);
      String bSession = open(api, b.apiKey());

      List<String> first = new ArrayList<>();
      for (int i = 0; i < PER_KEY; i++) first.add(open(api, a.apiKey()));
      List<String> second = new ArrayList<>();
      for (int i = 0; i < PER_KEY; i++) second.add(open(api, a2));
      // 6 opened against a tenant cap of 5: the tenant's idlest (the first key's oldest) made room.
      assertEquals(404, ping(api, a.apiKey(), first.get(0)));
      for (String s : first.subList(1, PER_KEY)) assertEquals(200, ping(api, a.apiKey(), s));
      for (String s : second) assertEquals(200, ping(api, a2, s));
      assertEquals(200, ping(api, b.apiKey(), bSession));

      // The node holds 5 (A) + 1 (B); C fills it to 9, then asks for more.
      List<String> cSessions = new ArrayList<>();
      for (int i = 0; i < 3; i++) cSessions.add(open(api, c.apiKey()));
      for (String s : cSessions) assertNotNull(s);
      Account d = api.signup();
      assertNull(open(api, d.apiKey()), "a full node serves initialize without a session rather than evict a stranger's");
      assertEquals(200, post(api, d.apiKey(), null, new JsonObject().put("jsonrpc", "2.0").put("id", 3)
          .put("method", "tools/list")).status(), "and the client works on without one");
      String cFourth = open(api, c.apiKey());
      assertNotNull(cFourth, "C at the node cap rotates its own sessions");
      assertEquals(404, ping(api, c.apiKey(), cSessions.get(0)), "C's own oldest made room");
      assertEquals(200, ping(api, b.apiKey(), bSession), "B's session survived it all");
      for (String s : second) assertEquals(200, ping(api, a2, s));
    }
  }
}
