package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Timestamps a user sends are taken from the year 0000 to the year 9999 (UTC), both included, and stored so that
 * they sort in time order; outside that range they are refused (issue 9; the refusals are rows of BadInputTest).
 */
@Timeout(60)
class TimestampRangeTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;

  @BeforeAll
  static void start() {
    api = server.api();
  }

  static List<String> contents(JsonObject search) {
    return Api.contents(search);
  }

  @Test
  void the_first_and_last_instants_of_the_range_are_kept_exactly_and_in_order() {
    String key = api.signup().apiKey();
    Api.Response imported = api.post("/v1/import", key, new JsonObject().put("memories", new JsonArray()
        .add(new JsonObject().put("content", "boundary ancient").put("created_at", "0000-01-01T00:00:00Z"))
        .add(new JsonObject().put("content", "boundary future").put("created_at", "9999-12-31T23:59:59.999Z"))
        .add(new JsonObject().put("content", "boundary offset").put("created_at", "0000-01-01T01:00:00+01:00"))));
    assertEquals(200, imported.status(), imported.body());
    assertEquals(3, imported.json().getInteger("imported"));

    JsonArray data = api.get("/v1/memories", key).json().getJsonArray("data");
    assertEquals(List.of("0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "0000-01-01T00:00:00.000Z"),
        data.stream().map(m -> ((JsonObject) m).getString("created_at")).toList());

    JsonObject query = new JsonObject().put("query", "boundary").put("strategy", "keyword");
    assertEquals(List.of("boundary future"),
        contents(api.search(key, query.copy().put("created_after", "9999-12-31"))));
    assertEquals(List.of("boundary future"), contents(api.search(key, query.copy().put("filter",
        new JsonObject().put("field", "created_at").put("op", "gt").put("value", "5000-01-01T00:00:00Z")))));
    assertTrue(contents(api.search(key, query.copy().put("created_before", "0000-01-01T00:00:00.001Z")))
        .containsAll(List.of("boundary ancient", "boundary offset")));
    assertEquals(List.of("boundary future"), contents(api.search(key, query.copy().put("created_after", "0000-01-01"))),
        "after is exclusive");

    Api.Response activity = api.get("/v1/activity?since=0000-01-01T00:00:00Z", key);
    assertEquals(200, activity.status(), activity.body());
    assertEquals(3, activity.json().getInteger("count"), activity.body());
    assertEquals(200, api.get("/v1/usage?from=9999-12-01&to=9999-12-31", key).status());
  }

  @Test
  void a_refusal_names_the_range() {
    String key = api.signup().apiKey();
    Api.Response r = api.post("/v1/search", key, new JsonObject().put("query", "x")
        .put("created_after", "-999999999-01-01T00:00:00+18:00"));
    assertEquals(400, r.status(), r.body());
    assertEquals("invalid_field", r.json().getString("code"));
    assertTrue(r.json().getString("detail").contains("0000 to 9999"), r.body());
  }
}
