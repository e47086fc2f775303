package dev.engram.cloud.config;

import dev.engram.cloud.search.HybridRanker;
import dev.engram.cloud.search.Strategy;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;

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
    Search search) {

  public record Http(int instances, long bodyLimitBytes) {}

  public record Auth(String issuer, String audience, int tokenTtlSeconds, int passwordIterations, int keyCacheSeconds) {}

  public record RateLimits(double keyPerSecond, double keyBurst, double tenantPerSecond, double tenantBurst) {}

  public record Engines(int maxActive, int idleSeconds, int workerPoolSize, int readersPerTenant, int groupCommitMax) {}

  public record Metering(int flushSeconds) {}

  public record Memories(int maxContentChars, int maxTags, int maxTagChars, int maxMetadataBytes,
                         int listMaxLimit, int searchMaxLimit) {}

  /**
   * Search tuning. {@code defaultStrategy} applies when a request names none ({@code keyword} keeps the original
   * API's behaviour). Hybrid ranking: reciprocal rank fusion with constant {@code rrfK} and the two list weights,
   * then small rerank weights (see search/HybridRanker). {@code candidates}: how many results each list feeds the
   * fusion. {@code vectorCacheMb}: heap budget for all tenants' in-memory vector matrices and vocabularies together;
   * the least recently used are dropped beyond it (and reloaded from SQLite when next needed).
   */
  public record Search(Strategy defaultStrategy, int rrfK, double keywordWeight, double semanticWeight,
                       double recencyWeight, double recencyHalfLifeDays, double importanceWeight, double phraseWeight,
                       int candidates, double semanticMinSimilarity, int vectorCacheMb) {
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
    JsonObject search = json.getJsonObject("search");
    String strategy = search.getString("default_strategy");
    int instances = http.getInteger("instances");
    return new EngramConfig(
        json.getInteger("port"),
        Path.of(json.getString("data_dir")).toAbsolutePath().normalize(),
        new Http(instances > 0 ? instances : Runtime.getRuntime().availableProcessors(),
            http.getLong("body_limit_bytes")),
        new Auth(auth.getString("issuer"), auth.getString("audience"), auth.getInteger("token_ttl_seconds"),
            auth.getInteger("password_iterations"), auth.getInteger("key_cache_seconds")),
        new RateLimits(rate.getDouble("key_per_second"), rate.getDouble("key_burst"),
            rate.getDouble("tenant_per_second"), rate.getDouble("tenant_burst")),
        new Engines(engines.getInteger("max_active"), engines.getInteger("idle_seconds"),
            engines.getInteger("worker_pool_size"), engines.getInteger("readers_per_tenant"),
            engines.getInteger("group_commit_max")),
        new Metering(metering.getInteger("flush_seconds")),
        new Memories(mem.getInteger("max_content_chars"), mem.getInteger("max_tags"), mem.getInteger("max_tag_chars"),
            mem.getInteger("max_metadata_bytes"), mem.getInteger("list_max_limit"), mem.getInteger("search_max_limit")),
        new Search(Strategy.parse(strategy).orElseThrow(() ->
                new IllegalArgumentException("search.default_strategy must be keyword, semantic, hybrid or auto")),
            search.getInteger("rrf_k"), search.getDouble("keyword_weight"), search.getDouble("semantic_weight"),
            search.getDouble("recency_weight"), search.getDouble("recency_half_life_days"),
            search.getDouble("importance_weight"), search.getDouble("phrase_weight"), search.getInteger("candidates"),
            search.getDouble("semantic_min_similarity"), search.getInteger("vector_cache_mb")));
  }
}
