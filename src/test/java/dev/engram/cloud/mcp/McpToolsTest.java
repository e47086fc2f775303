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

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Engram tool set through MCP: results, tool errors, scopes, metering and tenant isolation. */
class McpToolsTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;
  static McpHttp mcp;
  static Account a;
  static Account b;

  @BeforeAll
  static void given_two_tenants() {
    api = server.api();
    mcp = new McpHttp(api);
    a = api.signup();
    b = api.signup();
  }

  @Test
  void create_get_update_search_and_delete_round_trip_with_structured_content() {
    JsonObject created = mcp.ok(a.apiKey(), "memory_create", new JsonObject()
        .put("content", "  Use async/await for I/O-bound work in Rust  ").put("type", "learning")
        .put("tags", new JsonArray().add("rust").add("Rust").add("async")).put("workspace", "Backend")
        .put("importance", 0.9).put("defer_embedding", true));
    long id = created.getLong("id");
    assertEquals("Use async/await for I/O-bound work in Rust", created.getString("content"));
    assertEquals("learning", created.getString("memory_type"));
    assertEquals(new JsonArray().add("rust").add("async"), created.getJsonArray("tags"));
    assertEquals("backend", created.getString("workspace"));

    JsonObject result = mcp.call(a.apiKey(), "memory_get", new JsonObject().put("id", id));
    assertEquals(result.getJsonObject("structuredContent"),
        new JsonObject(result.getJsonArray("content").getJsonObject(0).getString("text")), "the same JSON as text");

    JsonObject updated = mcp.ok(a.apiKey(), "memory_update", new JsonObject().put("id", id).put("importance", 0.2));
    assertEquals(2, updated.getInteger("version"));
    assertEquals(2, mcp.ok(a.apiKey(), "memory_versions", new JsonObject().put("id", id))
        .getJsonArray("versions").size(), "the current version and the first");

    JsonObject found = mcp.ok(a.apiKey(), "memory_search", new JsonObject().put("query", "async rust"));
    assertEquals(id, found.getJsonArray("results").getJsonObject(0).getJsonObject("memory").getLong("id"));
    assertEquals("hybrid", found.getString("strategy"), "the configured default, as over REST");
    assertEquals("hybrid", api.search(a.apiKey(), new JsonObject().put("query", "async rust")).getString("strategy"));

    JsonObject listed = mcp.ok(a.apiKey(), "memory_list", new JsonObject().put("workspace", "backend").put("limit", 5));
    assertEquals(1, listed.getInteger("count"));

    assertEquals(id, mcp.ok(a.apiKey(), "memory_delete", new JsonObject().put("id", id)).getLong("deleted"));
    JsonObject gone = mcp.call(a.apiKey(), "memory_get", new JsonObject().put("id", id));
    assertTrue(gone.getBoolean("isError"));
  }

  @Test
  void bad_arguments_are_tool_errors_that_name_the_problem_and_write_nothing() {
    long before = stats(a);
    for (JsonObject args : new JsonObject[] {
        new JsonObject(),
        new JsonObject().put("content", "   "),
        new JsonObject().put("content", "x").put("importance", 7),
        new JsonObject().put("content", "x").put("memory_type", "poem"),
        new JsonObject().put("content", "x").put("tags", "not-a-list"),
        new JsonObject().put("content", "x").put("workspace", "bad name!"),
        new JsonObject().put("content", "x").put("tier", "permanent").put("ttl_seconds", 60),
        new JsonObject().put("content", "x").put("tenant_id", b.tenantId())}) {
      JsonObject result = mcp.call(a.apiKey(), "memory_create", args);
      assertTrue(result.getBoolean("isError"), args.encode());
      String message = result.getJsonArray("content").getJsonObject(0).getString("text");
      assertFalse(message.isBlank());
    }
    assertEquals(before, stats(a));
  }

  @Test
  void batch_create_reports_each_item_and_counts_only_the_created() {
    JsonObject out = mcp.ok(a.apiKey(), "memory_create_batch", new JsonObject().put("memories", new JsonArray()
        .add(new JsonObject().put("content", "batch one"))
        .add(new JsonObject().put("content", ""))
        .add(new JsonObject().put("content", "batch three").put("tags", new JsonArray().add("b")))));
    assertEquals(2, out.getInteger("total_created"));
    assertEquals(1, out.getInteger("total_failed"));
    assertEquals(1, out.getJsonArray("failed").getJsonObject(0).getInteger("index"));
    JsonArray ids = new JsonArray();
    out.getJsonArray("created").forEach(m -> ids.add(((JsonObject) m).getLong("id")));
    JsonObject deleted = mcp.ok(a.apiKey(), "memory_delete_batch", new JsonObject().put("ids", ids.copy().add(999_999)));
    assertEquals(2, deleted.getInteger("total_deleted"));
    assertEquals(999_999, deleted.getJsonArray("failed").getJsonObject(0).getLong("id"));
  }

  @Test
  void tenant_b_reaches_none_of_a_s_memories_whatever_the_arguments_say() {
    long id = mcp.ok(a.apiKey(), "memory_create", new JsonObject().put("content", "alpha confidential zebra"))
        .getLong("id");
    for (String tool : new String[] {"memory_get", "memory_versions", "memory_delete", "memory_related"}) {
      assertTrue(mcp.call(b.apiKey(), tool, new JsonObject().put("id", id)).getBoolean("isError"), tool);
    }
    assertTrue(mcp.call(b.apiKey(), "memory_update", new JsonObject().put("id", id).put("content", "pwned"))
        .getBoolean("isError"));
    assertTrue(mcp.call(b.apiKey(), "workspace_move", new JsonObject().put("id", id).put("workspace", "x"))
        .getBoolean("isError"));
    assertEquals(0, mcp.ok(b.apiKey(), "memory_search", new JsonObject().put("query", "zebra"))
        .getJsonArray("results").size());
    assertEquals(0, mcp.ok(b.apiKey(), "memory_list", new JsonObject()).getJsonArray("memories").stream()
        .filter(m -> ((JsonObject) m).getString("content").contains("zebra")).count());
    Api.Response read = mcp.post(b.apiKey(), mcp.request("resources/read", new JsonObject()
        .put("uri", "engram://memory/" + id)));
    assertEquals(-32602, read.json().getJsonObject("error").getInteger("code"));
    Api.Response spoofed = mcp.post(b.apiKey(), mcp.request("tools/call", new JsonObject().put("name", "memory_get")
        .put("arguments", new JsonObject().put("id", id))), Map.of("X-Tenant-Slug", a.tenantId()));
    assertEquals(403, spoofed.status());
    assertEquals("alpha confidential zebra", mcp.ok(a.apiKey(), "memory_get", new JsonObject().put("id", id))
        .getString("content"), "A's memory untouched");
  }

  @Test
  void a_read_only_key_can_search_but_not_write() {
    String readOnly = api.post("/v1/api-keys", a.apiKey(), new JsonObject().put("name", "reader")
        .put("scopes", new JsonArray().add("memories:read"))).json().getString("key");
    long before = stats(a);
    JsonObject denied = mcp.call(readOnly, "memory_create", new JsonObject().put("content", "nope"));
    assertTrue(denied.getBoolean("isError"));
    assertTrue(denied.getJsonArray("content").getJsonObject(0).getString("text").contains("memories:write"));
    assertEquals(before, stats(a));
    assertFalse(mcp.call(readOnly, "memory_search", new JsonObject().put("query", "anything")).getBoolean("isError"));
  }

  @Test
  void resources_list_templates_and_read() {
    long id = mcp.ok(a.apiKey(), "memory_create", new JsonObject().put("content", "resource body")
        .put("workspace", "docs")).getLong("id");
    JsonObject list = mcp.post(a.apiKey(), mcp.request("resources/list", new JsonObject())).json().getJsonObject("result");
    assertEquals("engram://stats", list.getJsonArray("resources").getJsonObject(0).getString("uri"));
    JsonObject read = mcp.post(a.apiKey(), mcp.request("resources/read", new JsonObject()
        .put("uri", "engram://memory/" + id))).json().getJsonObject("result");
    JsonObject memory = new JsonObject(read.getJsonArray("contents").getJsonObject(0).getString("text"));
    assertEquals("resource body", memory.getString("content"));
    JsonObject stats = new JsonObject(mcp.post(a.apiKey(), mcp.request("resources/read", new JsonObject()
        .put("uri", "engram://stats"))).json().getJsonObject("result").getJsonArray("contents").getJsonObject(0)
        .getString("text"));
    assertTrue(stats.getLong("total_memories") >= 1);
    Api.Response missing = mcp.post(a.apiKey(), mcp.request("resources/read", new JsonObject()
        .put("uri", "engram://memory/987654")));
    assertEquals("engram://memory/987654", missing.json().getJsonObject("error").getJsonObject("data").getString("uri"));
  }

  @Test
  void usage_counts_mcp_creates_and_searches() {
    Account c = api.signup();
    mcp.ok(c.apiKey(), "memory_create", new JsonObject().put("content", "metered"));
    mcp.ok(c.apiKey(), "memory_search", new JsonObject().put("query", "metered"));
    mcp.ok(c.apiKey(), "memory_search", new JsonObject().put("query", "metered"));
    JsonObject today = api.get("/v1/usage", c.apiKey()).json().getJsonObject("totals");
    assertEquals(1, today.getInteger("memories_created"), today.encode());
    assertEquals(2, today.getInteger("searches"), today.encode());
  }

  @Test
  void links_workspaces_export_import_and_suggest_work_through_mcp() {
    Account c = api.signup();
    long x = mcp.ok(c.apiKey(), "memory_create", new JsonObject().put("content", "Postgres connection pooling with PgBouncer")
        .put("workspace", "infra")).getLong("id");
    long y = mcp.ok(c.apiKey(), "memory_create", new JsonObject().put("content", "Database migrations run at deploy"))
        .getLong("id");
    JsonObject link = mcp.ok(c.apiKey(), "memory_link", new JsonObject().put("from_id", x).put("to_id", y)
        .put("edge_type", "related"));
    assertEquals("related_to", link.getString("edge_type"));
    assertEquals(1, mcp.ok(c.apiKey(), "memory_related", new JsonObject().put("id", y)).getJsonArray("related").size());
    assertTrue(mcp.ok(c.apiKey(), "memory_unlink", new JsonObject().put("from_id", x).put("to_id", y))
        .getBoolean("unlinked"));
    assertEquals("infra", mcp.ok(c.apiKey(), "workspace_move", new JsonObject().put("id", y).put("workspace", "Infra"))
        .getJsonObject("memory").getString("workspace"));
    assertEquals(2, mcp.ok(c.apiKey(), "workspace_stats", new JsonObject().put("workspace", "infra"))
        .getInteger("memory_count"));

    JsonObject suggestion = mcp.ok(c.apiKey(), "memory_search_suggest", new JsonObject().put("query", "postgers poolng"));
    assertEquals("postgres pooling", suggestion.getString("suggestion"), suggestion.encode());
    JsonObject typo = mcp.ok(c.apiKey(), "memory_search", new JsonObject().put("query", "postgers poolng"));
    assertEquals(x, typo.getJsonArray("results").getJsonObject(0).getJsonObject("memory").getLong("id"));

    JsonObject export = mcp.ok(c.apiKey(), "memory_export", new JsonObject());
    assertEquals("1.0", export.getString("version"));
    assertEquals(2, export.getInteger("memory_count"));
    Account d = api.signup();
    JsonObject imported = mcp.ok(d.apiKey(), "memory_import", new JsonObject().put("data", export));
    assertEquals(2, imported.getInteger("imported"));
    JsonObject again = mcp.ok(d.apiKey(), "memory_import", new JsonObject().put("data", export));
    assertEquals(0, again.getInteger("imported"));
    assertEquals(2, again.getInteger("skipped"));
    JsonObject broken = mcp.call(d.apiKey(), "memory_import", new JsonObject().put("data", new JsonObject()
        .put("version", "1.0").put("memories", new JsonArray().add(new JsonObject().put("content", "fine"))
            .add(new JsonObject().put("content", "bad").put("importance", 9)))));
    assertTrue(broken.getBoolean("isError"));
    assertEquals(2, stats(d), "a malformed document writes nothing");
  }

  private static long stats(Account account) {
    return api.get("/v1/stats", account.apiKey()).json().getLong("total_memories");
  }
}
