package dev.engram.cloud.observability;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.PromQl;
import dev.engram.cloud.testing.TestRedis;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Grafana dashboard ({@code fly/dashboards/engram.json}) and the alert rules ({@code fly/alerts.yml}) query only
 * metrics a running server exports, with labels those metrics have: checked against the production profile
 * (PostgreSQL, Redis) after the server has done the work every panel shows.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OperatorFilesTest {

  /** Metrics the rules use that no server exports: checked to be absent, so this list cannot go stale. */
  private static final Map<String, String> NOT_EXPORTED_BY_THE_SERVER = Map.of(
      "up", "Prometheus records it for each scrape");
  private static final Pattern SAMPLE_LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");

  private static TestServer server;
  private static Map<String, Set<String>> exported;

  @BeforeAll
  static void startAndExercise() {
    server = TestServer.start(ConfigLoader.deepMerge(TestServer.withPostgres(),
        TestServer.withRedis(TestRedis.get().url())));
    Api api = server.api();
    Api.Account account = api.signup();
    assertEquals(201, api.post("/v1/memories", account.apiKey(), new JsonObject().put("content", "dashboards")).status());
    for (String strategy : new String[] {"keyword", "semantic", "hybrid"}) {
      assertEquals(200, api.post("/v1/search", account.apiKey(),
          new JsonObject().put("query", "dashboards").put("strategy", strategy)).status());
    }
    assertEquals(401, api.get("/v1/stats", "ek_live_not_a_key").status());
    // The JVM panels show collections, which a server that has run a minute has had; the GC metrics learn of one
    // by a notification that comes a little after it.
    System.gc();
    Eventually.until(Duration.ofSeconds(10), "a collection is recorded", () -> {
      if (api.get("/metrics", null).body().contains("jvm_gc_pause_seconds_count")) return true;
      System.gc();
      return false;
    });
    exported = scrape(api.get("/metrics", null).body());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void every_metric_the_dashboard_queries_is_exported_with_the_labels_it_selects() throws IOException {
    JsonObject dashboard = new JsonObject(Files.readString(Path.of("fly/dashboards/engram.json")));
    List<String> exprs = new ArrayList<>();
    collectExprs(dashboard.getJsonArray("panels"), exprs);
    assertTrue(exprs.size() >= 30, "the dashboard's queries were found: " + exprs.size());
    Set<String> metrics = new HashSet<>();
    for (String expr : exprs) {
      PromQl.selectors(expr).forEach((metric, labels) -> {
        metrics.add(metric);
        assertExported(metric, labels, "dashboard query " + expr);
      });
    }
    for (String needed : new String[] {"vertx_http_server_requests_total", "vertx_http_server_response_time_seconds_bucket",
        "engram_engines_active", "engram_search_seconds_bucket", "engram_refusals_total", "jvm_memory_used_bytes",
        "engram_embedding_backlog", "engram_embeddings_computed_total", "engram_search_indexes_behind",
        "engram_search_index_rebuilds_total", "engram_metering_spool_events", "engram_metering_fold_lag_seconds"}) {
      assertTrue(metrics.contains(needed), "the dashboard shows " + needed);
    }
  }

  @Test
  void every_metric_the_alert_rules_query_is_exported_or_known_to_come_from_elsewhere() throws IOException {
    List<String> exprs = alertExprs(Files.readString(Path.of("fly/alerts.yml")));
    assertTrue(exprs.size() >= 10, "the rules' expressions were found: " + exprs.size());
    for (String expr : exprs) {
      PromQl.selectors(expr).forEach((metric, labels) -> {
        if (NOT_EXPORTED_BY_THE_SERVER.containsKey(metric)) {
          assertFalse(exported.containsKey(metric), metric + " is exported now: take it off NOT_EXPORTED_BY_THE_SERVER");
        } else {
          assertExported(metric, labels, "alert rule " + expr);
        }
      });
    }
  }

  private static void assertExported(String metric, Set<String> labels, String where) {
    assertTrue(exported.containsKey(metric), metric + " is not exported by the server (" + where + ")");
    for (String label : labels) {
      assertTrue(exported.get(metric).contains(label), metric + " has no label " + label + " (" + where + ")");
    }
  }

  private static void collectExprs(JsonArray panels, List<String> out) {
    if (panels == null) return;
    for (Object p : panels) {
      JsonObject panel = (JsonObject) p;
      collectExprs(panel.getJsonArray("panels"), out);
      JsonArray targets = panel.getJsonArray("targets");
      if (targets == null) continue;
      for (Object t : targets) out.add(((JsonObject) t).getString("expr"));
    }
  }

  /** The {@code expr} of each rule: inline, or a block scalar ({@code expr: |}) of the lines indented under it. */
  static List<String> alertExprs(String yaml) {
    List<String> out = new ArrayList<>();
    String[] lines = yaml.split("\n");
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int at = line.indexOf("expr:");
      if (at < 0 || !line.substring(0, at).isBlank()) continue;
      String inline = line.substring(at + 5).trim();
      if (!inline.equals("|") && !inline.equals(">")) {
        out.add(inline);
        continue;
      }
      StringBuilder block = new StringBuilder();
      while (i + 1 < lines.length && (lines[i + 1].isBlank() || indent(lines[i + 1]) > at)) {
        block.append(lines[++i]).append('\n');
      }
      out.add(block.toString());
    }
    return out;
  }

  private static int indent(String line) {
    int n = 0;
    while (n < line.length() && line.charAt(n) == ' ') n++;
    return n;
  }

  /** Metric name → label names, from the Prometheus text format. */
  private static Map<String, Set<String>> scrape(String text) {
    Map<String, Set<String>> out = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
      Set<String> labels = out.computeIfAbsent(name, k -> new HashSet<>());
      if (brace >= 0 && brace < space) {
        Matcher m = SAMPLE_LABEL.matcher(line.substring(brace, line.lastIndexOf('}') + 1));
        while (m.find()) labels.add(m.group(1));
      }
    }
    return out;
  }
}
