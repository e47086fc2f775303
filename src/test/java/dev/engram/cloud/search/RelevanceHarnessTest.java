package dev.engram.cloud.search;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retrieval quality on a relevance set written for this project ({@code search/relevance-set.json}: judged memories
 * and queries of five kinds: typo, paraphrase, identifier, keyword, filtered) plus generated distractors. For each
 * strategy it computes recall@5 and MRR (first relevant result within the top 10), prints them overall and per
 * kind, writes them to {@code target/relevance.json}, and fails when one falls below
 * {@code search/relevance-baseline.json} or when hybrid stops beating keyword and semantic alone.
 */
@Timeout(120)
class RelevanceHarnessTest {

  static final List<String> STRATEGIES = List.of("keyword", "semantic", "hybrid", "auto");
  static TestServer server;
  static Api api;
  static String key;
  static JsonObject set;
  static Map<String, Long> ids = new HashMap<>();

  @BeforeAll
  static void load_the_relevance_set() {
    set = new JsonObject(resource("/search/relevance-set.json"));
    server = TestServer.start(TestServer.withoutRateLimits());
    api = server.api();
    key = api.signup().apiKey();
    Random random = new Random(set.getLong("seed"));
    List<JsonObject> memories = new ArrayList<>();
    for (Object o : set.getJsonArray("memories")) memories.add((JsonObject) o);
    int distractors = set.getInteger("distractors");
    // judged memories spread among the distractors, so ids and recency say nothing about relevance
    int every = distractors / memories.size() + 1;
    int judged = 0;
    for (int i = 0; i < distractors + memories.size(); i++) {
      if (i % every == 0 && judged < memories.size()) {
        JsonObject m = memories.get(judged++);
        JsonObject body = m.copy();
        body.remove("key");
        ids.put(m.getString("key"), api.createMemory(key, body).getLong("id"));
      } else {
        api.createMemory(key, Distractors.next(random));
      }
    }
    while (judged < memories.size()) {
      JsonObject m = memories.get(judged++);
      JsonObject body = m.copy();
      body.remove("key");
      ids.put(m.getString("key"), api.createMemory(key, body).getLong("id"));
    }
    api.awaitVectors(key);
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  record Figures(double recallAt5, double mrr, int queries) {
    JsonObject json() {
      return new JsonObject().put("recall_at_5", round(recallAt5)).put("mrr", round(mrr)).put("queries", queries);
    }
  }

  @Test
  void recall_and_mrr_per_strategy_stay_at_or_above_the_baseline() throws IOException {
    Map<String, Figures> overall = new LinkedHashMap<>();
    Map<String, Map<String, Figures>> byKind = new LinkedHashMap<>();
    for (String strategy : STRATEGIES) {
      Map<String, double[]> sums = new TreeMap<>(); // kind -> {recall, rr, n}
      for (Object o : set.getJsonArray("queries")) {
        JsonObject q = (JsonObject) o;
        List<Long> relevant = new ArrayList<>();
        for (Object k : q.getJsonArray("relevant")) relevant.add(ids.get((String) k));
        List<Long> found = search(q, strategy);
        int hits5 = 0;
        double rr = 0;
        for (int i = 0; i < found.size(); i++) {
          if (relevant.contains(found.get(i))) {
            if (i < 5) hits5++;
            if (rr == 0) rr = 1.0 / (i + 1);
          }
        }
        double recall = (double) hits5 / Math.min(5, relevant.size());
        for (String kind : List.of(q.getString("kind"), "all")) {
          double[] s = sums.computeIfAbsent(kind, x -> new double[3]);
          s[0] += recall;
          s[1] += rr;
          s[2]++;
        }
      }
      Map<String, Figures> kinds = new LinkedHashMap<>();
      sums.forEach((kind, s) -> kinds.put(kind, new Figures(s[0] / s[2], s[1] / s[2], (int) s[2])));
      overall.put(strategy, kinds.get("all"));
      byKind.put(strategy, kinds);
    }

    JsonObject report = new JsonObject();
    StringBuilder table = new StringBuilder(String.format("%nrelevance harness: %d memories, %d queries%n",
        ids.size() + set.getInteger("distractors"), set.getJsonArray("queries").size()));
    table.append(String.format("%-9s %-11s %9s %7s %5s%n", "strategy", "kind", "recall@5", "MRR", "n"));
    byKind.forEach((strategy, kinds) -> {
      JsonObject s = new JsonObject();
      kinds.forEach((kind, f) -> {
        s.put(kind, f.json());
        table.append(String.format("%-9s %-11s %9.3f %7.3f %5d%n", strategy, kind, f.recallAt5(), f.mrr(), f.queries()));
      });
      report.put(strategy, s);
    });
    System.out.println(table);
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target/relevance.json"), report.encodePrettily());

    JsonObject baseline = new JsonObject(resource("/search/relevance-baseline.json"));
    List<org.junit.jupiter.api.function.Executable> checks = new ArrayList<>();
    for (String strategy : STRATEGIES) {
      JsonObject b = baseline.getJsonObject(strategy);
      Figures f = overall.get(strategy);
      checks.add(() -> assertTrue(f.recallAt5() >= b.getDouble("recall_at_5") - 1e-9,
          strategy + " recall@5 " + round(f.recallAt5()) + " fell below the baseline " + b.getDouble("recall_at_5")));
      checks.add(() -> assertTrue(f.mrr() >= b.getDouble("mrr") - 1e-9,
          strategy + " MRR " + round(f.mrr()) + " fell below the baseline " + b.getDouble("mrr")));
    }
    Figures hybrid = overall.get("hybrid");
    for (String alone : List.of("keyword", "semantic")) {
      Figures f = overall.get(alone);
      checks.add(() -> assertTrue(hybrid.mrr() > f.mrr() && hybrid.recallAt5() > f.recallAt5(),
          "hybrid " + hybrid + " must beat " + alone + " " + f));
    }
    assertAll(checks);
  }

  /**
   * RML-918: queries that name a project, over three projects' scanned instruction files (same headings, different
   * rules) and distractor notes, in a tenant of its own. Each query runs without and with {@code project}; the
   * with-project figures must stay at or above the baseline and above the without-project ones.
   */
  @Test
  void naming_a_project_ranks_its_context_first() throws IOException {
    JsonObject pc = new JsonObject(resource("/search/project-context-set.json"));
    String tenant = api.signup().apiKey();
    Random random = new Random(set.getLong("seed"));
    for (int i = 0; i < pc.getInteger("distractors"); i++) api.createMemory(tenant, Distractors.next(random));
    Map<String, Long> sections = new HashMap<>(); // project|file|section_path -> id
    for (String project : pc.getJsonObject("projects").fieldNames()) {
      JsonArray files = new JsonArray();
      pc.getJsonObject("projects").getJsonObject(project).forEach(f ->
          files.add(new JsonObject().put("path", f.getKey()).put("content", f.getValue())));
      Api.Response r = api.post("/v1/project-context/scan", tenant, new JsonObject().put("project", project)
          .put("files", files));
      if (r.status() != 200) throw new AssertionError(r.status() + " " + r.body());
      for (Object o : api.get("/v1/project-context?project=" + project, tenant).json().getJsonArray("memories")) {
        JsonObject meta = ((JsonObject) o).getJsonObject("metadata");
        if (meta.containsKey("section_path")) {
          sections.put(project + "|" + meta.getString("source_file") + "|" + meta.getString("section_path"),
              ((JsonObject) o).getLong("id"));
        }
      }
    }
    api.awaitVectors(tenant);
    JsonObject report = new JsonObject();
    StringBuilder table = new StringBuilder(String.format("%nproject context: %d queries naming a project%n",
        pc.getJsonArray("queries").size()));
    table.append(String.format("%-9s %-16s %9s %7s%n", "strategy", "project", "recall@5", "MRR"));
    for (String strategy : List.of("hybrid", "auto")) {
      JsonObject s = new JsonObject();
      for (boolean named : new boolean[] {false, true}) {
        double recall = 0;
        double rrSum = 0;
        int n = 0;
        for (Object o : pc.getJsonArray("queries")) {
          JsonObject q = (JsonObject) o;
          List<Long> relevant = new ArrayList<>();
          for (Object rel : q.getJsonArray("relevant")) {
            JsonObject r = (JsonObject) rel;
            Long id = sections.get(q.getString("project") + "|" + r.getString("file") + "|" + r.getString("section_path"));
            if (id == null) throw new AssertionError("no section " + r.encode() + " in " + q.getString("project"));
            relevant.add(id);
          }
          JsonObject body = new JsonObject().put("query", q.getString("query")).put("strategy", strategy).put("limit", 10);
          if (named) body.put("project", q.getString("project"));
          Api.Response r = api.post("/v1/search", tenant, body);
          if (r.status() != 200) throw new AssertionError(r.status() + " " + r.body());
          List<Long> found = new ArrayList<>();
          for (Object hit : r.json().getJsonArray("results")) found.add(((JsonObject) hit).getJsonObject("memory").getLong("id"));
          int hits5 = 0;
          double rr = 0;
          for (int i = 0; i < found.size(); i++) {
            if (relevant.contains(found.get(i))) {
              if (i < 5) hits5++;
              if (rr == 0) rr = 1.0 / (i + 1);
            }
          }
          recall += (double) hits5 / Math.min(5, relevant.size());
          rrSum += rr;
          n++;
        }
        Figures f = new Figures(recall / n, rrSum / n, n);
        s.put(named ? "with_project" : "without_project", f.json());
        table.append(String.format("%-9s %-16s %9.3f %7.3f%n", strategy, named ? "named" : "not named",
            f.recallAt5(), f.mrr()));
      }
      report.put(strategy, s);
    }
    System.out.println(table);
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target/relevance-project-context.json"), report.encodePrettily());

    JsonObject baseline = new JsonObject(resource("/search/relevance-baseline.json")).getJsonObject("project_context");
    List<org.junit.jupiter.api.function.Executable> checks = new ArrayList<>();
    for (String strategy : List.of("hybrid", "auto")) {
      JsonObject with = report.getJsonObject(strategy).getJsonObject("with_project");
      JsonObject without = report.getJsonObject(strategy).getJsonObject("without_project");
      JsonObject b = baseline.getJsonObject(strategy);
      checks.add(() -> assertTrue(with.getDouble("mrr") >= b.getDouble("mrr") - 1e-9,
          strategy + " MRR with a project named " + with.getDouble("mrr") + " fell below the baseline " + b.getDouble("mrr")));
      checks.add(() -> assertTrue(with.getDouble("recall_at_5") >= b.getDouble("recall_at_5") - 1e-9,
          strategy + " recall@5 with a project named " + with.getDouble("recall_at_5") + " fell below the baseline "
              + b.getDouble("recall_at_5")));
      checks.add(() -> assertTrue(with.getDouble("mrr") > without.getDouble("mrr"),
          strategy + ": naming the project must raise MRR (" + without.getDouble("mrr") + " → " + with.getDouble("mrr") + ")"));
    }
    assertAll(checks);
  }

  static List<Long> search(JsonObject q, String strategy) {
    JsonObject body = new JsonObject().put("query", q.getString("query")).put("strategy", strategy).put("limit", 10);
    JsonObject filters = q.getJsonObject("filters");
    if (filters != null) body.mergeIn(filters);
    Api.Response r = api.post("/v1/search", key, body);
    if (r.status() != 200) throw new AssertionError(r.status() + " " + r.body());
    List<Long> out = new ArrayList<>();
    for (Object o : r.json().getJsonArray("results")) out.add(((JsonObject) o).getJsonObject("memory").getLong("id"));
    return out;
  }

  static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  static String resource(String path) {
    try (InputStream in = RelevanceHarnessTest.class.getResourceAsStream(path)) {
      if (in == null) throw new IllegalStateException("missing test resource " + path);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Generated notes in the same domain and vocabulary as the judged memories (databases, queues, deploys,
   * billing, auth), so that a search has to tell the judged answer from many near misses.
   */
  static final class Distractors {
    static final String[] TECH = {"postgres", "redis", "kafka", "kubernetes", "docker", "sqlite", "react", "rust",
        "java", "python", "terraform", "nginx", "prometheus", "stripe", "vite"};
    static final String[] SERVICE = {"billing", "auth", "search", "checkout", "ingestion", "payments", "console",
        "gateway", "scheduler", "export", "invoices", "webhooks"};
    static final String[] THING = {"api", "worker", "database", "cache", "queue", "cron job", "frontend",
        "migration", "client", "consumer", "cluster", "index", "dashboard", "alert", "pipeline"};
    static final String[] CONCEPT = {"connection pooling", "retries", "idempotency", "circuit breakers",
        "feature flags", "read replicas", "rate limiting", "structured logging", "schema migrations",
        "canary releases", "cursor pagination", "tracing", "health checks", "secret rotation", "timeouts",
        "batch inserts", "sharding", "compression", "graceful shutdown", "backpressure"};
    static final String[] SYMPTOM = {"a 500 error", "stale data", "duplicate rows", "slow responses", "a deadlock",
        "timeouts", "wrong totals", "a full disk", "high latency", "a crash loop"};
    static final String[] PERSON = {"bob", "carol", "dmitri", "esther", "farid", "gwen", "ines", "jonas"};
    static final String[] TYPES = {"note", "note", "note", "learning", "decision", "issue", "todo"};
    static final String[] WORKSPACES = {"default", "default", "ops", "billing", "frontend", "engine"};

    static JsonObject next(Random r) {
      String tech = pick(r, TECH);
      String service = pick(r, SERVICE);
      String thing = pick(r, THING);
      String content = switch (r.nextInt(8)) {
        case 0 -> "Consider " + pick(r, CONCEPT) + " for the " + service + " " + thing + " on " + tech + ".";
        case 1 -> "The " + service + " " + thing + " showed " + pick(r, SYMPTOM) + " after the " + tech + " upgrade.";
        case 2 -> cap(pick(r, PERSON)) + " is looking into " + pick(r, SYMPTOM) + " in " + service + ".";
        case 3 -> "Checklist for " + service + ": " + pick(r, CONCEPT) + ", " + pick(r, CONCEPT) + " and docs.";
        case 4 -> "Moved the " + service + " " + thing + " from " + tech + " to " + pick(r, TECH) + ".";
        case 5 -> "Weekly review: " + service + " " + thing + " metrics look fine; " + pick(r, CONCEPT) + " pending.";
        case 6 -> "Reminder to document " + pick(r, CONCEPT) + " in the " + tech + " runbook.";
        default -> "Spike: try " + tech + " for the " + service + " " + thing + " and compare with " + pick(r, TECH) + ".";
      };
      return new JsonObject().put("content", content).put("memory_type", pick(r, TYPES))
          .put("workspace", pick(r, WORKSPACES)).put("tags", new JsonArray().add(tech).add(service))
          .put("importance", Math.round(r.nextDouble() * 10) / 10.0)
          .put("metadata", new JsonObject().put("project", pick(r, new String[] {"engram", "infra", "billing"})));
    }

    static String pick(Random r, String[] items) {
      return items[r.nextInt(items.length)];
    }

    static String cap(String s) {
      return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
  }
}
