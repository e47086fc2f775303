package dev.engram.cloud.config;

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
    Memories memories) {

  /** {@code importBodyLimitBytes} bounds {@code POST /v1/import} alone (JSON body or multipart upload). */
  public record Http(int instances, long bodyLimitBytes, long importBodyLimitBytes) {}

  public record Auth(String issuer, String audience, int tokenTtlSeconds, int passwordIterations, int keyCacheSeconds) {}

  public record RateLimits(double keyPerSecond, double keyBurst, double tenantPerSecond, double tenantBurst) {}

  public record Engines(int maxActive, int idleSeconds, int workerPoolSize, int readersPerTenant, int groupCommitMax) {}

  public record Metering(int flushSeconds) {}

  public record Memories(int maxContentChars, int maxTags, int maxTagChars, int maxMetadataBytes,
                         int listMaxLimit, int searchMaxLimit) {}

  /** Reads the merged JSON tree; every key must be present (the bundled defaults file has them all). */
  public static EngramConfig fromJson(JsonObject json) {
    JsonObject http = json.getJsonObject("http");
    JsonObject auth = json.getJsonObject("auth");
    JsonObject rate = json.getJsonObject("rate_limits");
    JsonObject engines = json.getJsonObject("engines");
    JsonObject metering = json.getJsonObject("metering");
    JsonObject mem = json.getJsonObject("memories");
    int instances = http.getInteger("instances");
    return new EngramConfig(
        json.getInteger("port"),
        Path.of(json.getString("data_dir")).toAbsolutePath().normalize(),
        new Http(instances > 0 ? instances : Runtime.getRuntime().availableProcessors(),
            http.getLong("body_limit_bytes"), http.getLong("import_body_limit_bytes")),
        new Auth(auth.getString("issuer"), auth.getString("audience"), auth.getInteger("token_ttl_seconds"),
            auth.getInteger("password_iterations"), auth.getInteger("key_cache_seconds")),
        new RateLimits(rate.getDouble("key_per_second"), rate.getDouble("key_burst"),
            rate.getDouble("tenant_per_second"), rate.getDouble("tenant_burst")),
        new Engines(engines.getInteger("max_active"), engines.getInteger("idle_seconds"),
            engines.getInteger("worker_pool_size"), engines.getInteger("readers_per_tenant"),
            engines.getInteger("group_commit_max")),
        new Metering(metering.getInteger("flush_seconds")),
        new Memories(mem.getInteger("max_content_chars"), mem.getInteger("max_tags"), mem.getInteger("max_tag_chars"),
            mem.getInteger("max_metadata_bytes"), mem.getInteger("list_max_limit"), mem.getInteger("search_max_limit")));
  }
}
