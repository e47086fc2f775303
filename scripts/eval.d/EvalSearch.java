import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Search quality on LoCoMo-format data (an evaluation, not a test; run by scripts/eval-search with the server's jar on
 * the classpath for its JSON classes).
 *
 * <p>Each conversation becomes one tenant (signed up through the API); each dialogue turn one memory, imported through
 * {@code POST /v1/import}: content {@code "<speaker>: <text>"} (plus {@code " [shares a photo: <caption>]"} when the turn
 * has one), {@code metadata.dia_id}, {@code created_at} = its session's date. Every question of categories 1–4 whose
 * evidence ids all resolve is asked as a search with each strategy; a result counts when its {@code metadata.dia_id}
 * is one of the question's evidence turns. Beside the server's strategies, an Okapi BM25 (any word, English stop
 * words dropped, k1 1.2, b 0.75) ranks the same turns in this process, as the textbook reference of the same run.
 *
 * <p>With a context budget, each question is also sent to {@code POST /v1/context} (the memories for a turn within
 * that many estimated tokens, {@code memory_build_context} over MCP), and the share of the question's evidence turns
 * inside the context is counted, beside recall@5 of the plain search.
 *
 * <pre>java -cp target/engram-cloud.jar scripts/eval.d/EvalSearch.java BASE_URL DATA_FILE STRATEGIES [CONTEXT_TOKENS
 * [QUESTIONS]]</pre>
 * STRATEGIES: comma-separated; {@code default} sends no strategy (the server's default). CONTEXT_TOKENS 0 asks for
 * no context; QUESTIONS (0: all) stops after that many questions, in the file's order.
 */
public final class EvalSearch {

  static final int[] KS = {5, 10, 20};
  static final int LIMIT = 20;
  static final Pattern SESSION = Pattern.compile("session_(\\d+)");
  static final DateTimeFormatter LOCOMO_DATE = DateTimeFormatter.ofPattern("h:mm a 'on' d MMMM, yyyy", Locale.ENGLISH);

  record Turn(String diaId, String content, String createdAt) {}

  record Question(String text, Set<String> evidence, int category) {}

  record Conversation(String id, List<Turn> turns, List<Question> questions) {}

  /** Per strategy: sums over questions of recall@k, hit@5, and every latency. */
  static final class Score {
    final double[] recall = new double[KS.length];
    double hit5;
    int questions;
    final List<Double> latenciesMs = new ArrayList<>();

    void add(List<String> ranked, Set<String> evidence, double ms) {
      for (int i = 0; i < KS.length; i++) {
        Set<String> top = new HashSet<>(ranked.subList(0, Math.min(KS[i], ranked.size())));
        top.retainAll(evidence);
        recall[i] += (double) top.size() / evidence.size();
        if (KS[i] == 5 && !top.isEmpty()) hit5++;
      }
      questions++;
      if (ms >= 0) latenciesMs.add(ms);
    }

    String percentile(double p) {
      if (latenciesMs.isEmpty()) return "-";
      List<Double> sorted = new ArrayList<>(latenciesMs);
      sorted.sort(null);
      return String.format(Locale.ROOT, "%.1f", sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1)));
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 3 || args.length > 5) {
      System.err.println("usage: EvalSearch BASE_URL DATA_FILE STRATEGIES [CONTEXT_TOKENS [QUESTIONS]]");
      System.exit(2);
    }
    String base = args[0].replaceAll("/+$", "");
    int contextTokens = args.length > 3 ? Integer.parseInt(args[3]) : 0;
    int maxQuestions = args.length > 4 ? Integer.parseInt(args[4]) : 0;
    List<Conversation> conversations = first(load(Path.of(args[1])), maxQuestions);
    List<String> strategies = Arrays.asList(args[2].split(","));
    Client client = new Client(base);

    Map<String, Score> scores = new LinkedHashMap<>();
    for (String s : strategies) scores.put(s, new Score());
    Score bm25 = new Score();
    ContextScore context = new ContextScore();
    int turns = 0;
    for (Conversation c : conversations) {
      turns += c.turns().size();
      String key = client.signup(c.id());
      client.importTurns(key, c.turns());
      client.awaitVectors(key);
      Bm25 index = new Bm25(c.turns());
      Map<Long, String> diaIds = contextTokens > 0 ? client.diaIds(key) : Map.of();
      for (Question q : c.questions()) {
        if (contextTokens > 0) context.add(client.context(key, q.text(), contextTokens), diaIds, q.evidence());
        bm25.add(index.top(q.text(), LIMIT), q.evidence(), -1);
        for (String s : strategies) {
          long start = System.nanoTime();
          List<String> ranked = client.search(key, q.text(), s);
          scores.get(s).add(ranked, q.evidence(), (System.nanoTime() - start) / 1e6);
        }
      }
      System.err.printf(Locale.ROOT, "eval: %s: %d turns, %d questions%n", c.id(), c.turns().size(), c.questions().size());
    }

    int questions = bm25.questions;
    System.out.printf(Locale.ROOT, "%nLoCoMo retrieval: %d conversations, %d turns, %d questions (categories 1-4)%n%n",
        conversations.size(), turns, questions);
    System.out.printf(Locale.ROOT, "%-12s | %9s | %9s | %9s | %6s | %8s | %8s%n", "strategy", "recall@5", "recall@10",
        "recall@20", "hit@5", "p50 ms", "p99 ms");
    System.out.println("-------------+-----------+-----------+-----------+--------+----------+---------");
    for (Map.Entry<String, Score> e : scores.entrySet()) row(e.getKey(), e.getValue());
    row("bm25 (ref)", bm25);
    if (contextTokens > 0) {
      int n = Math.max(1, context.questions);
      System.out.printf(Locale.ROOT, "%nmemory_build_context (POST /v1/context, token_budget %d): evidence turns inside "
          + "the context %.3f (questions with any %.3f); %.1f memories and %.0f estimated tokens a context on average%n",
          contextTokens, context.share / n, context.any / n, (double) context.memories / n, (double) context.tokens / n);
    }
  }

  /** The first {@code max} questions (all when 0), and the conversations they come from. */
  static List<Conversation> first(List<Conversation> all, int max) {
    if (max <= 0) return all;
    List<Conversation> out = new ArrayList<>();
    int left = max;
    for (Conversation c : all) {
      if (left == 0) break;
      List<Question> qs = c.questions().subList(0, Math.min(left, c.questions().size()));
      out.add(new Conversation(c.id(), c.turns(), List.copyOf(qs)));
      left -= qs.size();
    }
    return out;
  }

  /** Sums over questions of the share of evidence turns inside the context, and what the contexts held. */
  static final class ContextScore {
    double share;
    double any;
    int questions;
    long memories;
    long tokens;

    void add(JsonObject answer, Map<Long, String> diaIds, Set<String> evidence) {
      Set<String> inside = new HashSet<>();
      for (Object o : answer.getJsonArray("memories")) inside.add(diaIds.get(((JsonObject) o).getLong("id")));
      inside.retainAll(evidence);
      share += (double) inside.size() / evidence.size();
      if (!inside.isEmpty()) any++;
      questions++;
      memories += answer.getJsonArray("memories").size();
      tokens += answer.getInteger("token_estimate");
    }
  }

  static void row(String name, Score s) {
    int n = Math.max(1, s.questions);
    System.out.printf(Locale.ROOT, "%-12s | %9.3f | %9.3f | %9.3f | %6.3f | %8s | %8s%n", name, s.recall[0] / n,
        s.recall[1] / n, s.recall[2] / n, s.hit5 / n, s.percentile(0.5), s.percentile(0.99));
  }

  // ---- data ----

  static List<Conversation> load(Path file) throws IOException {
    JsonArray items = new JsonArray(Files.readString(file));
    List<Conversation> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      JsonObject item = items.getJsonObject(i);
      JsonObject conv = item.getJsonObject("conversation");
      List<Turn> turns = new ArrayList<>();
      for (String field : conv.fieldNames()) {
        Matcher m = SESSION.matcher(field);
        if (!m.matches()) continue;
        String createdAt = date(conv.getString(field + "_date_time"));
        for (Object o : conv.getJsonArray(field)) {
          JsonObject t = (JsonObject) o;
          String content = t.getString("speaker") + ": " + t.getString("text");
          if (t.getString("blip_caption") != null) content += " [shares a photo: " + t.getString("blip_caption") + "]";
          turns.add(new Turn(t.getString("dia_id"), content, createdAt));
        }
      }
      Set<String> ids = new HashSet<>();
      turns.forEach(t -> ids.add(t.diaId()));
      List<Question> questions = new ArrayList<>();
      for (Object o : item.getJsonArray("qa")) {
        JsonObject q = (JsonObject) o;
        int category = q.getInteger("category", 0);
        if (category < 1 || category > 4) continue;
        Set<String> evidence = new HashSet<>();
        q.getJsonArray("evidence", new JsonArray()).forEach(e -> evidence.add(String.valueOf(e)));
        if (evidence.isEmpty() || !ids.containsAll(evidence)) continue;
        questions.add(new Question(q.getString("question"), evidence, category));
      }
      out.add(new Conversation(item.getString("sample_id", "conv-" + i), turns, questions));
    }
    return out;
  }

  /** "1:56 pm on 8 May, 2023" → "2023-05-08T13:56:00Z". */
  static String date(String locomo) {
    String normalized = locomo.trim().replace("am", "AM").replace("pm", "PM");
    return LocalDateTime.parse(normalized, LOCOMO_DATE).atOffset(ZoneOffset.UTC).toInstant().toString();
  }

  // ---- the server ----

  static final class Client {
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final String base;

    Client(String base) {
      this.base = base;
    }

    String signup(String name) throws Exception {
      JsonObject body = new JsonObject().put("email", "eval-" + UUID.randomUUID() + "@example.com")
          .put("password", "eval password " + UUID.randomUUID()).put("tenant_name", "LoCoMo " + name);
      return send("/v1/signup", null, body, 201).getString("api_key");
    }

    void importTurns(String key, List<Turn> turns) throws Exception {
      JsonArray memories = new JsonArray();
      for (Turn t : turns) {
        memories.add(new JsonObject().put("content", t.content()).put("memory_type", "episodic")
            .put("metadata", new JsonObject().put("dia_id", t.diaId()))
            .put("created_at", t.createdAt()).put("updated_at", t.createdAt()));
      }
      JsonObject answer = send("/v1/import", key,
          new JsonObject().put("version", "1.0").put("skip_duplicates", false).put("memories", memories), 200);
      if (answer.getInteger("imported", 0) != turns.size()) {
        throw new IllegalStateException("import stored " + answer.encode() + " of " + turns.size() + " turns");
      }
    }

    /** Every stored memory's dia_id, by memory id (listing the tenant a page at a time). */
    Map<Long, String> diaIds(String key) throws Exception {
      Map<Long, String> out = new HashMap<>();
      String cursor = null;
      do {
        JsonObject page = get("/v1/memories?limit=100" + (cursor == null ? "" : "&cursor=" + cursor), key);
        for (Object o : page.getJsonArray("data")) {
          JsonObject m = (JsonObject) o;
          out.put(m.getLong("id"), m.getJsonObject("metadata").getString("dia_id", ""));
        }
        cursor = page.getString("next_cursor");
      } while (cursor != null);
      return out;
    }

    /** The context the server assembles for {@code query} within {@code tokens}. */
    JsonObject context(String key, String query, int tokens) throws Exception {
      return send("/v1/context", key, new JsonObject().put("query", query).put("token_budget", tokens), 200);
    }

    JsonObject get(String path, String key) throws Exception {
      HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
          .header("Authorization", "Bearer " + key).GET().build();
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
      return new JsonObject(r.body());
    }

    /**
     * Waits until the server has computed every imported turn's vector (it does so in the background after the
     * import), so that each question sees the tenant complete.
     */
    void awaitVectors(String key) throws Exception {
      long deadline = System.nanoTime() + 600_000_000_000L;
      while (true) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/stats")).timeout(Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + key).GET();
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && new JsonObject(r.body()).getLong("vectors_pending", 0L) == 0) return;
        if (System.nanoTime() > deadline) throw new IllegalStateException("vectors still pending after 10 minutes");
        Thread.sleep(200);
      }
    }

    /** The dia_ids of the results, best first. */
    List<String> search(String key, String query, String strategy) throws Exception {
      JsonObject body = new JsonObject().put("query", query).put("limit", LIMIT);
      if (!strategy.equals("default")) body.put("strategy", strategy);
      JsonObject answer = send("/v1/search", key, body, 200);
      List<String> ids = new ArrayList<>();
      for (Object o : answer.getJsonArray("results")) {
        JsonObject metadata = ((JsonObject) o).getJsonObject("memory").getJsonObject("metadata");
        ids.add(metadata == null ? "" : metadata.getString("dia_id", ""));
      }
      return ids;
    }

    JsonObject send(String path, String key, JsonObject body, int expected) throws Exception {
      for (int attempt = 0; ; attempt++) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()));
        if (key != null) b.header("Authorization", "Bearer " + key);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 429 && attempt < 20) {
          // A server given with --url keeps its own rate limits: wait as it asks.
          long seconds = r.headers().firstValue("Retry-After").map(Long::parseLong).orElse(1L);
          Thread.sleep(Math.max(1, seconds) * 1000);
          continue;
        }
        if (r.statusCode() != expected) {
          throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
        }
        return new JsonObject(r.body());
      }
    }
  }

  // ---- the reference: Okapi BM25 over the same turns ----

  static final class Bm25 {
    static final double K1 = 1.2;
    static final double B = 0.75;
    /** NLTK's English stop words. */
    static final Set<String> STOP = Set.of(("i me my myself we our ours ourselves you your yours yourself yourselves he"
        + " him his himself she her hers herself it its itself they them their theirs themselves what which who whom"
        + " this that these those am is are was were be been being have has had having do does did doing a an the and"
        + " but if or because as until while of at by for with about against between into through during before after"
        + " above below to from up down in out on off over under again further then once here there when where why how"
        + " all any both each few more most other some such no nor not only own same so than too very s t can will just"
        + " don should now d ll m o re ve y ain aren couldn didn doesn hadn hasn haven isn ma mightn mustn needn shan"
        + " shouldn wasn weren won wouldn").split(" "));

    final List<Turn> turns;
    final List<Map<String, Integer>> tf = new ArrayList<>();
    final int[] lengths;
    final Map<String, Integer> df = new HashMap<>();
    final double avgLength;

    Bm25(List<Turn> turns) {
      this.turns = turns;
      this.lengths = new int[turns.size()];
      long total = 0;
      for (int i = 0; i < turns.size(); i++) {
        Map<String, Integer> counts = new HashMap<>();
        List<String> words = words(turns.get(i).content());
        for (String w : words) counts.merge(w, 1, Integer::sum);
        counts.keySet().forEach(w -> df.merge(w, 1, Integer::sum));
        tf.add(counts);
        lengths[i] = words.size();
        total += words.size();
      }
      avgLength = turns.isEmpty() ? 1 : (double) total / turns.size();
    }

    static List<String> words(String text) {
      List<String> out = new ArrayList<>();
      for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
        if (!w.isEmpty() && !STOP.contains(w)) out.add(w);
      }
      return out;
    }

    List<String> top(String query, int k) {
      Set<String> terms = new HashSet<>(words(query));
      int n = turns.size();
      double[] score = new double[n];
      for (String term : terms) {
        Integer d = df.get(term);
        if (d == null) continue;
        double idf = Math.log(1 + (n - d + 0.5) / (d + 0.5));
        for (int i = 0; i < n; i++) {
          Integer f = tf.get(i).get(term);
          if (f == null) continue;
          score[i] += idf * f * (K1 + 1) / (f + K1 * (1 - B + B * lengths[i] / avgLength));
        }
      }
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < n; i++) if (score[i] > 0) order.add(i);
      order.sort((a, b) -> Double.compare(score[b], score[a]));
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < Math.min(k, order.size()); i++) ids.add(turns.get(order.get(i)).diaId());
      return ids;
    }
  }
}
