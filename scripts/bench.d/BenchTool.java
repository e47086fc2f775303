import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Helper for scripts/bench (benchmark only, not a test). Plain JDK, no dependencies; compiled by the script with javac.
 *
 * <pre>
 *   prepare DIR LOAD_COUNT SEED [CORPUS]
 *                                   writes DIR/load.jsonl (LOAD_COUNT create bodies), DIR/create.jsonl (create bodies
 *                                   for the create scenario), DIR/search.jsonl (search bodies) and
 *                                   DIR/search-STRATEGY.jsonl (the same searches with a strategy), one JSON per line.
 *                                   CORPUS "common" loads notes of 12 words drawn from 30 instead (each word is in
 *                                   about a third of them) and writes DIR/search-common.jsonl: the query
 *                                   "tenant quota latency", the worst case for a keyword index's cost (and
 *                                   search-common-keyword.jsonl, the same with strategy keyword)
 *   load BASE_URL KEY FILE CONC     POSTs every line of FILE to /v1/memories with CONC concurrent connections;
 *                                   exits 1 unless every answer is 201
 *   probe BASE_URL KEY FILE N       runs the first N searches of FILE one by one and prints how many documents
 *                                   the queries match (so the search scenario's selectivity is visible)
 * </pre>
 *
 * Content is software-engineering notes of the kind an agent would remember: a sentence from a template filled with
 * Zipf-distributed technologies, services and concepts, plus Zipf-distributed filler words. Search queries are one
 * or two vocabulary words: common ones (match a large share of documents), two-word ones (narrower), rare ones and
 * absent ones (no match).
 */
public final class BenchTool {

  // ---- vocabulary (order = popularity rank for the Zipf draws) ----

  static final String[] TECH = {
      "postgres", "redis", "kafka", "kubernetes", "docker", "python", "java", "react", "nginx", "terraform",
      "typescript", "grpc", "sqlite", "elasticsearch", "rust", "graphql", "prometheus", "grafana", "s3", "golang",
      "rabbitmq", "celery", "memcached", "mongodb", "clickhouse", "airflow", "envoy", "vault", "spark", "cassandra",
      "istio", "sentry", "datadog", "snowflake", "bigquery", "flink", "dbt", "consul", "zookeeper", "etcd",
      "haproxy", "pgbouncer", "opensearch", "dynamodb", "lambda", "cloudfront", "webpack", "vite", "jenkins",
      "argocd"};

  static final String[] SERVICE = {
      "billing", "auth", "search", "checkout", "notifications", "payments", "ingestion", "reporting", "onboarding",
      "analytics", "inventory", "shipping", "gateway", "scheduler", "export", "pricing", "catalog", "identity",
      "ledger", "webhooks", "recommendations", "fraud", "invoicing", "media", "sync"};

  static final String[] COMPONENT = {
      "api", "worker", "database", "cache", "queue", "cron job", "frontend", "migration", "client", "consumer",
      "producer", "cluster", "index", "sidecar", "load balancer", "connection pool", "deploy pipeline", "schema",
      "dashboard", "alert"};

  static final String[] CONCEPT = {
      "connection pooling", "retries with exponential backoff", "idempotency keys", "circuit breakers",
      "feature flags", "read replicas", "rate limiting", "structured logging", "blue-green deploys",
      "schema migrations", "canary releases", "dead-letter queues", "optimistic locking", "cursor pagination",
      "distributed tracing", "health checks", "secret rotation", "request timeouts", "batch inserts",
      "bulkheads", "sharding", "write-ahead logging", "materialized views", "partial indexes", "compression",
      "graceful shutdown", "backpressure", "leader election", "consistent hashing", "snapshot isolation"};

  static final String[] VERB = {
      "use", "prefer", "avoid", "add", "remove", "enable", "disable", "tune", "document", "monitor",
      "benchmark", "upgrade", "pin", "migrate", "shard", "cache", "profile", "refactor", "deprecate", "audit"};

  static final String[] PERSON = {
      "alice", "bob", "carol", "dmitri", "esther", "farid", "gwen", "hiroshi", "ines", "jonas", "kemal",
      "lucia", "marek", "nadia", "oluwaseun", "priya", "quentin", "rosa", "sven", "tomasz"};

  static final String[] SYMPTOM = {
      "a 500 error", "stale data", "duplicate rows", "an empty page", "slow responses", "a deadlock",
      "a memory leak", "timeouts", "wrong totals", "a null pointer exception", "garbled unicode",
      "a 429 storm", "out of order events", "a stuck lock", "a full disk"};

  static final String[] CONDITION = {
      "the cache is cold", "two requests race", "the token expires mid-request", "the payload exceeds one megabyte",
      "a replica lags", "the queue is backed up", "daylight saving time starts", "the tenant has no data",
      "the client retries", "the pod restarts during a deploy", "the batch size is zero", "the locale is turkish"};

  static final String[] FIX = {
      "raise the pool size to 32", "add a covering index", "set a 2 second timeout", "batch the writes",
      "move the work off the event loop", "add jitter to the retry", "precompute the aggregate nightly",
      "stream the response instead of buffering it", "cap the page size at 100", "reuse prepared statements"};

  static final String[] TAGS = {
      "backend", "infra", "database", "performance", "bug", "decision", "security", "ops", "api", "testing",
      "frontend", "todo"};

  /** General English words, roughly by frequency, for filler; the tail ones are rare in the corpus. */
  static final String[] FILLER = (
      "the to and of a in is that for it on with as this was be at by not are from or have but we an they which"
      + " you one all were there when more can if so some no out up about what its into them only time then new"
      + " could two other also after first way over because should well even most these any where much through"
      + " back still same how before here work between each under never last while might again few always"
      + " usually later during against small large early usual often enough quite rather today tomorrow"
      + " yesterday weekly nightly morning evening team customer release sprint ticket review incident outage"
      + " rollout rollback latency throughput budget quota config setting threshold limit warning error"
      + " failure success metric trace span request response payload header token session cookie account"
      + " tenant user admin owner role permission policy region zone bucket table column row partition"
      + " replica primary follower leader lease lock mutex thread pool executor scheduler timer callback"
      + " promise future stream buffer channel socket port host domain certificate proxy firewall subnet"
      + " vpc container image registry artifact build pipeline stage job runner agent script notebook"
      + " prototype spike experiment hypothesis tradeoff constraint invariant contract interface adapter"
      + " facade decorator visitor builder factory singleton repository aggregate entity projection saga"
      + " choreography orchestration idempotent eventual consistent durable ephemeral immutable mutable"
      + " monotonic lexicographic quadratic logarithmic amortized pessimistic speculative heuristic"
      + " serendipitous byzantine quiescent hysteresis thundering herd tombstone vacuum checkpoint"
      + " fsync mmap hugepages numa affinity jitter skew drift flapping brownout blackhole").split(" ");

  /** Words that never occur in generated content: searches for them match nothing. */
  static final String[] ABSENT = {
      "zeppelin", "quasar", "marmalade", "xylophone", "nebulizer", "postgress", "kuberentes", "biling",
      "flamingo", "origami", "saxophone", "tundra"};

  static final String[][] ALL_WORDS_FOR_QUERIES = {TECH, SERVICE, VERB, PERSON, TAGS};

  // ---- Zipf sampling ----

  static final class Zipf {
    final String[] items;
    final double[] cumulative;

    Zipf(String[] items, double exponent) {
      this.items = items;
      this.cumulative = new double[items.length];
      double sum = 0;
      for (int i = 0; i < items.length; i++) {
        sum += 1.0 / Math.pow(i + 1, exponent);
        cumulative[i] = sum;
      }
      for (int i = 0; i < items.length; i++) cumulative[i] /= sum;
    }

    String next(Random r) {
      int i = Arrays.binarySearch(cumulative, r.nextDouble());
      if (i < 0) i = -i - 1;
      return items[Math.min(i, items.length - 1)];
    }
  }

  static final Zipf Z_TECH = new Zipf(TECH, 1.0);
  static final Zipf Z_SERVICE = new Zipf(SERVICE, 0.9);
  static final Zipf Z_COMPONENT = new Zipf(COMPONENT, 0.8);
  static final Zipf Z_CONCEPT = new Zipf(CONCEPT, 0.8);
  static final Zipf Z_VERB = new Zipf(VERB, 0.7);
  static final Zipf Z_PERSON = new Zipf(PERSON, 1.0);
  static final Zipf Z_FILLER = new Zipf(FILLER, 1.1);
  static final Zipf Z_TAGS = new Zipf(TAGS, 0.8);

  static String pick(Random r, String[] items) {
    return items[r.nextInt(items.length)];
  }

  static String cap(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  static String sentence(Random r) {
    String tech = Z_TECH.next(r);
    String tech2 = Z_TECH.next(r);
    if (tech2.equals(tech)) tech2 = pick(r, TECH);
    String service = Z_SERVICE.next(r);
    String component = Z_COMPONENT.next(r);
    switch (r.nextInt(12)) {
      case 0: return cap(Z_VERB.next(r)) + " " + Z_CONCEPT.next(r) + " for " + tech + " in the " + service + " service.";
      case 1: return "Decided to migrate the " + service + " " + component + " from " + tech + " to " + tech2
          + " after the " + pick(r, SYMPTOM).replaceFirst("^an? ", "") + " incident.";
      case 2: return cap(tech) + " " + component + " in " + service + " times out under load; " + pick(r, FIX) + ".";
      case 3: return "User prefers " + tech + " over " + tech2 + " for the " + service + " " + component + ".";
      case 4: return "Bug: " + service + " returns " + pick(r, SYMPTOM) + " when " + pick(r, CONDITION) + ".";
      case 5: return cap(Z_PERSON.next(r)) + " owns the " + service + " " + component + "; ask before changing "
          + tech + " settings.";
      case 6: return "Run the " + tech + " " + component + " check before deploying " + service + ".";
      case 7: return "The " + service + " " + component + " depends on " + tech + " and " + Z_CONCEPT.next(r) + ".";
      case 8: return "TODO: add " + Z_CONCEPT.next(r) + " to the " + service + " " + component + " before the next release.";
      case 9: return "Lesson learned: " + Z_VERB.next(r) + " " + Z_CONCEPT.next(r) + " with " + tech
          + ", otherwise " + pick(r, SYMPTOM) + ".";
      case 10: return "In " + service + ", " + pick(r, FIX) + " fixed " + pick(r, SYMPTOM) + " on " + tech + ".";
      default: return cap(tech) + " " + Z_VERB.next(r) + " guide for " + service + ": " + Z_CONCEPT.next(r)
          + " and " + Z_CONCEPT.next(r) + ".";
    }
  }

  static String filler(Random r) {
    int n = 4 + r.nextInt(12);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (i > 0) sb.append(' ');
      sb.append(Z_FILLER.next(r));
    }
    return cap(sb.toString()) + ".";
  }

  static String createBody(Random r) {
    StringBuilder content = new StringBuilder(sentence(r));
    int extra = r.nextInt(4); // 0..3 more sentences: content of ~60..400 chars
    for (int i = 0; i < extra; i++) content.append(' ').append(r.nextBoolean() ? sentence(r) : filler(r));
    Set<String> tags = new LinkedHashSet<>();
    int nTags = 1 + r.nextInt(3);
    while (tags.size() < nTags) tags.add(Z_TAGS.next(r));
    if (r.nextInt(4) == 0) tags.add(Z_TECH.next(r));
    StringBuilder sb = new StringBuilder("{\"content\":").append(json(content.toString())).append(",\"tags\":[");
    int i = 0;
    for (String t : tags) sb.append(i++ > 0 ? "," : "").append(json(t));
    return sb.append("],\"memory_type\":\"note\"}").toString();
  }

  static String searchBody(Random r) {
    String query;
    int kind = r.nextInt(100);
    if (kind < 25) {
      query = r.nextBoolean() ? Z_TECH.next(r) : Z_SERVICE.next(r);               // one common word
    } else if (kind < 50) {
      query = Z_TECH.next(r) + " " + Z_SERVICE.next(r);                            // two words, both must match
    } else if (kind < 62) {
      String[] words = Z_CONCEPT.next(r).split(" ");                               // one word of a concept
      query = words[r.nextInt(words.length)];
    } else if (kind < 74) {
      String[] source = ALL_WORDS_FOR_QUERIES[r.nextInt(ALL_WORDS_FOR_QUERIES.length)];
      query = source[source.length - 1 - r.nextInt(Math.max(1, source.length / 3))]; // a less common word
    } else if (kind < 90) {
      query = FILLER[FILLER.length - 1 - r.nextInt(FILLER.length / 4)];            // a rare word
    } else {
      query = pick(r, ABSENT);                                                     // matches nothing
    }
    return "{\"query\":" + json(query) + ",\"limit\":10}";
  }

  static String json(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') sb.append('\\').append(c);
      else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
      else sb.append(c);
    }
    return sb.append('"').toString();
  }

  // ---- commands ----

  public static void main(String[] args) throws Exception {
    if (args.length == 0) usage();
    switch (args[0]) {
      case "prepare" -> prepare(Path.of(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]),
          args.length > 4 ? args[4] : "notes");
      case "load" -> System.exit(load(args[1], args[2], Path.of(args[3]), Integer.parseInt(args[4])));
      case "probe" -> probe(args[1], args[2], Path.of(args[3]), Integer.parseInt(args[4]));
      default -> usage();
    }
  }

  static void usage() {
    System.err.println("usage: BenchTool prepare DIR N SEED [notes|common] | load URL KEY FILE CONC | probe URL KEY FILE N");
    System.exit(2);
  }

  /** The common-words corpus: 30 words, "tenant", "quota" and "latency" among them. */
  static final String[] COMMON = ("tenant quota latency memory search index agent query vector cache token request "
      + "limit plan usage workspace engine commit backup restore metric alert deploy schema cluster shard replica "
      + "queue worker budget").split(" ");

  static String commonBody(Random r) {
    StringBuilder content = new StringBuilder();
    for (int i = 0; i < 12; i++) content.append(i > 0 ? " " : "").append(pick(r, COMMON));
    return "{\"content\":" + json(content.toString()) + ",\"memory_type\":\"note\"}";
  }

  static void prepare(Path dir, int loadCount, long seed, String corpus) throws IOException {
    Files.createDirectories(dir);
    if (corpus.equals("common")) {
      write(dir.resolve("load.jsonl"), loadCount, new Random(seed), BenchTool::commonBody);
      write(dir.resolve("search-common.jsonl"), 1, new Random(seed), r -> "{\"query\":\"tenant quota latency\",\"limit\":10}");
      write(dir.resolve("search-common-keyword.jsonl"), 1, new Random(seed),
          r -> "{\"query\":\"tenant quota latency\",\"limit\":10,\"strategy\":\"keyword\"}");
    } else if (!corpus.equals("notes")) {
      throw new IllegalArgumentException("corpus must be notes or common");
    } else {
      write(dir.resolve("load.jsonl"), loadCount, new Random(seed), BenchTool::createBody);
    }
    write(dir.resolve("create.jsonl"), 20_000, new Random(seed + 1), BenchTool::createBody);
    write(dir.resolve("search.jsonl"), 5_000, new Random(seed + 2), BenchTool::searchBody);
    // the same searches and creates as MCP tools/call, so MCP and REST compare like with like (both doors take the
    // server's default strategy)
    write(dir.resolve("mcp-search.jsonl"), 5_000, new Random(seed + 2), r -> toolCall("memory_search", searchBody(r)));
    write(dir.resolve("mcp-create.jsonl"), 20_000, new Random(seed + 1), r -> toolCall("memory_create", createBody(r)));
    // the same queries for each strategy, so the per-strategy figures compare like with like
    for (String strategy : new String[] {"keyword", "semantic", "hybrid", "auto"}) {
      String field = ",\"strategy\":\"" + strategy + "\"}";
      write(dir.resolve("search-" + strategy + ".jsonl"), 5_000, new Random(seed + 2),
          r -> { String b = searchBody(r); return b.substring(0, b.length() - 1) + field; });
    }
  }

  static String toolCall(String tool, String arguments) {
    return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":" + arguments + "}}";
  }

  interface Gen {
    String next(Random r);
  }

  static void write(Path file, int count, Random r, Gen gen) throws IOException {
    try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
      for (int i = 0; i < count; i++) out.println(gen.next(r));
    }
  }

  /**
   * A minimal keep-alive HTTP/1.1 client over one socket (the JDK HttpClient tops out near 2,000 requests/s on this
   * machine, well below the server): sends a request, reads the status, the headers and a Content-Length or
   * chunked body. Reconnects when the server closes the connection.
   */
  static final class Connection implements AutoCloseable {
    final String host;
    final int port;
    final String key;
    Socket socket;
    OutputStream out;
    InputStream in;

    Connection(URI base, String key) {
      this.host = base.getHost();
      this.port = base.getPort();
      this.key = key;
    }

    /** Returns {status, body}. */
    String[] post(String path, String body) throws IOException {
      if (socket == null) {
        socket = new Socket(host, port);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(30_000);
        out = new BufferedOutputStream(socket.getOutputStream(), 16384);
        in = new BufferedInputStream(socket.getInputStream(), 16384);
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      String head = "POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nAuthorization: Bearer " + key
          + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n";
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(bytes);
      out.flush();
      String status = line();
      if (status == null || !status.startsWith("HTTP/1.")) throw new IOException("bad status line: " + status);
      int code = Integer.parseInt(status.substring(9, 12));
      long length = -1;
      boolean chunked = false;
      boolean close = false;
      for (String h; (h = line()) != null && !h.isEmpty(); ) {
        String lower = h.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) length = Long.parseLong(lower.substring(15).trim());
        else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) chunked = true;
        else if (lower.startsWith("connection:") && lower.contains("close")) close = true;
      }
      ByteArrayOutputStream responseBody = new ByteArrayOutputStream();
      if (chunked) {
        for (long size; (size = Long.parseLong(line().split(";")[0].trim(), 16)) > 0; ) {
          copy(responseBody, size);
          line();
        }
        while (!line().isEmpty()) { /* trailers */ }
      } else if (length >= 0) {
        copy(responseBody, length);
      } else {
        close = true;
        in.transferTo(responseBody);
      }
      if (close) close();
      return new String[] {Integer.toString(code), responseBody.toString(StandardCharsets.UTF_8)};
    }

    private void copy(ByteArrayOutputStream to, long n) throws IOException {
      byte[] buf = in.readNBytes((int) n);
      if (buf.length != n) throw new IOException("connection closed mid-body");
      to.write(buf);
    }

    private String line() throws IOException {
      StringBuilder sb = new StringBuilder();
      for (int c; (c = in.read()) != -1; ) {
        if (c == '\n') {
          int len = sb.length();
          return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
        }
        sb.append((char) c);
      }
      if (sb.length() == 0) throw new IOException("connection closed by the server");
      return sb.toString();
    }

    @Override
    public void close() {
      try {
        if (socket != null) socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      socket = null;
    }
  }

  static int load(String base, String key, Path file, int concurrency) throws Exception {
    List<String> bodies = Files.readAllLines(file, StandardCharsets.UTF_8);
    URI uri = URI.create(base);
    AtomicInteger next = new AtomicInteger();
    Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    AtomicReference<String> firstFailure = new AtomicReference<>();
    long start = System.nanoTime();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < concurrency; t++) {
      Thread worker = new Thread(() -> {
        Connection conn = new Connection(uri, key);
        try {
          for (int i; (i = next.getAndIncrement()) < bodies.size(); ) {
            String outcome;
            try {
              String[] res = conn.post("/v1/memories", bodies.get(i));
              outcome = res[0];
              if (!outcome.equals("201")) firstFailure.compareAndSet(null, "HTTP " + outcome + ": " + res[1]);
            } catch (Exception e) {
              conn.close();
              outcome = e.getClass().getSimpleName();
              firstFailure.compareAndSet(null, e.toString());
            }
            outcomes.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
          }
        } finally {
          conn.close();
        }
      }, "loader-" + t);
      worker.start();
      workers.add(worker);
    }
    for (Thread w : workers) w.join();
    double seconds = (System.nanoTime() - start) / 1e9;
    int created = outcomes.getOrDefault("201", new AtomicInteger()).get();
    System.out.printf("loaded %d memories in %.1f s (%.0f/s, %d connections); outcomes %s%n",
        created, seconds, created / seconds, concurrency, new TreeMap<>(outcomes));
    if (created != bodies.size()) {
      System.out.println("LOAD FAILURES: " + (bodies.size() - created) + " of " + bodies.size()
          + " were not 201; first: " + firstFailure.get());
      return 1;
    }
    return 0;
  }

  static final Pattern TOTAL = Pattern.compile("\"total\"\\s*:\\s*(\\d+)");
  static final Pattern QUERY = Pattern.compile("\"query\":\"([^\"]*)\"");

  static void probe(String base, String key, Path file, int n) throws Exception {
    List<String> bodies = Files.readAllLines(file, StandardCharsets.UTF_8);
    Connection conn = new Connection(URI.create(base), key);
    int count = Math.min(n, bodies.size());
    long[] totals = new long[count];
    int failures = 0;
    TreeMap<Long, String> examples = new TreeMap<>();
    for (int i = 0; i < count; i++) {
      // keyword's total counts the memories that match (hybrid's counts its fused candidates)
      String body = bodies.get(i).replaceFirst("\\}$", ",\"strategy\":\"keyword\"}");
      String[] res = conn.post("/v1/search", body);
      Matcher m = TOTAL.matcher(res[1]);
      if (!res[0].equals("200") || !m.find()) {
        failures++;
        if (failures == 1) System.out.println("PROBE FAILURE: HTTP " + res[0] + ": " + res[1]);
        totals[i] = -1;
        continue;
      }
      totals[i] = Long.parseLong(m.group(1));
      Matcher q = QUERY.matcher(bodies.get(i));
      if (q.find()) examples.putIfAbsent(totals[i], q.group(1));
    }
    conn.close();
    long[] ok = Arrays.stream(totals).filter(t -> t >= 0).sorted().toArray();
    if (ok.length == 0) {
      System.out.println("search probe: no successful searches");
      return;
    }
    long zero = Arrays.stream(ok).filter(t -> t == 0).count();
    long under10 = Arrays.stream(ok).filter(t -> t > 0 && t < 10).count();
    System.out.printf("search probe (%d queries): matches per query p10=%d p50=%d p90=%d max=%d; "
            + "%.0f%% match nothing, %.0f%% match 1-9, %.0f%% match 10+%s%n",
        ok.length, ok[ok.length / 10], ok[ok.length / 2], ok[ok.length * 9 / 10], ok[ok.length - 1],
        100.0 * zero / ok.length, 100.0 * under10 / ok.length, 100.0 * (ok.length - zero - under10) / ok.length,
        failures > 0 ? "; " + failures + " FAILED" : "");
    StringBuilder ex = new StringBuilder("  e.g.");
    int shown = 0;
    for (Map.Entry<Long, String> e : examples.descendingMap().entrySet()) {
      if (shown++ % Math.max(1, examples.size() / 6) != 0) continue;
      ex.append(" '").append(e.getValue()).append("'=").append(e.getKey());
    }
    System.out.println(ex);
  }
}
