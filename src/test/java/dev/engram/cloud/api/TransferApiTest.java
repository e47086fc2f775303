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

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Export and import in Engram's format: lossless round trips, duplicates, all-or-nothing validation, streaming. */
@Timeout(120)
class TransferApiTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;

  @BeforeAll
  static void start() {
    api = server.api();
  }

  private static JsonObject ok(Api.Response r) {
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  private static long total(String key) {
    return ok(api.get("/v1/stats", key)).getLong("total_memories");
  }

  /** The export's items without their ids, sorted by content: what a round trip must keep. */
  private static List<JsonObject> comparable(JsonObject export) {
    return export.getJsonArray("memories").stream().map(o -> ((JsonObject) o).copy())
        .peek(m -> m.remove("id"))
        .sorted(Comparator.comparing(m -> m.getString("content")))
        .toList();
  }

  @Test
  void export_then_import_into_another_tenant_is_lossless() {
    String a = api.signup().apiKey();
    api.createMemory(a, new JsonObject().put("content", "prefer tabs").put("memory_type", "preference")
        .put("tags", new JsonArray().add("style").add("Editor")).put("importance", 0.9)
        .put("metadata", new JsonObject().put("source", "chat").put("nested", new JsonObject().put("n", 1))));
    api.createMemory(a, new JsonObject().put("content", "release on tuesday").put("memory_type", "decision")
        .put("workspace", "team-a"));
    api.createMemory(a, new JsonObject().put("content", "standup at ten").put("tier", "daily").put("workspace", "team-a"));
    long edited = api.createMemory(a, new JsonObject().put("content", "old text")).getLong("id");
    ok(api.patch("/v1/memories/" + edited, a, new JsonObject().put("content", "new text")));

    JsonObject exported = ok(api.get("/v1/export", a));
    assertEquals("1.0", exported.getString("version"));
    assertTrue(exported.getString("exported_at").endsWith("Z"));
    assertEquals(4, exported.getInteger("memory_count"));
    JsonObject first = exported.getJsonArray("memories").getJsonObject(0);
    assertEquals(Set.of("id", "content", "memory_type", "tags", "metadata", "importance", "workspace", "tier",
        "created_at", "updated_at"), first.fieldNames());

    String b = api.signup().apiKey();
    JsonObject result = ok(api.post("/v1/import", b, exported));
    assertEquals(new JsonObject().put("imported", 4).put("skipped", 0).put("failed", 0).put("errors", new JsonArray()),
        result);
    JsonObject reExported = ok(api.get("/v1/export", b));
    assertEquals(comparable(exported), comparable(reExported),
        "content, type, tags, metadata, importance, workspace, tier and both timestamps survive");
    JsonObject daily = ok(api.get("/v1/memories?workspace=team-a&memory_type=note", b)).getJsonArray("data")
        .getJsonObject(0);
    assertEquals("daily", daily.getString("tier"));
    assertTrue(daily.getString("expires_at") != null, "an imported daily memory gets a fresh day");

    JsonObject usage = ok(api.get("/v1/usage", b)).getJsonObject("totals");
    assertEquals(4, usage.getLong("memories_created"), "imported memories are metered as created");

    JsonObject teamA = ok(api.get("/v1/export?workspace=Team-A", b));
    assertEquals(2, teamA.getInteger("memory_count"));
    teamA.getJsonArray("memories").forEach(m -> assertEquals("team-a", ((JsonObject) m).getString("workspace")));
  }

  @Test
  void imports_engram_documents_and_normalizes_their_timestamps_and_workspaces() {
    String key = api.signup().apiKey();
    JsonObject doc = new JsonObject().put("version", "1.0").put("exported_at", "2025-06-01T10:00:00.123456+00:00")
        .put("memory_count", 1)
        .put("memories", new JsonArray().add(new JsonObject().put("id", 42).put("content", "from engram")
            .put("memory_type", "learning").put("tags", new JsonArray().add("x")).put("metadata", new JsonObject())
            .put("importance", 0.7).put("workspace", "My-Proj").put("tier", "permanent")
            .put("created_at", "2025-05-01T08:30:00.123456+02:00").put("updated_at", "2025-05-02T08:30:00+00:00")));
    assertEquals(1, ok(api.post("/v1/import", key, doc)).getInteger("imported"));
    JsonObject m = ok(api.get("/v1/memories", key)).getJsonArray("data").getJsonObject(0);
    assertEquals("my-proj", m.getString("workspace"));
    assertEquals("2025-05-01T06:30:00.123Z", m.getString("created_at"));
    assertEquals("2025-05-02T08:30:00.000Z", m.getString("updated_at"));
    assertEquals(1, m.getInteger("version"));
  }

  @Test
  void duplicates_are_skipped_by_default_even_within_one_document() {
    String key = api.signup().apiKey();
    api.createMemory(key, new JsonObject().put("content", "Already Here"));
    JsonObject doc = document(
        item("already   here"),
        item("fresh one"),
        item("  FRESH ONE "),
        item("fresh one").put("workspace", "elsewhere"));
    JsonObject result = ok(api.post("/v1/import", key, doc));
    assertEquals(2, result.getInteger("imported"), result.encode());
    assertEquals(2, result.getInteger("skipped"));
    assertEquals(3, total(key));

    JsonObject again = ok(api.post("/v1/import", key, doc));
    assertEquals(0, again.getInteger("imported"));
    assertEquals(4, again.getInteger("skipped"));

    JsonObject forced = ok(api.post("/v1/import?skip_duplicates=false", key, doc));
    assertEquals(4, forced.getInteger("imported"));
    assertEquals(0, forced.getInteger("skipped"));
    assertEquals(7, total(key));
    JsonObject viaBody = ok(api.post("/v1/import", key, doc.copy().put("skip_duplicates", false)));
    assertEquals(4, viaBody.getInteger("imported"));
  }

  @Test
  void a_bad_item_in_the_middle_rejects_the_whole_document_and_writes_nothing() {
    String key = api.signup().apiKey();
    api.createMemory(key, new JsonObject().put("content", "existing"));
    JsonObject doc = document(item("first"), item("second").put("importance", "high"), item("third"));
    Api.Response r = api.post("/v1/import", key, doc);
    assertEquals(400, r.status(), r.body());
    assertEquals("invalid_field", r.json().getString("code"));
    assertTrue(r.json().getString("detail").contains("memories[1].importance"), r.body());
    assertEquals(1, total(key), "nothing was imported");

    Api.Response missing = api.post("/v1/import", key, document(item("ok"), new JsonObject().put("tags",
        new JsonArray())));
    assertEquals(400, missing.status());
    assertEquals("missing_field", missing.json().getString("code"));
    assertTrue(missing.json().getString("detail").contains("memories[1].content"), missing.body());

    Api.Response truncated = api.post("/v1/import", key, document(item("a"), item("b")).put("memory_count", 3));
    assertEquals(400, truncated.status());
    assertTrue(truncated.json().getString("detail").contains("memory_count"), truncated.body());
    assertEquals(1, total(key));
    assertEquals(1, ok(api.get("/v1/usage", key)).getJsonObject("totals").getLong("memories_created"),
        "only the one create is metered");
  }

  @Test
  void a_multipart_upload_named_file_is_imported() {
    String key = api.signup().apiKey();
    JsonObject doc = document(item("uploaded one"), item("uploaded two").put("workspace", "files"));
    String boundary = "----engram" + UUID.randomUUID();
    String body = "--" + boundary + "\r\n"
        + "Content-Disposition: form-data; name=\"skip_duplicates\"\r\n\r\n"
        + "true\r\n"
        + "--" + boundary + "\r\n"
        + "Content-Disposition: form-data; name=\"file\"; filename=\"engram-export.json\"\r\n"
        + "Content-Type: application/json\r\n\r\n"
        + doc.encode() + "\r\n"
        + "--" + boundary + "--\r\n";
    Api.Response r = api.send("POST", "/v1/import", Map.of("Authorization", "Bearer " + key), body,
        "multipart/form-data; boundary=" + boundary);
    assertEquals(200, r.status(), r.body());
    assertEquals(2, r.json().getInteger("imported"));
    assertEquals(1, ok(api.get("/v1/workspaces/files", key)).getLong("memory_count"));

    String noFile = "--" + boundary + "\r\n"
        + "Content-Disposition: form-data; name=\"document\"; filename=\"x.json\"\r\n\r\n"
        + doc.encode() + "\r\n--" + boundary + "--\r\n";
    Api.Response wrongName = api.send("POST", "/v1/import", Map.of("Authorization", "Bearer " + key), noFile,
        "multipart/form-data; boundary=" + boundary);
    assertEquals(400, wrongName.status(), wrongName.body());
    assertEquals("invalid_upload", wrongName.json().getString("code"));
    assertEquals(2, total(key));
  }

  @Test
  void an_import_that_would_pass_the_plans_memory_cap_is_refused_whole() {
    var account = api.signup();
    JsonArray items = new JsonArray();
    IntStream.range(0, 1_001).forEach(i -> items.add(item("over the cap " + i)));
    Api.Response refused = api.post("/v1/import", account.apiKey(), new JsonObject().put("memories", items));
    assertEquals(402, refused.status(), refused.body());
    assertEquals("memories", refused.json().getString("cap"));
    assertEquals(0, total(account.apiKey()), "nothing imported");
  }

  @Test
  void a_large_export_is_streamed_in_chunks_and_complete() throws IOException, InterruptedException {
    var account = api.signup();
    server.setTenantPlan(account.tenantId(), "pro"); // the free plan's 1,000 memories are too few for this test
    String key = account.apiKey();
    int n = 5_000;
    JsonArray items = new JsonArray();
    IntStream.range(0, n).forEach(i -> items.add(item("bulk memory number " + i).put("workspace", i % 2 == 0 ? "even"
        : "odd")));
    JsonObject result = ok(api.post("/v1/import", key, new JsonObject().put("memories", items)));
    assertEquals(n, result.getInteger("imported"));

    HttpClient http11 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> r = http11.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.config().port() + "/v1/export"))
        .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("chunked", r.headers().firstValue("Transfer-Encoding").orElse(null));
    assertFalse(r.headers().firstValue("Content-Length").isPresent());
    JsonObject export = new JsonObject(r.body());
    assertEquals(n, export.getInteger("memory_count"));
    JsonArray memories = export.getJsonArray("memories");
    assertEquals(n, memories.size());
    for (int i = 0; i < n; i++) {
      JsonObject m = memories.getJsonObject(i);
      assertEquals("bulk memory number " + i, m.getString("content"), "in id order, none missing or repeated");
      if (i > 0) assertTrue(m.getLong("id") > memories.getJsonObject(i - 1).getLong("id"));
    }
    assertEquals(n / 2, ok(api.get("/v1/export?workspace=odd", key)).getInteger("memory_count"));
  }

  @Test
  void import_takes_documents_beyond_the_normal_body_limit_up_to_its_own() {
    String key = api.signup().apiKey();
    JsonArray items = new JsonArray();
    for (int i = 0; i < 20; i++) items.add(item(i + " " + "y".repeat(80_000)));
    JsonObject doc = new JsonObject().put("memories", items);
    assertTrue(doc.encode().length() > server.config().http().bodyLimitBytes());
    assertEquals(20, ok(api.post("/v1/import", key, doc)).getInteger("imported"));

    try (TestServer small = TestServer.start(new JsonObject().put("http",
        new JsonObject().put("import_body_limit_bytes", 10_000)))) {
      String other = small.api().signup().apiKey();
      Api.Response r = small.api().post("/v1/import", other, new JsonObject().put("memories",
          new JsonArray().add(item("z".repeat(20_000)))));
      assertEquals(413, r.status(), r.body());
      assertEquals("body_too_large", r.json().getString("code"));
      assertEquals(0, small.api().get("/v1/stats", other).json().getLong("total_memories"));
    }
  }

  private static JsonObject item(String content) {
    return new JsonObject().put("content", content);
  }

  private static JsonObject document(JsonObject... items) {
    return new JsonObject().put("version", "1.0").put("memory_count", items.length)
        .put("memories", new JsonArray(List.of((Object[]) items)));
  }
}
