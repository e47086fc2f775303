package dev.engram.cloud.config;

import dev.engram.cloud.search.HybridRanker;
import dev.engram.cloud.search.Strategy;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
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
    Memories memories,
    Quota quota,
    Mcp mcp,
    Search search,
    Database database) {

  /** {@code importBodyLimitBytes} bounds {@code POST /v1/import} alone (JSON body or multipart upload). */
  public record Http(int instances, long bodyLimitBytes, long importBodyLimitBytes) {}

  /**
   * MCP over HTTP. {@code allowedOrigins} are the browser origins besides loopback that may call it (DNS-rebinding
   * protection); {@code publicUrl} is this server's external base URL for the OAuth resource metadata (empty: taken
   * from the request's Host).
   */
  public record Mcp(List<String> allowedOrigins, String publicUrl, int sessionIdleSeconds, long maxSessions,
                    int toolsPageSize) {}

  public record Auth(String issuer, String audience, int tokenTtlSeconds, int passwordIterations, int keyCacheSeconds,
                     External external) {}

  /**
   * An external token issuer (Neon Auth / Better Auth, any OIDC provider), on when {@code jwksUrl} is set.
   * Unknown key ids trigger at most one JWKS refetch per {@code jwksMinRefetchSeconds}.
   */
  public record External(String jwksUrl, String issuer, String audience, int clockSkewSeconds,
                         int jwksRefreshSeconds, int jwksMinRefetchSeconds, int jwksTimeoutMs,
                         int tokenCacheSeconds) {

    public boolean enabled() {
      return jwksUrl != null;
    }

    static External fromJson(JsonObject json, String builtInIssuer) {
      External e = new External(blankToNull(json.getString("jwks_url")), blankToNull(json.getString("issuer")),
          blankToNull(json.getString("audience")), json.getInteger("clock_skew_seconds"),
          json.getInteger("jwks_refresh_seconds"), json.getInteger("jwks_min_refetch_seconds"),
          json.getInteger("jwks_timeout_ms"), json.getInteger("token_cache_seconds"));
      if (e.enabled()) {
        if (e.issuer == null || e.audience == null) {
          throw new IllegalArgumentException("JWKS_URL is set: JWT_ISSUER and JWT_AUDIENCE must be set too");
        }
        if (!e.jwksUrl.startsWith("https://") && !e.jwksUrl.startsWith("http://")) {
          throw new IllegalArgumentException("JWKS_URL must be an http(s) URL, got '" + e.jwksUrl + "'");
        }
        // Tokens are routed to a verifier by their 'iss' claim, so the two issuers must be told apart.
        if (e.issuer.equals(builtInIssuer)) {
          throw new IllegalArgumentException("JWT_ISSUER must differ from the server's own issuer '" + builtInIssuer + "'");
        }
      }
      return e;
    }

    private static String blankToNull(String value) {
      return value == null || value.isBlank() ? null : value.trim();
    }
  }

  public record RateLimits(double keyPerSecond, double keyBurst, double tenantPerSecond, double tenantBurst) {}

  public record Engines(int maxActive, int idleSeconds, int workerPoolSize, int readersPerTenant, int groupCommitMax) {}

  public record Metering(int flushSeconds) {}

  public record Memories(int maxContentChars, int maxTags, int maxTagChars, int maxMetadataBytes,
                         int listMaxLimit, int searchMaxLimit) {}

  /**
   * The PostgreSQL control plane: {@code url} (env {@code DATABASE_URL}, the application role) selects it, and
   * {@code migrationUrl} (env {@code DATABASE_MIGRATION_URL}, the owner role) runs the migrations; both null for
   * the embedded SQLite control plane. Both are secrets, so toString leaves them out.
   */
  public record Database(String url, String migrationUrl, int poolSize) {
    public boolean postgres() {
      return url != null && !url.isBlank();
    }

    @Override
    public String toString() {
      return "Database[postgres=" + postgres() + ", poolSize=" + poolSize + "]";
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
   * Search tuning. {@code defaultStrategy} applies when a request names none ({@code keyword} keeps the original
   * API's behaviour). Hybrid ranking: reciprocal rank fusion with constant {@code rrfK} and the two list weights,
   * then small rerank weights (see search/HybridRanker). {@code candidates}: how many results each list feeds the
   * fusion. {@code vectorCacheMb}: heap budget for all tenants' in-memory vector matrices and vocabularies together;
   * the least recently used are dropped beyond it (and reloaded from SQLite when next needed).
   * {@code keywordWindow}: an unfiltered keyword list ranks only the newest this-many matches (by id), since
   * SQLite's BM25 scores every match and a word held by most of 100k memories would otherwise cost ~30 ms.
   * {@code budgetMs}: how long one search (or spelling suggestion) may work; past it, it answers with what it has,
   * flagged {@code partial}. {@code maxCorrections}: at most this many words of a query are typo-corrected (0: none).
   */
  public record Search(Strategy defaultStrategy, int rrfK, double keywordWeight, double semanticWeight,
                       double recencyWeight, double recencyHalfLifeDays, double importanceWeight, double phraseWeight,
                       int candidates, double semanticMinSimilarity, int vectorCacheMb, int keywordWindow,
                       int budgetMs, int maxCorrections) {
    public HybridRanker.Weights weights() {
      return new HybridRanker.Weights(rrfK, keywordWeight, semanticWeight, recencyWeight, recencyHalfLifeDays,
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
    int instances = http.getInteger("instances");
    return new EngramConfig(
        json.getInteger("port"),
        Path.of(json.getString("data_dir")).toAbsolutePath().normalize(),
        new Http(instances > 0 ? instances : Runtime.getRuntime().availableProcessors(),
            http.getLong("body_limit_bytes"), http.getLong("import_body_limit_bytes")),
        new Auth(auth.getString("issuer"), auth.getString("audience"), auth.getInteger("token_ttl_seconds"),
            auth.getInteger("password_iterations"), auth.getInteger("key_cache_seconds"),
            External.fromJson(auth.getJsonObject("external"), auth.getString("issuer"))),
        rateLimits(rate),
        new Engines(engines.getInteger("max_active"), engines.getInteger("idle_seconds"),
            engines.getInteger("worker_pool_size"), engines.getInteger("readers_per_tenant"),
            engines.getInteger("group_commit_max")),
        new Metering(metering.getInteger("flush_seconds")),
        new Memories(mem.getInteger("max_content_chars"), mem.getInteger("max_tags"), mem.getInteger("max_tag_chars"),
            mem.getInteger("max_metadata_bytes"), mem.getInteger("list_max_limit"), mem.getInteger("search_max_limit")),
        quota(json),
        mcp(json.getJsonObject("mcp")),
        new Search(Strategy.parse(strategy).orElseThrow(() ->
                new IllegalArgumentException("search.default_strategy must be keyword, semantic, hybrid or auto")),
            search.getInteger("rrf_k"), search.getDouble("keyword_weight"), search.getDouble("semantic_weight"),
            search.getDouble("recency_weight"), search.getDouble("recency_half_life_days"),
            search.getDouble("importance_weight"), search.getDouble("phrase_weight"), search.getInteger("candidates"),
            search.getDouble("semantic_min_similarity"), search.getInteger("vector_cache_mb"),
            keywordWindow(search), atLeast(search, "budget_ms", 1), atLeast(search, "max_corrections", 0)),
        new Database(db.getString("url"), db.getString("migration_url"), db.getInteger("pool_size")));
  }

  private static int keywordWindow(JsonObject search) {
    int window = search.getInteger("keyword_window");
    if (window < 1) throw new IllegalArgumentException("search.keyword_window must be at least 1");
    return window;
  }

  private static int atLeast(JsonObject search, String name, int min) {
    int value = search.getInteger(name);
    if (value < min) throw new IllegalArgumentException("search." + name + " must be at least " + min);
    return value;
  }

  private static Mcp mcp(JsonObject mcp) {
    List<String> origins = mcp.getJsonArray("allowed_origins").stream().map(String.class::cast).toList();
    return new Mcp(origins, mcp.getString("public_url", ""), mcp.getInteger("session_idle_seconds"),
        mcp.getLong("max_sessions"), mcp.getInteger("tools_page_size"));
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
