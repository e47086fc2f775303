package dev.engram.cloud.config;

import dev.engram.cloud.search.Embedders;
import dev.engram.cloud.search.HybridRanker;
import dev.engram.cloud.search.Strategy;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Typed configuration, built once at start from {@code conf/engram.json}, an optional extra file,
 * the environment and the command line (in that order, later wins). Secrets come only from the environment.
 */
public record EngramConfig(
    int port,
    Path dataDir,
    Http http,
    Auth auth,
    RateLimits rateLimits,
    Engines engines,
    Metering metering,
    Billing billing,
    Memories memories,
    Quota quota,
    Mcp mcp,
    Search search,
    Database database,
    Operator operator,
    Server server,
    Telemetry telemetry,
    Backup backup) {

  /**
   * Backups (see backup/Backups and the README's "Backups"). {@code enabled}: snapshots and the change log (on by
   * default). The target is S3 when {@code s3Bucket} is set ({@code S3_BUCKET}, with {@code S3_ENDPOINT},
   * {@code S3_REGION}, {@code S3_PREFIX}), else {@code localDir} (null: {@code data/backups}). The change log is
   * shipped (sealed, and uploaded to S3) every {@code shipSeconds}; each tenant is snapshotted every
   * {@code snapshotHours}; retention keeps the newest snapshot of each of the last {@code keepDaily} days and
   * {@code keepWeekly} weeks.
   */
  public record Backup(boolean enabled, Path localDir, String s3Bucket, String s3Endpoint, String s3Region,
                       String s3Prefix, int shipSeconds, int snapshotHours, int keepDaily, int keepWeekly) {
    static Backup fromJson(JsonObject json, Path dataDir) {
      String local = json.getString("local_dir");
      Backup b = new Backup(json.getBoolean("enabled"),
          local == null || local.isBlank() ? null : dataDir.resolve(local).toAbsolutePath().normalize(),
          blankToNull(json.getString("s3_bucket")), blankToNull(json.getString("s3_endpoint")),
          blankToNull(json.getString("s3_region")), blankToNull(json.getString("s3_prefix")),
          json.getInteger("ship_seconds"), json.getInteger("snapshot_hours"),
          json.getJsonObject("retention").getInteger("daily"), json.getJsonObject("retention").getInteger("weekly"));
      if (b.shipSeconds < 1) throw new IllegalArgumentException("backup.ship_seconds must be at least 1");
      if (b.snapshotHours < 1) throw new IllegalArgumentException("backup.snapshot_hours must be at least 1");
      if (b.keepDaily < 1 || b.keepWeekly < 0) {
        throw new IllegalArgumentException("backup.retention.daily must be at least 1 and weekly at least 0");
      }
      return b;
    }

    private static String blankToNull(String s) {
      return s == null || s.isBlank() ? null : s.trim();
    }
  }

  /**
   * Where the server listens and how it stops. {@code host}: the bind address of the API ({@code 127.0.0.1} by
   * default, so a server started on a laptop is not open to its network; a container sets {@code 0.0.0.0}).
   * {@code metricsPort}: 0 serves {@code /metrics} on the API's port; another port serves it there alone (on
   * {@code host}), off the public listener. {@code shutdownGraceSeconds}: after SIGTERM, how long requests in flight
   * may take to finish (new connections are refused at once); then the engines commit and checkpoint, metering
   * flushes, and the process exits 0.
   */
  public record Server(String host, int metricsPort, int shutdownGraceSeconds) {
    static Server fromJson(JsonObject json) {
      String host = json.getString("host");
      int metricsPort = json.getJsonObject("metrics").getInteger("port");
      int grace = json.getJsonObject("shutdown").getInteger("grace_seconds");
      if (host == null || host.isBlank()) throw new IllegalArgumentException("host must name a bind address");
      if (metricsPort < 0 || metricsPort > 65535) {
        throw new IllegalArgumentException("metrics.port must be 0 (on the API's port) or a port number");
      }
      if (metricsPort != 0 && metricsPort == json.getInteger("port")) {
        throw new IllegalArgumentException("metrics.port must differ from port (0 serves /metrics on the API's port)");
      }
      if (grace < 1) throw new IllegalArgumentException("shutdown.grace_seconds must be at least 1");
      return new Server(host.trim(), metricsPort, grace);
    }
  }

  /**
   * The {@code OTEL_*} environment variables, as the OpenTelemetry SDK reads them; tracing is on when they name an
   * OTLP endpoint (see observability/Tracing). Exporter headers may hold credentials, so toString names keys only.
   */
  public record Telemetry(Map<String, String> otel) {
    @Override
    public String toString() {
      return "Telemetry" + otel.keySet();
    }
  }

  /**
   * {@code importBodyLimitBytes} bounds the routes that take large bodies ({@code POST /v1/import}, JSON or
   * multipart, and {@code POST /v1/project-context/scan}). A body over {@code bodyLimitBytes} (or of unknown length)
   * on those routes is a large upload: at most {@code largeUploadsPerNode} are in flight on this node and
   * {@code largeUploadsPerTenant} per tenant (beyond: 503 / 429 with {@code Retry-After}). Every body must arrive at
   * {@code bodyMinBytesPerSecond} on average once {@code bodyGraceSeconds} have passed (else 408), so a trickle cannot
   * hold a connection and its buffer. {@code trustedProxies}: addresses or CIDR blocks of the reverse proxies in
   * front of the server, whose {@code X-Forwarded-For} names the client for the per-address limits of sign-in and
   * sign-up (none by default).
   */
  public record Http(int instances, long bodyLimitBytes, long importBodyLimitBytes, int largeUploadsPerNode,
                     int largeUploadsPerTenant, long bodyMinBytesPerSecond, int bodyGraceSeconds,
                     List<String> trustedProxies) {}

  /**
   * MCP over HTTP. {@code allowedOrigins} are the browser origins besides loopback that may call it (DNS-rebinding
   * protection); {@code publicUrl} is this server's external base URL for the OAuth resource metadata (required in
   * production; empty in the embedded default: a loopback Host as given, else localhost on {@code port}).
   * Sessions: at most {@code maxSessionsPerKey} per credential and {@code maxSessionsPerTenant} per tenant (a new one
   * ends that credential's or tenant's least recently used), {@code maxSessions} on the node (a memory bound: when
   * full, initialize answers without a session rather than end a stranger's). {@code maxBatch}: JSON-RPC messages per
   * batch (413 beyond); a batch runs its messages one after another and stops running them once its answer holds
   * {@code maxBatchResponseBytes}, so that one request holds at most that plus one message's answer.
   */
  public record Mcp(List<String> allowedOrigins, String publicUrl, int sessionIdleSeconds, long maxSessions,
                    int maxSessionsPerTenant, int maxSessionsPerKey, int maxBatch, long maxBatchResponseBytes,
                    int toolsPageSize) {}

  /**
   * {@code maxActiveApiKeys}: the most keys a tenant holds at once, revoked and expired ones not counted.
   * {@code keyCacheSeconds}: how long a verified key, and a signed-in user's memberships, are reused before the
   * control plane is asked again (changes made on this node apply at once; on other nodes within this).
   * {@code inviteTtlSeconds}: how long an invite can be accepted. A rotation keeps the old key working for the
   * {@code overlap_seconds} it names, {@code rotationOverlapSeconds} by default and at most
   * {@code maxRotationOverlapSeconds}. {@code keyUsageFlushSeconds}: how often the keys' {@code last_used_at} (kept to
   * the minute, in memory meanwhile) is written, and expired keys are looked for to audit their expiry.
   */
  public record Auth(String issuer, String audience, int tokenTtlSeconds, int passwordIterations, int keyCacheSeconds,
                     int maxActiveApiKeys, PasswordHashing passwordHashing, Throttle throttle, External external,
                     int inviteTtlSeconds, int rotationOverlapSeconds, int maxRotationOverlapSeconds,
                     int keyUsageFlushSeconds) {}

  /**
   * The platform operator's API ({@code /v1/operator/...}): on when {@code token} ({@code ENGRAM_OPERATOR_TOKEN}, at
   * least 32 characters, environment only) is set; without it those routes answer 404. The token is a secret, so
   * toString leaves it out.
   */
  public record Operator(String token) {
    public static final int MIN_TOKEN_LENGTH = 32;

    public boolean enabled() {
      return token != null;
    }

    @Override
    public String toString() {
      return "Operator[enabled=" + enabled() + "]";
    }
  }

  /**
   * Password hashes (sign-up, sign-in) run on {@code threads} threads of their own ({@code 0}: half the cores, at
   * least one), never on an event loop; at most {@code queue} more wait, and beyond that a sign-in or sign-up is
   * refused at once with 503 and {@code Retry-After}.
   */
  public record PasswordHashing(int threads, int queue) {
    static PasswordHashing fromJson(JsonObject json) {
      int threads = json.getInteger("threads");
      int queue = json.getInteger("queue");
      if (threads < 0 || queue < 0) {
        throw new IllegalArgumentException("auth.password_hashing.threads and queue must not be negative");
      }
      return new PasswordHashing(threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / 2),
          queue);
    }
  }

  /**
   * The limits of the public routes, far below the API's because each call costs a slow password hash: per client
   * address (IPv6 by /64) and per account (the email, whether or not it has an account; for a sign-up with an
   * external token, its subject), on sign-in and sign-up; and the sign-in backoff per account.
   */
  public record Throttle(Limit signInPerAddress, Limit signInPerAccount, Limit signUpPerAddress,
                         Limit signUpPerAccount, Backoff backoff) {
    static Throttle fromJson(JsonObject json) {
      return new Throttle(Limit.fromJson(json, "sign_in_per_address"), Limit.fromJson(json, "sign_in_per_account"),
          Limit.fromJson(json, "sign_up_per_address"), Limit.fromJson(json, "sign_up_per_account"),
          Backoff.fromJson(json.getJsonObject("backoff")));
    }
  }

  /** {@code burst} requests at once, then one more every {@code refillSeconds}. */
  public record Limit(double burst, double refillSeconds) {
    static Limit fromJson(JsonObject throttle, String name) {
      JsonObject json = throttle.getJsonObject(name);
      Limit limit = new Limit(json.getDouble("burst"), json.getDouble("refill_seconds"));
      if (limit.burst < 1 || !(limit.refillSeconds > 0)) {
        throw new IllegalArgumentException("auth.throttle." + name + ": burst must be at least 1 and refill_seconds"
            + " more than 0");
      }
      return limit;
    }

    /** The same limit as the API's rate-limit numbers (requests per second, burst), for the limiters. */
    public RateLimits asRateLimits() {
      return new RateLimits(1 / refillSeconds, burst, 1 / refillSeconds, burst);
    }
  }

  /**
   * After {@code freeFailures} failed sign-ins in a row, an account is locked for {@code baseSeconds}, doubled at
   * each further failure up to {@code maxSeconds}; a success clears it, and so do {@code forgetSeconds} without a
   * failure.
   */
  public record Backoff(int freeFailures, double baseSeconds, double maxSeconds, int forgetSeconds) {
    static Backoff fromJson(JsonObject json) {
      Backoff b = new Backoff(json.getInteger("free_failures"), json.getDouble("base_seconds"),
          json.getDouble("max_seconds"), json.getInteger("forget_seconds"));
      if (b.freeFailures < 0 || !(b.baseSeconds > 0) || b.maxSeconds < b.baseSeconds || b.forgetSeconds < 1) {
        throw new IllegalArgumentException("auth.throttle.backoff: free_failures must not be negative, base_seconds"
            + " must be more than 0 and at most max_seconds, forget_seconds at least 1");
      }
      return b;
    }

    /** How long the account is locked after its {@code failures}-th failure in a row (zero while free). */
    public Duration lockAfter(long failures) {
      if (failures <= freeFailures) return Duration.ZERO;
      // 2^62 already exceeds any max: cap the exponent so the double stays finite.
      double seconds = Math.min(maxSeconds, baseSeconds * Math.pow(2, Math.min(62, failures - freeFailures - 1)));
      return Duration.ofMillis((long) Math.ceil(seconds * 1000));
    }
  }

  /**
   * An external token issuer (Neon Auth / Better Auth, any OIDC provider), on when {@code jwksUrl} is set.
   * Unknown key ids trigger at most one JWKS refetch per {@code jwksMinRefetchSeconds}. A JWKS download is bounded
   * by {@code jwksMaxBytes} and {@code jwksTimeoutMs} and may list at most {@code jwksMaxKeys} keys. The JWKS URL must
   * be https, except for a loopback host or with {@code jwksAllowHttp}.
   */
  public record External(String jwksUrl, String issuer, String audience, int clockSkewSeconds,
                         int jwksRefreshSeconds, int jwksMinRefetchSeconds, int jwksTimeoutMs,
                         int tokenCacheSeconds, int jwksMaxBytes, int jwksMaxKeys, boolean jwksAllowHttp) {

    public boolean enabled() {
      return jwksUrl != null;
    }

    static External fromJson(JsonObject json, String builtInIssuer) {
      External e = new External(blankToNull(json.getString("jwks_url")), blankToNull(json.getString("issuer")),
          blankToNull(json.getString("audience")), json.getInteger("clock_skew_seconds"),
          json.getInteger("jwks_refresh_seconds"), json.getInteger("jwks_min_refetch_seconds"),
          json.getInteger("jwks_timeout_ms"), json.getInteger("token_cache_seconds"),
          json.getInteger("jwks_max_bytes"), json.getInteger("jwks_max_keys"), json.getBoolean("jwks_allow_http"));
      if (e.enabled()) {
        if (e.issuer == null || e.audience == null) {
          throw new IllegalArgumentException("JWKS_URL is set: JWT_ISSUER and JWT_AUDIENCE must be set too");
        }
        if (!e.jwksUrl.startsWith("https://") && !e.jwksUrl.startsWith("http://")) {
          throw new IllegalArgumentException("JWKS_URL must be an http(s) URL, got '" + e.jwksUrl + "'");
        }
        // The keys decide who may sign in: over plain http anyone on the path could swap them for their own.
        if (e.jwksUrl.startsWith("http://") && !e.jwksAllowHttp && !loopback(e.jwksUrl)) {
          throw new IllegalArgumentException("JWKS_URL must be an https URL, got '" + e.jwksUrl + "' (plain http is"
              + " accepted for a loopback host, or with auth.external.jwks_allow_http: true)");
        }
        if (e.jwksMaxBytes < 1024 || e.jwksMaxKeys < 1) {
          throw new IllegalArgumentException("auth.external.jwks_max_bytes must be at least 1024 and jwks_max_keys"
              + " at least 1");
        }
        // Tokens are routed to a verifier by their 'iss' claim, so the two issuers must be told apart.
        if (e.issuer.equals(builtInIssuer)) {
          throw new IllegalArgumentException("JWT_ISSUER must differ from the server's own issuer '" + builtInIssuer + "'");
        }
      }
      return e;
    }

    /** True when the URL's host is a loopback name or address (by its spelling: no DNS lookup). */
    public static boolean loopback(String url) {
      String host;
      try {
        host = URI.create(url).getHost();
      } catch (IllegalArgumentException e) {
        return false;
      }
      if (host == null) return false;
      host = host.toLowerCase(Locale.ROOT);
      return host.equals("localhost") || host.equals("[::1]") || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    private static String blankToNull(String value) {
      return value == null || value.isBlank() ? null : value.trim();
    }
  }

  public record RateLimits(double keyPerSecond, double keyBurst, double tenantPerSecond, double tenantBurst) {}

  public record Engines(int maxActive, int idleSeconds, int workerPoolSize, int readersPerTenant, int groupCommitMax) {}

  /**
   * Usage metering: the spool is fsynced every {@code fsyncMillis} when something was appended, and folded into the
   * control plane every {@code foldSeconds} (and on a graceful stop).
   */
  public record Metering(int foldSeconds, int fsyncMillis) {}

  /**
   * Stripe billing: on when both secrets are set ({@code STRIPE_SECRET_KEY}, {@code STRIPE_WEBHOOK_SECRET}, from the
   * environment only), off otherwise (the embedded default: plans are set by an operator). {@code planPrices}: the
   * Stripe price id of each plan that can be bought; {@code overage}: the metered price and Billing Meter event name
   * of each metered overage ({@code api_calls}, {@code searches}), added to every subscription. The URLs may be
   * relative to the public URL. Overage is reported to Stripe every {@code reportIntervalSeconds} (an hour).
   */
  public record Billing(String secretKey, String webhookSecret, String apiBase, Map<String, String> planPrices,
                        Map<String, Overage> overage, String successUrl, String cancelUrl, String portalReturnUrl,
                        int reportIntervalSeconds) {

    public record Overage(String price, String meterEvent) {}

    public boolean enabled() {
      return secretKey != null && webhookSecret != null;
    }

    /**
     * Whether use of {@code metric} ({@code api_calls}, {@code searches}) beyond the plan's monthly cap is billed as
     * overage rather than refused: billing on, the plan sold through Stripe, and the metric metered.
     */
    public boolean billsOverage(String plan, String metric) {
      return enabled() && planPrices.containsKey(plan) && overage.containsKey(metric);
    }

    static Billing fromJson(JsonObject json) {
      JsonObject stripe = json.getJsonObject("stripe", new JsonObject());
      Map<String, String> prices = new java.util.TreeMap<>();
      json.getJsonObject("plans").forEach(e -> {
        if (e.getValue() instanceof String price && !price.isBlank()) prices.put(e.getKey(), price.trim());
      });
      Map<String, Overage> overage = new java.util.TreeMap<>();
      json.getJsonObject("overage").forEach(e -> {
        if (!e.getKey().equals("api_calls") && !e.getKey().equals("searches")) {
          throw new IllegalArgumentException("billing.overage." + e.getKey()
              + ": only api_calls and searches are metered");
        }
        JsonObject o = (JsonObject) e.getValue();
        String price = o.getString("price");
        if (price != null && !price.isBlank()) {
          overage.put(e.getKey(), new Overage(price.trim(), o.getString("meter_event")));
        }
      });
      int interval = json.getInteger("report_interval_seconds");
      if (interval < 1) throw new IllegalArgumentException("billing.report_interval_seconds must be at least 1");
      return new Billing(blankToNull(stripe.getString("secret_key")), blankToNull(stripe.getString("webhook_secret")),
          json.getString("api_base"), Map.copyOf(prices), Map.copyOf(overage), json.getString("success_url"),
          json.getString("cancel_url"), json.getString("portal_return_url"), interval);
    }

    private static String blankToNull(String s) {
      return s == null || s.isBlank() ? null : s.trim();
    }
  }

  public record Memories(int maxContentChars, int maxTags, int maxTagChars, int maxMetadataBytes,
                         int listMaxLimit, int searchMaxLimit) {}

  /**
   * The PostgreSQL control plane: {@code url} (env {@code DATABASE_URL}, the application role) selects it, and
   * {@code migrationUrl} (env {@code DATABASE_MIGRATION_URL}, the owner role) runs the migrations; both null for
   * the embedded SQLite control plane. Both are secrets, so toString leaves them out. {@code allowPrivilegedRole}
   * turns the refusal to start with an application role that can act as the tables' owner, a superuser or a
   * BYPASSRLS role into a warning.
   */
  public record Database(String url, String migrationUrl, int poolSize, boolean allowPrivilegedRole) {
    public boolean postgres() {
      return url != null && !url.isBlank();
    }

    @Override
    public String toString() {
      return "Database[postgres=" + postgres() + ", poolSize=" + poolSize + ", allowPrivilegedRole="
          + allowPrivilegedRole + "]";
    }
  }

  /**
   * Plans, their caps and where rate limits are kept. {@code redis.url} empty means in-process limits only.
   * {@code plans} maps a plan name ({@code tenants.plan}) to its caps and rate limits.
   */
  public record Quota(Redis redis, Map<String, Plan> plans, String defaultPlan, int planCacheSeconds,
                      int usageRefreshSeconds) {}

  /** {@code url} is null when Redis is off; it may carry a password, so it is never logged. */
  public record Redis(String url, int timeoutMs, int reconnectMaxMs, String keyPrefix) {}

  /** One plan: caps (null = unlimited; {@code storageBytes} of the tenant database) and its rate limits. */
  public record Plan(String name, Long memories, Long searchesPerMonth, Long apiCallsPerMonth, Long storageBytes,
                     Long members, RateLimits rateLimits) {}

  /**
   * Search tuning. {@code defaultStrategy} applies when a request names none, on every entry point.
   * {@code embedder}: {@code minilm} (all-MiniLM-L6-v2 in process) or {@code hashing}; vectors are computed off the
   * write path by {@code embeddingThreads} inference threads shared by all tenants. Hybrid ranking: weighted score
   * fusion, {@code keywordWeight} and {@code semanticWeight} (normalised to sum 1) over BM25 divided by the query's
   * best and the cosine, then small rerank weights (see search/HybridRanker). {@code candidates}: how many results
   * each list feeds the fusion. {@code vocabularyCacheMb}: heap budget for all tenants' typo-correction
   * vocabularies together; the least recently used are dropped beyond it (and rebuilt when next needed). {@code budgetMs}: how long one search (or spelling suggestion) may work; past it, it answers with
   * what it has, flagged {@code partial}. {@code maxCorrections}: at most this many words of a query are
   * typo-corrected (0: none).
   */
  public record Search(Strategy defaultStrategy, String embedder, int embeddingThreads, double keywordWeight,
                       double semanticWeight, double recencyWeight, double recencyHalfLifeDays, double importanceWeight,
                       double phraseWeight, int candidates, double semanticMinSimilarity, int vocabularyCacheMb,
                       int budgetMs, int maxCorrections) {
    public HybridRanker.Weights weights() {
      return new HybridRanker.Weights(keywordWeight, semanticWeight, recencyWeight, recencyHalfLifeDays,
          importanceWeight, phraseWeight);
    }
  }

  /** Reads the merged JSON tree; every key must be present (the bundled defaults file has them all). */
  public static EngramConfig fromJson(JsonObject json) {
    JsonObject http = json.getJsonObject("http");
    JsonObject auth = json.getJsonObject("auth");
    JsonObject rate = json.getJsonObject("rate_limits");
    JsonObject engines = json.getJsonObject("engines");
    JsonObject metering = json.getJsonObject("metering");
    JsonObject mem = json.getJsonObject("memories");
    JsonObject db = json.getJsonObject("database");
    JsonObject search = json.getJsonObject("search");
    String strategy = search.getString("default_strategy");
    return new EngramConfig(
        json.getInteger("port"),
        Path.of(json.getString("data_dir")).toAbsolutePath().normalize(),
        http(http),
        new Auth(auth.getString("issuer"), auth.getString("audience"), auth.getInteger("token_ttl_seconds"),
            auth.getInteger("password_iterations"), auth.getInteger("key_cache_seconds"), maxActiveApiKeys(auth),
            PasswordHashing.fromJson(auth.getJsonObject("password_hashing")),
            Throttle.fromJson(auth.getJsonObject("throttle")),
            External.fromJson(auth.getJsonObject("external"), auth.getString("issuer")),
            positive(auth, "invite_ttl_seconds"), atLeastZero(auth, "rotation_overlap_seconds"),
            atLeastZero(auth, "max_rotation_overlap_seconds"), positive(auth, "key_usage_flush_seconds")),
        rateLimits(rate),
        new Engines(engines.getInteger("max_active"), engines.getInteger("idle_seconds"),
            engines.getInteger("worker_pool_size"), engines.getInteger("readers_per_tenant"),
            engines.getInteger("group_commit_max")),
        new Metering(metering.getInteger("fold_seconds"), metering.getInteger("fsync_millis")),
        Billing.fromJson(json.getJsonObject("billing")),
        new Memories(mem.getInteger("max_content_chars"), mem.getInteger("max_tags"), mem.getInteger("max_tag_chars"),
            mem.getInteger("max_metadata_bytes"), mem.getInteger("list_max_limit"), mem.getInteger("search_max_limit")),
        quota(json),
        mcp(json.getJsonObject("mcp")),
        new Search(Strategy.parse(strategy).orElseThrow(() ->
                new IllegalArgumentException("search.default_strategy must be keyword, semantic, hybrid or auto")),
            embedder(search), atLeast(search, "embedding_threads", 1), fusionWeight(search, "keyword_weight"),
            fusionWeight(search, "semantic_weight"), search.getDouble("recency_weight"),
            search.getDouble("recency_half_life_days"), search.getDouble("importance_weight"),
            search.getDouble("phrase_weight"), atLeast(search, "candidates", 1),
            search.getDouble("semantic_min_similarity"), search.getInteger("vocabulary_cache_mb"),
            atLeast(search, "budget_ms", 1), atLeast(search, "max_corrections", 0)),
        new Database(db.getString("url"), db.getString("migration_url"), db.getInteger("pool_size"),
            db.getBoolean("allow_privileged_role")),
        operator(json.getJsonObject("operator")),
        Server.fromJson(json),
        new Telemetry(otel(json.getJsonObject("otel"))),
        Backup.fromJson(json.getJsonObject("backup"),
            Path.of(json.getString("data_dir")).toAbsolutePath().normalize()));
  }

  private static Map<String, String> otel(JsonObject otel) {
    Map<String, String> out = new LinkedHashMap<>();
    otel.forEach(e -> {
      if (e.getValue() != null) out.put(e.getKey(), e.getValue().toString());
    });
    return Map.copyOf(out);
  }

  private static Operator operator(JsonObject operator) {
    String token = operator.getString("token");
    if (token == null || token.isBlank()) return new Operator(null);
    if (token.length() < Operator.MIN_TOKEN_LENGTH) {
      throw new IllegalArgumentException("ENGRAM_OPERATOR_TOKEN must be at least " + Operator.MIN_TOKEN_LENGTH
          + " characters (a random secret, e.g. openssl rand -hex 32)");
    }
    return new Operator(token);
  }

  private static int positive(JsonObject json, String name) {
    int value = json.getInteger(name);
    if (value < 1) throw new IllegalArgumentException("auth." + name + " must be at least 1");
    return value;
  }

  private static int atLeastZero(JsonObject json, String name) {
    int value = json.getInteger(name);
    if (value < 0) throw new IllegalArgumentException("auth." + name + " must not be negative");
    return value;
  }

  private static int maxActiveApiKeys(JsonObject auth) {
    int max = auth.getInteger("max_active_api_keys");
    if (max < 1) throw new IllegalArgumentException("auth.max_active_api_keys must be at least 1");
    return max;
  }

  private static String embedder(JsonObject search) {
    String name = search.getString("embedder");
    if (!Embedders.NAMES.contains(name)) {
      throw new IllegalArgumentException("search.embedder must be one of " + Embedders.NAMES);
    }
    return name;
  }

  private static double fusionWeight(JsonObject search, String name) {
    double w = search.getDouble(name);
    if (w < 0) throw new IllegalArgumentException("search." + name + " must be at least 0");
    if (search.getDouble("keyword_weight") + search.getDouble("semantic_weight") <= 0) {
      throw new IllegalArgumentException("search.keyword_weight and search.semantic_weight must not both be 0");
    }
    return w;
  }

  private static Http http(JsonObject http) {
    int instances = http.getInteger("instances");
    Http h = new Http(instances > 0 ? instances : Runtime.getRuntime().availableProcessors(),
        http.getLong("body_limit_bytes"), http.getLong("import_body_limit_bytes"),
        http.getInteger("large_uploads_per_node"), http.getInteger("large_uploads_per_tenant"),
        http.getLong("body_min_bytes_per_second"), http.getInteger("body_grace_seconds"),
        http.getJsonArray("trusted_proxies").stream().map(String.class::cast).toList());
    if (h.largeUploadsPerNode() < 1 || h.largeUploadsPerTenant() < 1) {
      throw new IllegalArgumentException("http.large_uploads_per_node and large_uploads_per_tenant must be at least 1");
    }
    if (h.bodyMinBytesPerSecond() < 0 || h.bodyGraceSeconds() < 1) {
      throw new IllegalArgumentException("http.body_min_bytes_per_second must be at least 0 and "
          + "http.body_grace_seconds at least 1");
    }
    return h;
  }

  private static int atLeast(JsonObject search, String name, int min) {
    int value = search.getInteger(name);
    if (value < min) throw new IllegalArgumentException("search." + name + " must be at least " + min);
    return value;
  }

  private static Mcp mcp(JsonObject mcp) {
    List<String> origins = mcp.getJsonArray("allowed_origins").stream().map(String.class::cast).toList();
    Mcp m = new Mcp(origins, mcp.getString("public_url", ""), mcp.getInteger("session_idle_seconds"),
        mcp.getLong("max_sessions"), mcp.getInteger("max_sessions_per_tenant"), mcp.getInteger("max_sessions_per_key"),
        mcp.getInteger("max_batch"), mcp.getLong("max_batch_response_bytes"), mcp.getInteger("tools_page_size"));
    if (!m.publicUrl().isBlank() && !m.publicUrl().matches("https?://[^/?#\\s]+(/[^?#\\s]*)?")) {
      throw new IllegalArgumentException("ENGRAM_PUBLIC_URL (mcp.public_url) must be an http(s) URL like "
          + "https://engram.example.com, got '" + m.publicUrl() + "'");
    }
    if (m.maxSessions() < 1 || m.maxSessionsPerTenant() < 1 || m.maxSessionsPerKey() < 1 || m.maxBatch() < 1
        || m.maxBatchResponseBytes() < 1) {
      throw new IllegalArgumentException("mcp.max_sessions, max_sessions_per_tenant, max_sessions_per_key, "
          + "max_batch and max_batch_response_bytes must be at least 1");
    }
    return m;
  }

  private static Quota quota(JsonObject json) {
    JsonObject rate = json.getJsonObject("rate_limits");
    JsonObject perPlanRates = rate.getJsonObject("plans", new JsonObject());
    JsonObject redis = json.getJsonObject("redis");
    JsonObject quota = json.getJsonObject("quota");
    Map<String, Plan> plans = new LinkedHashMap<>();
    json.getJsonObject("plans").forEach(e -> {
      JsonObject p = (JsonObject) e.getValue();
      // A plan without its own rate limits uses the top-level ones; a partial entry overrides key by key.
      JsonObject r = rate.copy().mergeIn(perPlanRates.getJsonObject(e.getKey(), new JsonObject()));
      plans.put(e.getKey(), new Plan(e.getKey(), p.getLong("memories"), p.getLong("searches_per_month"),
          p.getLong("api_calls_per_month"), p.getLong("storage_bytes"), p.getLong("members"), rateLimits(r)));
    });
    String defaultPlan = quota.getString("default_plan");
    if (!plans.containsKey(defaultPlan)) {
      throw new IllegalArgumentException("quota.default_plan '" + defaultPlan + "' is not one of the plans " + plans.keySet());
    }
    String url = redis.getString("url");
    return new Quota(new Redis(url == null || url.isBlank() ? null : url.trim(), redis.getInteger("timeout_ms"),
        redis.getInteger("reconnect_max_ms"), redis.getString("key_prefix")),
        Map.copyOf(plans), defaultPlan, quota.getInteger("plan_cache_seconds"), quota.getInteger("usage_refresh_seconds"));
  }

  private static RateLimits rateLimits(JsonObject rate) {
    return new RateLimits(rate.getDouble("key_per_second"), rate.getDouble("key_burst"),
        rate.getDouble("tenant_per_second"), rate.getDouble("tenant_burst"));
  }
}
