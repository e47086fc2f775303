package dev.engram.cloud.api;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** After N requests the usage counters say exactly N, and a graceful restart keeps them. */
class MeteringTest {

  @Test
  void counters_are_exact_and_survive_a_graceful_restart() {
    TestServer server = TestServer.start();
    Api api = server.api();
    Account account = api.signup();
    String key = account.apiKey();

    int creates = 12;
    int searches = 7;
    int gets = 9;
    int failed = 4;
    long firstId = 0;
    for (int i = 0; i < creates; i++) {
      long id = api.createMemory(key, new JsonObject().put("content", "metered " + i)).getLong("id");
      if (i == 0) firstId = id;
    }
    for (int i = 0; i < searches; i++) {
      assertEquals(200, api.post("/v1/search", key, new JsonObject().put("query", "metered")).status());
    }
    for (int i = 0; i < gets; i++) {
      assertEquals(200, api.get("/v1/memories/" + firstId, key).status());
    }
    for (int i = 0; i < failed; i++) {
      assertEquals(404, api.get("/v1/memories/999999", key).status());
    }
    assertEquals(401, api.get("/v1/stats", null).status(), "unauthenticated calls are not billed");

    int calls = creates + searches + gets + failed;
    JsonObject totals = api.get("/v1/usage", key).json().getJsonObject("totals");
    assertEquals(calls, totals.getLong("api_calls"));
    assertEquals(creates, totals.getLong("memories_created"));
    assertEquals(searches, totals.getLong("searches"));

    server.stop();
    TestServer restarted = TestServer.start(new JsonObject().put("data_dir", server.dataDir().toString()));
    try {
      JsonObject after = restarted.api().get("/v1/usage", key).json().getJsonObject("totals");
      assertEquals(calls + 1, after.getLong("api_calls"), "the earlier usage read counts too");
      assertEquals(creates, after.getLong("memories_created"));
      assertEquals(searches, after.getLong("searches"));
    } finally {
      restarted.close();
    }
  }
}
