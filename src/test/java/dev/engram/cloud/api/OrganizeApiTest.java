package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tags, versions, recent activity, workspaces and links, as a user drives them over HTTP. */
@Timeout(60)
class OrganizeApiTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;

  @BeforeAll
  static void start() {
    api = server.api();
  }

  private static long create(String key, JsonObject memory) {
    return api.createMemory(key, memory).getLong("id");
  }

  private static JsonObject ok(Api.Response r) {
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  @Test
  void tags_are_counted_over_live_memories_most_used_first() {
    String key = api.signup().apiKey();
    create(key, new JsonObject().put("content", "a").put("tags", new JsonArray().add("rust").add("async")));
    create(key, new JsonObject().put("content", "b").put("tags", new JsonArray().add("Rust")));
    long c = create(key, new JsonObject().put("content", "c").put("tags", new JsonArray().add("rust").add("zig")));
    api.delete("/v1/memories/" + c, key);

    JsonArray tags = ok(api.get("/v1/tags", key)).getJsonArray("tags");
    assertEquals(2, tags.size(), tags.encode());
    assertEquals("rust", tags.getJsonObject(0).getString("name").toLowerCase());
    assertEquals(2, tags.getJsonObject(0).getLong("count"), "tags match ignoring case; deleted memories drop out");
    assertEquals("async", tags.getJsonObject(1).getString("name"));
    assertEquals(1, tags.getJsonObject(1).getLong("count"));
    assertTrue(tags.getJsonObject(0).getString("last_used").endsWith("Z"));
    assertEquals(0, ok(api.get("/v1/tags", api.signup().apiKey())).getJsonArray("tags").size());
  }

  @Test
  void versions_record_every_update_and_move_newest_first() {
    String key = api.signup().apiKey();
    long id = create(key, new JsonObject().put("content", "draft").put("tags", new JsonArray().add("v")));
    ok(api.patch("/v1/memories/" + id, key, new JsonObject().put("content", "second draft")));
    JsonObject moved = ok(api.post("/v1/memories/" + id + "/move", key, new JsonObject().put("workspace", " Team-B ")));
    assertEquals(true, moved.getBoolean("success"));
    assertEquals("team-b", moved.getJsonObject("memory").getString("workspace"), "the name is normalized");
    assertEquals(3, moved.getJsonObject("memory").getInteger("version"));
    assertEquals("second draft", moved.getJsonObject("memory").getString("content"), "a move changes nothing else");

    JsonObject history = ok(api.get("/v1/memories/" + id + "/versions", key));
    assertEquals(id, history.getLong("id"));
    JsonArray versions = history.getJsonArray("versions");
    assertEquals(3, versions.size(), versions.encode());
    assertEquals(List.of(3, 2, 1), versions.stream().map(v -> ((JsonObject) v).getInteger("version")).toList());
    assertEquals("team-b", versions.getJsonObject(0).getString("workspace"));
    assertEquals("second draft", versions.getJsonObject(1).getString("content"));
    assertEquals("default", versions.getJsonObject(1).getString("workspace"));
    assertEquals("draft", versions.getJsonObject(2).getString("content"));
    assertEquals(new JsonArray().add("v"), versions.getJsonObject(2).getJsonArray("tags"));

    assertEquals(1, ok(api.get("/v1/memories?workspace=team-b", key)).getJsonArray("data").size());
    assertEquals(0, ok(api.get("/v1/memories?workspace=default", key)).getJsonArray("data").size());

    api.delete("/v1/memories/" + id, key);
    assertEquals(404, api.get("/v1/memories/" + id + "/versions", key).status());
    assertEquals(404, api.post("/v1/memories/" + id + "/move", key, new JsonObject().put("workspace", "x")).status());
  }

  @Test
  void recent_activity_filters_by_time_workspace_and_type() {
    String key = api.signup().apiKey();
    Instant before = Instant.now().minusSeconds(1);
    long note = create(key, new JsonObject().put("content", "x".repeat(150)).put("workspace", "alpha"));
    long decision = create(key, new JsonObject().put("content", "ship it").put("memory_type", "decision")
        .put("tags", new JsonArray().add("release")));
    ok(api.patch("/v1/memories/" + note, key, new JsonObject().put("importance", 0.8)));

    JsonObject all = ok(api.get("/v1/activity", key));
    assertEquals(2, all.getInteger("count"));
    JsonArray activities = all.getJsonArray("activities");
    assertEquals(note, activities.getJsonObject(0).getLong("id"), "the latest change comes first");
    assertEquals("x".repeat(100) + "...", activities.getJsonObject(0).getString("preview"));
    assertEquals(0.8, activities.getJsonObject(0).getDouble("importance"));
    assertEquals(new JsonArray().add("release"), activities.getJsonObject(1).getJsonArray("tags"));

    JsonArray inAlpha = ok(api.get("/v1/activity?workspace=alpha&timeframe=1h", key)).getJsonArray("activities");
    assertEquals(1, inAlpha.size());
    assertEquals(note, inAlpha.getJsonObject(0).getLong("id"));
    JsonArray decisions = ok(api.get("/v1/activity?types=decision,todo", key)).getJsonArray("activities");
    assertEquals(1, decisions.size());
    assertEquals(decision, decisions.getJsonObject(0).getLong("id"));
    assertEquals(1, ok(api.get("/v1/activity?limit=1", key)).getInteger("count"));
    assertEquals(2, ok(api.get("/v1/activity?since=" + before, key)).getInteger("count"));
    String future = Instant.now().plusSeconds(3600).toString();
    assertEquals(0, ok(api.get("/v1/activity?since=" + future, key)).getInteger("count"));
  }

  @Test
  void workspaces_are_listed_largest_first_with_their_stats() {
    String key = api.signup().apiKey();
    for (int i = 0; i < 3; i++) {
      create(key, new JsonObject().put("content", "big " + i).put("workspace", "big").put("importance", 0.2 * (i + 1))
          .put("tags", new JsonArray().add("common").add("t" + i)));
    }
    create(key, new JsonObject().put("content", "small").put("workspace", "small").put("ttl_seconds", 3600));

    JsonObject list = ok(api.get("/v1/workspaces", key));
    assertEquals(2, list.getInteger("count"));
    JsonObject big = list.getJsonArray("workspaces").getJsonObject(0);
    assertEquals("big", big.getString("workspace"));
    assertEquals(3, big.getLong("memory_count"));
    assertEquals(3, big.getLong("permanent_count"));
    assertEquals(0, big.getLong("daily_count"));
    assertEquals(0.4, big.getDouble("avg_importance"), 1e-9);
    assertEquals("common", big.getJsonArray("top_tags").getString(0));
    assertTrue(big.getString("first_memory_at").compareTo(big.getString("last_memory_at")) <= 0);
    JsonObject small = list.getJsonArray("workspaces").getJsonObject(1);
    assertEquals(1, small.getLong("daily_count"));

    assertEquals(big, ok(api.get("/v1/workspaces/BIG", key)), "one workspace, by a name that normalizes to it");
    Api.Response missing = api.get("/v1/workspaces/nothing-here", key);
    assertEquals(404, missing.status());
    assertEquals("not_found", missing.json().getString("code"));
  }

  @Test
  void links_are_upserted_listed_both_ways_and_removed() {
    String key = api.signup().apiKey();
    long a = create(key, new JsonObject().put("content", "decision a"));
    long b = create(key, new JsonObject().put("content", "decision b supersedes a"));
    long c = create(key, new JsonObject().put("content", "note c"));

    JsonObject link = ok(api.post("/v1/links", key, new JsonObject().put("from_id", b).put("to_id", a)
        .put("edge_type", "supersedes").put("strength", 0.5).put("source_context", "review")));
    assertEquals(b, link.getLong("from_id"));
    assertEquals(a, link.getLong("to_id"));
    assertEquals("supersedes", link.getString("edge_type"));
    assertEquals(0.5, link.getDouble("strength"));
    assertEquals("manual", link.getString("source"));
    assertEquals("review", link.getString("source_context"));

    JsonObject again = ok(api.post("/v1/links", key, new JsonObject().put("from_id", b).put("to_id", a)
        .put("edge_type", "supersedes").put("strength", 0.9)));
    assertEquals(0.9, again.getDouble("strength"), "the same link again updates it");
    assertEquals(link.getString("created_at"), again.getString("created_at"));
    JsonObject defaulted = ok(api.post("/v1/links", key, new JsonObject().put("from_id", c).put("to_id", a)));
    assertEquals("related_to", defaulted.getString("edge_type"));
    assertEquals(1.0, defaulted.getDouble("strength"));

    JsonArray related = ok(api.get("/v1/memories/" + a + "/related", key)).getJsonArray("related");
    assertEquals(2, related.size(), related.encode());
    assertEquals(c, related.getJsonObject(0).getLong("from_id"), "strongest first");
    assertEquals("incoming", related.getJsonObject(0).getString("direction"));
    JsonArray fromB = ok(api.get("/v1/memories/" + b + "/related", key)).getJsonArray("related");
    assertEquals(1, fromB.size());
    assertEquals("outgoing", fromB.getJsonObject(0).getString("direction"));
    JsonArray onlySupersedes = ok(api.get("/v1/memories/" + a + "/related?edge_type=supersedes", key))
        .getJsonArray("related");
    assertEquals(1, onlySupersedes.size());
    assertEquals(b, onlySupersedes.getJsonObject(0).getLong("from_id"));

    // Unlink by query, then by body; a link that is gone is a 404.
    assertEquals(true, ok(api.send("DELETE", "/v1/links?from_id=" + c + "&to_id=" + a, key, null))
        .getBoolean("unlinked"));
    assertEquals(404, api.send("DELETE", "/v1/links?from_id=" + c + "&to_id=" + a, key, null).status());
    String body = new JsonObject().put("from_id", b).put("to_id", a).put("edge_type", "supersedes").encode();
    assertEquals(200, api.send("DELETE", "/v1/links", key, body).status());
    assertEquals(0, ok(api.get("/v1/memories/" + a + "/related", key)).getJsonArray("related").size());
  }

  @Test
  void links_need_two_live_distinct_memories_and_vanish_with_either() {
    String key = api.signup().apiKey();
    long a = create(key, new JsonObject().put("content", "a"));
    long b = create(key, new JsonObject().put("content", "b"));
    long c = create(key, new JsonObject().put("content", "c"));
    assertEquals(404, api.post("/v1/links", key, new JsonObject().put("from_id", a).put("to_id", 999_999)).status());
    assertEquals(404, api.post("/v1/links", key, new JsonObject().put("from_id", 999_999).put("to_id", a)).status());
    assertEquals(400, api.post("/v1/links", key, new JsonObject().put("from_id", a).put("to_id", a)).status());
    ok(api.post("/v1/links", key, new JsonObject().put("from_id", a).put("to_id", b)));
    ok(api.post("/v1/links", key, new JsonObject().put("from_id", c).put("to_id", b).put("edge_type", "related")));

    assertEquals(204, api.delete("/v1/memories/" + a, key).status());
    JsonArray left = ok(api.get("/v1/memories/" + b + "/related", key)).getJsonArray("related");
    assertEquals(1, left.size(), "the link from the deleted memory is gone: " + left.encode());
    assertEquals(c, left.getJsonObject(0).getLong("from_id"));
    assertEquals(404, api.get("/v1/memories/" + a + "/related", key).status());
    assertEquals(404, api.send("DELETE", "/v1/links?from_id=" + a + "&to_id=" + b, key, null).status());
  }

  @Test
  void expired_memories_never_appear() {
    String key = api.signup().apiKey();
    long keep = create(key, new JsonObject().put("content", "stays").put("workspace", "w"));
    long gone = create(key, new JsonObject().put("content", "fleeting").put("ttl_seconds", 1).put("workspace", "w")
        .put("tags", new JsonArray().add("ephemeral")));
    ok(api.post("/v1/links", key, new JsonObject().put("from_id", gone).put("to_id", keep)));
    Eventually.until(Duration.ofSeconds(10), "the daily memory expires",
        () -> api.get("/v1/memories/" + gone, key).status() == 404);

    assertEquals(0, ok(api.get("/v1/tags", key)).getJsonArray("tags").size());
    assertEquals(1, ok(api.get("/v1/workspaces/w", key)).getLong("memory_count"));
    assertEquals(1, ok(api.get("/v1/activity", key)).getInteger("count"));
    assertEquals(0, ok(api.get("/v1/memories/" + keep + "/related", key)).getJsonArray("related").size());
    assertEquals(404, api.get("/v1/memories/" + gone + "/versions", key).status());
    assertEquals(404, api.post("/v1/memories/" + gone + "/move", key, new JsonObject().put("workspace", "x")).status());
    JsonObject export = ok(api.get("/v1/export", key));
    assertEquals(1, export.getInteger("memory_count"));
    assertNull(export.getJsonArray("memories").getJsonObject(0).getValue("expires_at"));
  }
}
