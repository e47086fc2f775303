package dev.engram.cloud.abuse;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Liveness;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Markdown shaped to make a backtracking heading pattern quadratic, sent to the two entry points that parse
 * instruction files: MCP memory_list_instruction_files (a read-only key is enough) and REST project-context scan.
 * Given a running server, when the bombs go off, then /health/live keeps answering within a second, each request
 * gets its correct answer, and nothing but the request's own effect changes.
 */
@Timeout(120)
class RegexBombTest {

  /** The attack's file: a heading whose title is followed by tens of thousands of blanks and one more character. */
  static final String SPACES_BOMB = "# a" + " ".repeat(60_000) + "x";

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;

  @BeforeAll
  static void start() {
    api = server.api();
  }

  @Test
  void list_instruction_files_with_a_read_only_key_does_not_stall_the_server() {
    Api.Account owner = api.signup();
    api.createMemory(owner.apiKey(), new JsonObject().put("content", "an unrelated memory"));
    String readOnly = api.post("/v1/api-keys", owner.apiKey(), new JsonObject().put("name", "reader")
        .put("scopes", new JsonArray().add("memories:read"))).json().getString("key");
    String before = exported(owner.apiKey());

    try (Liveness live = Liveness.watch(server.config().port(), Duration.ofSeconds(1))) {
      // two at once, as in the attack: one per event loop of the test server
      List<CompletableFuture<JsonObject>> calls = List.of(
          CompletableFuture.supplyAsync(() -> listInstructionFiles(readOnly, "AGENTS.md", SPACES_BOMB)),
          CompletableFuture.supplyAsync(() -> listInstructionFiles(readOnly, "CLAUDE.md", SPACES_BOMB + "\n\nbody\n")));
      JsonObject agents = calls.get(0).join().getJsonArray("files").getJsonObject(0);
      assertEquals(new JsonArray(), agents.getJsonArray("sections"), "a heading alone has no section");
      JsonArray claude = calls.get(1).join().getJsonArray("files").getJsonObject(0).getJsonArray("sections");
      assertEquals(new JsonArray().add("a"), claude, "the title cut to 200 characters, then its blanks trimmed");
      live.assertAnswered();
    }
    assertEquals(before, exported(owner.apiKey()), "listing stores nothing");
  }

  @Test
  void a_project_scan_of_pathological_headings_answers_in_bounded_time() {
    Api.Account owner = api.signup();
    long other = api.createMemory(owner.apiKey(), new JsonObject().put("content", "an unrelated memory")).getLong("id");
    Map<String, String> bombs = Map.of(
        "CLAUDE.md", "# a" + " ".repeat(40_000) + "x\n\nbody\n",
        "AGENTS.md", "## b" + " \t".repeat(30_000) + "#" + " ".repeat(20_000) + "y\n\nbody\n",
        "GEMINI.md", "# c" + " #".repeat(30_000) + "z\n\nbody\n",
        "CONVENTIONS.md", "# d " + "#".repeat(50_000) + " " + "#".repeat(50_000) + "\n\nbody\n",
        "CODING_GUIDELINES.md", ("### e" + " ".repeat(5_000) + "\n").repeat(40) + "\nbody\n",
        "CONTRIBUTING.md", "```" + "`".repeat(100_000) + "\n# inside a fence\n" + "~".repeat(100_000) + "\nafter\n");
    JsonArray files = new JsonArray();
    bombs.forEach((path, content) -> files.add(new JsonObject().put("path", path).put("content", content)));

    try (Liveness live = Liveness.watch(server.config().port(), Duration.ofSeconds(1))) {
      Api.Response r = api.post("/v1/project-context/scan", owner.apiKey(),
          new JsonObject().put("project", "bombs").put("files", files));
      assertEquals(200, r.status(), r.body());
      assertEquals(6, r.json().getInteger("files_found"));
      live.assertAnswered();
    }
    Map<String, List<String>> sections = sectionsByFile(owner.apiKey(), "bombs");
    assertEquals(List.of("a"), sections.get("CLAUDE.md"), "trailing blanks are not part of a title");
    assertEquals(List.of("b"), sections.get("AGENTS.md"), "cut to 200 characters, then trimmed");
    assertEquals(1, sections.get("GEMINI.md").size());
    assertTrue(sections.get("GEMINI.md").get(0).startsWith("c #"), sections.get("GEMINI.md").toString());
    assertEquals(List.of("d " + "#".repeat(198)), sections.get("CONVENTIONS.md"),
        "a closing sequence of #s is not part of the title; the rest is cut to 200 characters");
    assertEquals(List.of("e"), sections.get("CODING_GUIDELINES.md"), "empty sections are left out");
    assertEquals(null, sections.get("CONTRIBUTING.md"), "a heading inside a fence is text; no section");
    assertEquals("an unrelated memory", api.get("/v1/memories/" + other, owner.apiKey()).json().getString("content"));
  }

  @Test
  void a_file_of_many_short_headings_is_parsed_in_linear_time() {
    Api.Account owner = api.signup();
    String many = "# h\nx\n".repeat(120_000);
    try (Liveness live = Liveness.watch(server.config().port(), Duration.ofSeconds(1))) {
      JsonObject listed = listInstructionFiles(owner.apiKey(), "AGENTS.md", many);
      assertEquals(1, listed.getInteger("files_skipped"), "more than 500 sections: skipped, as documented");
      live.assertAnswered();
    }
  }

  private static Map<String, List<String>> sectionsByFile(String key, String project) {
    Api.Response r = api.get("/v1/project-context?project=" + project, key);
    assertEquals(200, r.status(), r.body());
    Map<String, List<String>> out = new java.util.TreeMap<>();
    for (Object o : r.json().getJsonArray("memories")) {
      JsonObject m = (JsonObject) o;
      if (!m.getJsonArray("tags").contains("section")) continue;
      JsonObject metadata = m.getJsonObject("metadata");
      out.computeIfAbsent(metadata.getString("source_file"), f -> new java.util.ArrayList<>())
          .add(metadata.getString("section_path"));
    }
    return out;
  }

  private static String exported(String key) {
    Api.Response r = api.get("/v1/export", key);
    assertEquals(200, r.status(), r.body());
    JsonObject doc = r.json();
    doc.remove("exported_at");
    assertFalse(doc.getJsonArray("memories").isEmpty());
    return doc.encode();
  }

  /** MCP tools/call without a session, as Engram's SDKs do; the tool's structured result. */
  private static JsonObject listInstructionFiles(String key, String path, String content) {
    JsonObject message = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call")
        .put("params", new JsonObject().put("name", "memory_list_instruction_files").put("arguments",
            new JsonObject().put("files", new JsonArray().add(new JsonObject().put("path", path).put("content", content)))));
    Api.Response r = api.send("POST", "/v1/mcp", Map.of("Authorization", "Bearer " + key,
        "Accept", "application/json, text/event-stream"), message.encode(), "application/json");
    assertEquals(200, r.status(), r.body());
    JsonObject result = r.json().getJsonObject("result");
    assertFalse(result.getBoolean("isError", false), result.encode());
    return result.getJsonObject("structuredContent");
  }
}
