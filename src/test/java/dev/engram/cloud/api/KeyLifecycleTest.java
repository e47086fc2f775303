package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Api.Member;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The life of an API key: expiry, rotation without downtime (under load), {@code last_used_at} written in batches,
 * the expiry audited once, and a key that never acts beyond its member's role.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KeyLifecycleTest {

  TestServer server;
  Api api;

  @BeforeAll
  void start() {
    server = TestServer.start(TestServer.withoutRateLimits().put("auth", new JsonObject()
        .put("key_usage_flush_seconds", 1).put("max_rotation_overlap_seconds", 3600)
        .put("throttle", TestServer.withoutThrottles().getJsonObject("auth").getJsonObject("throttle"))));
    api = server.api();
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private JsonObject createKey(String by, JsonObject body) {
    Api.Response r = api.post("/v1/api-keys", by, body);
    assertEquals(201, r.status(), r.body());
    return r.json();
  }

  private JsonObject listed(String by, String keyId) {
    return api.get("/v1/api-keys", by).json().getJsonArray("data").stream().map(k -> (JsonObject) k)
        .filter(k -> k.getString("id").equals(keyId)).findFirst().orElseThrow();
  }

  /** One call of the looping client: when it was sent, when its answer came, and the answer. */
  private record Seen(Instant sent, Instant at, int status, String code) {}

  @Test
  void a_client_looping_with_the_old_key_sees_no_error_during_the_overlap_then_401() throws Exception {
    Account owner = api.signup();
    JsonObject old = createKey(owner.apiKey(), new JsonObject().put("name", "agent"));
    String oldKey = old.getString("key");
    api.createMemory(oldKey, new JsonObject().put("content", "before the rotation"));

    Queue<Seen> seen = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService clients = Executors.newFixedThreadPool(4);
    List<Future<?>> loops = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      loops.add(clients.submit(() -> {
        while (!stop.get()) {
          Instant sent = Instant.now();
          Api.Response r = api.get("/v1/memories?limit=1", oldKey);
          seen.add(new Seen(sent, Instant.now(), r.status(), r.status() == 200 ? null : r.json().getString("code")));
        }
      }));
    }
    try {
      Eventually.until(Duration.ofSeconds(10), "the loop is running", () -> seen.size() > 20);
      Api.Response rotated = api.post("/v1/api-keys/" + old.getString("id") + "/rotate", owner.apiKey(),
          new JsonObject().put("overlap_seconds", 2));
      assertEquals(201, rotated.status(), rotated.body());
      JsonObject fresh = rotated.json();
      assertEquals(List.of("agent", "active"), List.of(fresh.getString("name"), fresh.getString("state")));
      Instant overlapEnds = Instant.parse(fresh.getJsonObject("replaced").getString("expires_at"));
      assertEquals("rotating", fresh.getJsonObject("replaced").getString("state"));
      assertEquals("rotating", listed(owner.apiKey(), old.getString("id")).getString("state"));
      assertEquals(200, api.get("/v1/memories", fresh.getString("key")).status(), "the new key works at once");

      Eventually.until(Duration.ofSeconds(20), "the old key stops after the overlap",
          () -> seen.stream().anyMatch(s -> s.status() == 401));
      stop.set(true);
      for (Future<?> loop : loops) loop.get(10, TimeUnit.SECONDS);

      List<Seen> during = seen.stream().filter(s -> s.at().isBefore(overlapEnds)).toList();
      assertTrue(during.size() > 20, "the client kept calling during the overlap: " + during.size());
      assertTrue(during.stream().allMatch(s -> s.status() == 200), "no error during the overlap: "
          + during.stream().filter(s -> s.status() != 200).toList());
      Seen firstRefusal = seen.stream().filter(s -> s.status() != 200).min(java.util.Comparator.comparing(Seen::at))
          .orElseThrow();
      assertEquals(List.of(401, "api_key_expired"), List.of(firstRefusal.status(), firstRefusal.code()));
      assertTrue(seen.stream().filter(s -> s.sent().isAfter(firstRefusal.at())).allMatch(s -> s.status() == 401),
          "once refused, always refused");
      assertEquals("expired", listed(owner.apiKey(), old.getString("id")).getString("state"));
      assertEquals(200, api.get("/v1/memories", fresh.getString("key")).status());
      assertEquals(404, api.post("/v1/api-keys/" + old.getString("id") + "/rotate", owner.apiKey(),
          new JsonObject()).status(), "an expired key is rotated no more");
    } finally {
      stop.set(true);
      clients.shutdownNow();
    }
  }

  @Test
  void an_expired_key_is_401_api_key_expired_and_its_expiry_is_audited_once() {
    Account owner = api.signup();
    String soon = Instant.now().plusSeconds(1).toString();
    JsonObject key = createKey(owner.apiKey(), new JsonObject().put("name", "short").put("expires_at", soon));
    JsonObject later = createKey(owner.apiKey(), new JsonObject().put("name", "month").put("expires_in_days", 30));
    assertTrue(Instant.parse(later.getString("expires_at")).isAfter(Instant.now().plus(Duration.ofDays(29))));
    assertEquals(400, api.post("/v1/api-keys", owner.apiKey(), new JsonObject().put("expires_in_days", 1)
        .put("expires_at", soon)).status(), "one or the other");
    assertEquals(400, api.post("/v1/api-keys", owner.apiKey(), new JsonObject()
        .put("expires_at", "2001-01-01T00:00:00Z")).status(), "not in the past");

    Eventually.until(Duration.ofSeconds(10), "the key expires", () -> api.get("/v1/memories", key.getString("key"))
        .status() == 401);
    assertEquals("api_key_expired", api.get("/v1/memories", key.getString("key")).json().getString("code"));
    Eventually.until(Duration.ofSeconds(10), "its expiry is audited", () -> api.get("/v1/audit-log?action=api_key.expired",
        owner.apiKey()).json().getJsonArray("data").size() == 1);
    JsonObject entry = api.get("/v1/audit-log?action=api_key.expired", owner.apiKey()).json().getJsonArray("data")
        .getJsonObject(0);
    assertEquals(List.of(key.getString("id"), "system"), List.of(entry.getString("target"), entry.getString("actor")));
  }

  @Test
  void last_used_at_shows_to_the_minute_and_is_written_in_a_batch() throws Exception {
    Account owner = api.signup();
    JsonObject key = createKey(owner.apiKey(), new JsonObject().put("name", "used"));
    assertEquals(null, listed(owner.apiKey(), key.getString("id")).getString("last_used_at"));
    for (int i = 0; i < 5; i++) assertEquals(200, api.get("/v1/stats", key.getString("key")).status());
    String lastUsed = listed(owner.apiKey(), key.getString("id")).getString("last_used_at");
    assertNotNull(lastUsed, "listed at once");
    assertTrue(lastUsed.endsWith(":00.000Z"), "a whole minute: " + lastUsed);
    Eventually.until(Duration.ofSeconds(10), "written to the control plane", () -> lastUsed.equals(stored(key)));
  }

  private String stored(JsonObject key) {
    try (Connection conn = DriverManager.getConnection("jdbc:sqlite:" + server.dataDir().resolve("control.db"));
         PreparedStatement ps = conn.prepareStatement("SELECT last_used_at FROM api_keys WHERE id = ?")) {
      ps.setString(1, key.getString("id"));
      ResultSet rs = ps.executeQuery();
      return rs.next() ? rs.getString(1) : null;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void a_key_never_acts_beyond_its_members_role_and_stops_with_the_membership() {
    Account owner = api.signup();
    server.setTenantPlan(owner.tenantId(), "team");
    Member admin = api.join(owner.apiKey(), "admin");
    String key = createKey(admin.token(), new JsonObject().put("name", "admin's").put("scopes",
        new io.vertx.core.json.JsonArray().add("admin"))).getString("key");
    assertEquals(200, api.get("/v1/api-keys", key).status());

    api.patch("/v1/members/" + admin.userId(), owner.apiKey(), new JsonObject().put("role", "member"));
    Api.Response keys = api.get("/v1/api-keys", key);
    assertEquals(403, keys.status(), "an admin scope is cut to the member's role, at once");
    assertEquals("insufficient_scope", keys.json().getString("code"));
    assertEquals(201, api.post("/v1/memories", key, new JsonObject().put("content", "a member writes")).status());
    api.patch("/v1/members/" + admin.userId(), owner.apiKey(), new JsonObject().put("role", "viewer"));
    assertEquals(403, api.post("/v1/memories", key, new JsonObject().put("content", "x")).status());
    assertEquals(200, api.get("/v1/memories", key).status());

    assertEquals(204, api.delete("/v1/members/" + admin.userId(), owner.apiKey()).status());
    Api.Response revoked = api.get("/v1/memories", key);
    assertEquals(401, revoked.status(), "a removed member's keys are revoked with the membership");
    assertEquals("api_key_revoked", revoked.json().getString("code"));
    assertEquals("revoked", api.get("/v1/api-keys", owner.apiKey()).json().getJsonArray("data").stream()
        .map(k -> (JsonObject) k).filter(k -> k.getString("name").equals("admin's")).findFirst().orElseThrow()
        .getString("state"));
    assertEquals(400, api.post("/v1/api-keys/key_" + "0".repeat(20) + "/rotate", owner.apiKey(),
        new JsonObject().put("overlap_seconds", 3601)).status(), "past the most overlap allowed");
  }
}
