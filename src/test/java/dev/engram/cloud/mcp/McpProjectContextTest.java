package dev.engram.cloud.mcp;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** memory_scan_project, memory_get_project_context and memory_list_instruction_files through MCP. */
@Timeout(60)
class McpProjectContextTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;
  static McpHttp mcp;

  @BeforeAll
  static void start() {
    api = server.api();
    mcp = new McpHttp(api);
  }

  static JsonObject files(String agents) {
    return new JsonObject().put("project", "acme").put("files", new JsonArray()
        .add(new JsonObject().put("path", "AGENTS.md").put("content", agents))
        .add(new JsonObject().put("path", ".github/copilot-instructions.md").put("content", "# Tone\n\nBe terse.\n")));
  }

  @Test
  void scan_get_and_rescan_through_tools() {
    String key = api.signup().apiKey();
    String agents = "# Setup\n\nUse JDK 17.\n\n# Tests\n\nRun scripts/test.\n";
    JsonObject first = mcp.ok(key, "memory_scan_project", files(agents));
    assertEquals(5, first.getInteger("memories_created"));
    assertEquals(2, first.getInteger("files_found"));

    JsonObject context = mcp.ok(key, "memory_get_project_context", new JsonObject().put("project", "acme"));
    assertEquals(5, context.getInteger("count"));
    JsonObject copilot = context.getJsonArray("memories").getJsonObject(0);
    assertEquals("copilot-instructions", copilot.getJsonObject("metadata").getString("file_type"));
    assertEquals(2, mcp.ok(key, "memory_get_project_context", new JsonObject().put("project", "acme")
        .put("include_sections", false)).getInteger("count"));

    JsonObject again = mcp.ok(key, "memory_scan_project", files(agents));
    assertEquals(0, again.getInteger("memories_created"));
    assertEquals(0, again.getInteger("memories_updated"));

    JsonObject changed = mcp.ok(key, "memory_scan_project", files(agents.replace("JDK 17", "JDK 21")));
    assertEquals(2, changed.getInteger("memories_updated"), "the Setup section and the AGENTS.md memory");
    assertEquals(0, changed.getInteger("memories_created"));

    JsonObject found = mcp.ok(key, "memory_search", new JsonObject().put("query", "which JDK for setup")
        .put("project", "acme").put("strategy", "hybrid").put("explain", true));
    JsonObject top = found.getJsonArray("results").getJsonObject(0);
    assertEquals("acme", top.getJsonObject("memory").getJsonObject("metadata").getString("project"));
  }

  @Test
  void list_instruction_files_describes_without_storing() {
    String key = api.signup().apiKey();
    JsonObject listed = mcp.ok(key, "memory_list_instruction_files", new JsonObject().put("files",
        files("# Setup\n\nx\n\n## Deeper\n\ny\n").getJsonArray("files")));
    assertTrue(listed.getJsonArray("known_files").stream().map(JsonObject.class::cast)
        .anyMatch(f -> f.getString("path").equals("CLAUDE.md") && f.getString("file_type").equals("claude-md")));
    JsonObject agents = listed.getJsonArray("files").getJsonObject(0);
    assertEquals("agents-md", agents.getString("file_type"));
    assertEquals("markdown", agents.getString("format"));
    assertEquals(new JsonArray().add("Setup").add("Setup > Deeper"), agents.getJsonArray("sections"));
    assertEquals(0, api.get("/v1/stats", key).json().getInteger("total_memories"));
  }

  @Test
  void bad_arguments_are_tool_errors_and_write_nothing() {
    String key = api.signup().apiKey();
    for (JsonObject args : new JsonObject[] {
        new JsonObject().put("files", new JsonArray()),
        new JsonObject().put("project", "p"),
        new JsonObject().put("project", "  ").put("files", new JsonArray()),
        new JsonObject().put("project", "p").put("files", new JsonArray().add(new JsonObject().put("path", "../x.md").put("content", "# a\n\nb"))),
        new JsonObject().put("project", "p").put("files", new JsonArray().add(new JsonObject().put("path", "/etc/passwd").put("content", "x"))),
        new JsonObject().put("project", "p").put("files", new JsonArray().add(new JsonObject().put("path", "a.md"))),
        new JsonObject().put("project", "p").put("files", new JsonArray().add(new JsonObject().put("path", "a.md").put("content", "x").put("mode", 644))),
    }) {
      JsonObject result = mcp.call(key, "memory_scan_project", args);
      assertTrue(result.getBoolean("isError"), args.encode() + " → " + result.encode());
    }
    assertTrue(mcp.call(key, "memory_get_project_context", new JsonObject().put("project", "p")
        .put("file_types", new JsonArray().add("poem"))).getBoolean("isError"));
    assertEquals(0, api.get("/v1/stats", key).json().getInteger("total_memories"));
  }

  @Test
  void a_workspace_restricted_key_scans_only_into_its_workspace() {
    Api.Account owner = api.signup();
    Api.Response created = api.post("/v1/api-keys", owner.apiKey(), new JsonObject().put("name", "agent")
        .put("workspaces", new JsonArray().add("backend")));
    assertEquals(201, created.status(), created.body());
    String restricted = created.json().getString("key");
    assertTrue(mcp.call(restricted, "memory_scan_project", files("# A\n\nb\n")).getBoolean("isError"),
        "the default workspace is not the key's");
    JsonObject ok = mcp.ok(restricted, "memory_scan_project", files("# A\n\nb\n").put("workspace", "backend"));
    assertEquals(4, ok.getInteger("memories_created"));
    assertEquals(4, mcp.ok(restricted, "memory_get_project_context", new JsonObject().put("project", "acme")
        .put("workspace", "backend")).getInteger("count"));
    assertTrue(mcp.call(restricted, "memory_get_project_context", new JsonObject().put("project", "acme"))
        .getBoolean("isError"));
    assertEquals(403, api.get("/v1/project-context?project=acme", restricted).status());
    assertEquals(200, api.get("/v1/project-context?project=acme&workspace=backend", restricted).status());
  }
}
