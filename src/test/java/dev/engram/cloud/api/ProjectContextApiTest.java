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
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Project context discovery over REST: scan, rescan as a diff, get, and tenant isolation. */
@Timeout(60)
class ProjectContextApiTest {

  static final String CLAUDE = """
      Intro text that only the parent keeps.

      # Engram Cloud

      A hosted memory service.

      ## Build

      Run mvn -B verify before pushing.

      ## Style

      Records for messages; no pattern-matching switch.

      ```bash
      # not a heading: inside a code fence
      echo hi
      ```
      """;
  static final String CURSOR = "Prefer small commits.\nNever log secrets.\n";

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;

  @BeforeAll
  static void start() {
    api = server.api();
  }

  static JsonObject scan(String key, String project, Map<String, String> files) {
    JsonArray list = new JsonArray();
    files.forEach((path, content) -> list.add(new JsonObject().put("path", path).put("content", content)));
    Api.Response r = api.post("/v1/project-context/scan", key, new JsonObject().put("project", project).put("files", list));
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  static JsonObject context(String key, String query) {
    Api.Response r = api.get("/v1/project-context?" + query, key);
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  static void counts(JsonObject summary, int created, int updated, int retired) {
    assertEquals(List.of(created, updated, retired), List.of(summary.getInteger("memories_created"),
        summary.getInteger("memories_updated"), summary.getInteger("memories_retired")), summary.encodePrettily());
  }

  static Map<String, JsonObject> sectionsByPath(JsonObject context) {
    return context.getJsonArray("memories").stream().map(JsonObject.class::cast)
        .filter(m -> m.getJsonArray("tags").contains("section"))
        .collect(Collectors.toMap(m -> m.getJsonObject("metadata").getString("source_file") + "#"
            + m.getJsonObject("metadata").getString("section_path"), m -> m));
  }

  @Test
  void a_scan_stores_one_memory_per_file_and_per_section_and_get_returns_them_in_file_order() {
    String key = api.signup().apiKey();
    JsonObject summary = scan(key, "engram-cloud", Map.of("CLAUDE.md", CLAUDE, ".cursorrules", CURSOR));
    // CLAUDE.md: parent + Engram Cloud, Build, Style; .cursorrules: parent + Instructions
    counts(summary, 6, 0, 0);
    assertEquals(2, summary.getInteger("files_found"));
    assertEquals(0, summary.getInteger("files_skipped"));
    assertEquals("engram-cloud", summary.getString("project"));
    assertTrue(summary.getString("scanned_at").endsWith("Z"));

    JsonObject context = context(key, "project=engram-cloud");
    assertEquals(6, context.getInteger("count"));
    JsonArray memories = context.getJsonArray("memories");
    JsonObject cursorParent = memories.getJsonObject(0);
    assertEquals(".cursorrules", cursorParent.getJsonObject("metadata").getString("source_file"));
    assertEquals(List.of("project-context", "cursorrules", "project:engram-cloud"), cursorParent.getJsonArray("tags").getList());
    JsonObject claudeParent = memories.getJsonObject(2);
    JsonObject meta = claudeParent.getJsonObject("metadata");
    assertEquals("context", claudeParent.getString("memory_type"));
    assertEquals(0.8, claudeParent.getDouble("importance"));
    assertEquals(CLAUDE, claudeParent.getString("content"));
    assertEquals("claude-md", meta.getString("file_type"));
    assertEquals("engram-cloud", meta.getString("project"));
    assertTrue(meta.getString("file_hash").startsWith("sha256:"));

    JsonObject style = memories.getJsonObject(5);
    JsonObject sm = style.getJsonObject("metadata");
    assertEquals("Engram Cloud > Style", sm.getString("section_path"));
    assertEquals(2, sm.getInteger("section_index"));
    assertEquals("style", sm.getString("heading_anchor"));
    assertEquals(claudeParent.getLong("id"), sm.getLong("parent_memory_id"));
    assertEquals(0.7, style.getDouble("importance"));
    assertTrue(style.getString("content").startsWith("# Style\n\nRecords for messages"));
    assertTrue(style.getString("content").contains("# not a heading"), "a # line in a code fence stays in the body");
    assertEquals(List.of("project-context", "section", "claude-md", "project:engram-cloud"), style.getJsonArray("tags").getList());

    assertEquals(2, context(key, "project=engram-cloud&include_sections=false").getInteger("count"));
    assertEquals(4, context(key, "project=engram-cloud&file_types=claude-md").getInteger("count"));
    assertEquals(0, context(key, "project=other").getInteger("count"));
  }

  @Test
  void rescans_change_only_what_changed() {
    String key = api.signup().apiKey();
    scan(key, "p", Map.of("CLAUDE.md", CLAUDE, ".cursorrules", CURSOR));

    // unchanged: nothing created, nothing updated
    counts(scan(key, "p", Map.of("CLAUDE.md", CLAUDE, ".cursorrules", CURSOR)), 0, 0, 0);

    // one section changed: that section and its file's parent are updated in place
    JsonObject before = sectionsByPath(context(key, "project=p")).get("CLAUDE.md#Engram Cloud > Build");
    String changed = CLAUDE.replace("Run mvn -B verify before pushing.", "Run scripts/test before pushing.");
    counts(scan(key, "p", Map.of("CLAUDE.md", changed, ".cursorrules", CURSOR)), 0, 2, 0);
    JsonObject after = sectionsByPath(context(key, "project=p")).get("CLAUDE.md#Engram Cloud > Build");
    assertEquals(before.getLong("id"), after.getLong("id"));
    assertEquals(2, after.getInteger("version"));
    assertTrue(after.getString("content").contains("scripts/test"));
    Api.Response versions = api.get("/v1/memories/" + after.getLong("id") + "/versions", key);
    assertEquals(2, versions.json().getJsonArray("versions").size());

    // a section removed: retired; the parent changes with it
    String fewer = changed.replaceAll("(?s)## Style.*", "");
    counts(scan(key, "p", Map.of("CLAUDE.md", fewer, ".cursorrules", CURSOR)), 0, 1, 1);
    assertEquals(null, sectionsByPath(context(key, "project=p")).get("CLAUDE.md#Engram Cloud > Style"));

    // a file removed: its parent and its section retired
    counts(scan(key, "p", Map.of("CLAUDE.md", fewer)), 0, 0, 2);
    JsonObject context = context(key, "project=p");
    assertEquals(3, context.getInteger("count"));
    assertTrue(context.getJsonArray("memories").stream().map(JsonObject.class::cast)
        .allMatch(m -> m.getJsonObject("metadata").getString("source_file").equals("CLAUDE.md")));
    assertEquals(3, api.get("/v1/stats", key).json().getInteger("total_memories"));

    // and rescanning again is still a no-op (the parent is never mistaken for a section)
    counts(scan(key, "p", Map.of("CLAUDE.md", fewer)), 0, 0, 0);
  }

  @Test
  void a_file_over_one_mebibyte_is_skipped_and_its_earlier_memories_are_kept() {
    String key = api.signup().apiKey();
    scan(key, "big", Map.of("AGENTS.md", "# Rules\n\nBe brief.\n"));
    String huge = "# Rules\n\n" + "x".repeat(1024 * 1024) + "\n";
    JsonObject summary = scan(key, "big", Map.of("AGENTS.md", huge));
    counts(summary, 0, 0, 0);
    assertEquals(1, summary.getInteger("files_skipped"));
    assertTrue(summary.getJsonArray("errors").getString(0).startsWith("AGENTS.md: larger than"));
    assertEquals(2, context(key, "project=big").getInteger("count"));
  }

  @Test
  void projects_and_workspaces_are_kept_apart() {
    String key = api.signup().apiKey();
    scan(key, "one", Map.of("AGENTS.md", "# A\n\nalpha\n"));
    scan(key, "two", Map.of("AGENTS.md", "# B\n\nbeta\n"));
    Api.Response r = api.post("/v1/project-context/scan", key, new JsonObject().put("project", "one")
        .put("workspace", "Team-X").put("files", new JsonArray().add(new JsonObject().put("path", "AGENTS.md")
            .put("content", "# C\n\ngamma\n"))));
    assertEquals(200, r.status(), r.body());
    assertEquals("team-x", r.json().getString("workspace"));
    assertEquals(2, context(key, "project=one").getInteger("count"));
    assertEquals(2, context(key, "project=two").getInteger("count"));
    JsonObject teamX = context(key, "project=one&workspace=team-x");
    assertTrue(teamX.getJsonArray("memories").getJsonObject(1).getString("content").contains("gamma"));
    // scanning project one again in default does not touch project two or workspace team-x
    counts(scan(key, "one", Map.of()), 0, 0, 2);
    assertEquals(2, context(key, "project=two").getInteger("count"));
    assertEquals(2, context(key, "project=one&workspace=team-x").getInteger("count"));
  }

  @Test
  void tenants_never_see_or_change_each_others_project_context() {
    String alice = api.signup().apiKey();
    String bob = api.signup().apiKey();
    scan(alice, "shared-name", Map.of("CLAUDE.md", CLAUDE));
    assertEquals(0, context(bob, "project=shared-name").getInteger("count"));
    // bob's scan of the same project name creates his own memories and retires none of alice's
    counts(scan(bob, "shared-name", Map.of(".cursorrules", CURSOR)), 2, 0, 0);
    assertEquals(4, context(alice, "project=shared-name").getInteger("count"));
    assertEquals(2, context(bob, "project=shared-name").getInteger("count"));
  }

  @Test
  void a_search_that_names_a_project_ranks_its_context_above_another_projects() {
    String key = api.signup().apiKey();
    scan(key, "alpha", Map.of("AGENTS.md", "# Testing\n\nRun the unit tests with the test script.\n"));
    scan(key, "beta", Map.of("AGENTS.md", "# Testing\n\nRun the unit tests with the test script.\n"));
    for (String project : List.of("alpha", "beta")) {
      JsonObject body = new JsonObject().put("query", "how to run unit tests").put("strategy", "hybrid")
          .put("project", project).put("explain", true);
      Api.Response r = api.post("/v1/search", key, body);
      assertEquals(200, r.status(), r.body());
      JsonObject top = r.json().getJsonArray("results").getJsonObject(0);
      assertEquals(project, top.getJsonObject("memory").getJsonObject("metadata").getString("project"));
      assertTrue(top.getJsonObject("explain").getJsonObject("project_context").getBoolean("value"));
    }
    assertEquals(400, api.post("/v1/search", key, new JsonObject().put("query", "x").put("project", "")).status());
    assertEquals(400, api.post("/v1/search", key, new JsonObject().put("query", "x").put("project", 7)).status());
  }
}
