package dev.engram.cloud.config;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Loads configuration in one explicit order: bundled {@code conf/engram.json}, then the file named by
 * {@code --config} or {@code ENGRAM_CONFIG}, then the environment ({@code PORT}, {@code HOST}, {@code METRICS_PORT},
 * {@code ENGRAM_DATA_DIR}, {@code ENGRAM_PUBLIC_URL}, {@code DATABASE_URL}, {@code DATABASE_MIGRATION_URL},
 * {@code ENGRAM_OPERATOR_TOKEN}, {@code REDIS_URL}, {@code JWKS_URL}, {@code JWT_ISSUER}, {@code JWT_AUDIENCE}, every
 * {@code OTEL_*} variable),
 * then the flags {@code --port}, {@code --host}, {@code --metrics-port} and {@code --data-dir}. A production
 * deployment must set {@code ENGRAM_PUBLIC_URL}.
 */
public final class ConfigLoader {

  /** Environment variables that mark a production deployment (each selects a production implementation). */
  static final List<String> PRODUCTION_SETTINGS = List.of("DATABASE_URL", "REDIS_URL", "JWKS_URL", "S3_BUCKET",
      "STRIPE_SECRET_KEY");

  private ConfigLoader() {}

  public static JsonObject load(String[] args, Map<String, String> env) {
    JsonObject json = defaults();
    Map<String, String> flags = Flags.parse(args);
    String extra = flags.getOrDefault("config", env.get("ENGRAM_CONFIG"));
    if (extra != null) {
      json = deepMerge(json, readFile(Path.of(extra)));
    }
    if (env.containsKey("PORT")) json.put("port", parsePort(env.get("PORT"), "PORT"));
    if (env.containsKey("HOST")) json.put("host", env.get("HOST"));
    if (env.containsKey("METRICS_PORT")) {
      json.getJsonObject("metrics").put("port", parsePort(env.get("METRICS_PORT"), "METRICS_PORT"));
    }
    JsonObject otel = json.getJsonObject("otel");
    env.forEach((name, value) -> {
      if (name.startsWith("OTEL_")) otel.put(name, value);
    });
    if (env.containsKey("ENGRAM_DATA_DIR")) json.put("data_dir", env.get("ENGRAM_DATA_DIR"));
    applyDatabaseEnv(json, env);
    applyStripeEnv(json, env);
    applyOperatorEnv(json, env);
    if (env.containsKey("ENGRAM_PUBLIC_URL")) json.getJsonObject("mcp").put("public_url", env.get("ENGRAM_PUBLIC_URL"));
    if (env.containsKey("REDIS_URL")) json.getJsonObject("redis").put("url", env.get("REDIS_URL"));
    external(json, env);
    backupEnv(json, env);
    if (flags.containsKey("port")) json.put("port", parsePort(flags.get("port"), "--port"));
    if (flags.containsKey("host")) json.put("host", flags.get("host"));
    if (flags.containsKey("metrics-port")) {
      json.getJsonObject("metrics").put("port", parsePort(flags.get("metrics-port"), "--metrics-port"));
    }
    if (flags.containsKey("data-dir")) json.put("data_dir", flags.get("data-dir"));
    requirePublicUrlInProduction(json, env);
    return json;
  }

  /**
   * A production deployment (any of {@link #PRODUCTION_SETTINGS} set, or Redis or an external issuer configured in
   * a file) must name its public URL: the OAuth resource metadata and the 401 challenge publish it, and taking it
   * from a request's Host header would let any client choose the authorization server a victim is sent to.
   */
  private static void requirePublicUrlInProduction(JsonObject json, Map<String, String> env) {
    List<String> present = new ArrayList<>(PRODUCTION_SETTINGS.stream()
        .filter(name -> env.get(name) != null && !env.get(name).isBlank()).toList());
    if (!present.contains("REDIS_URL") && !json.getJsonObject("redis").getString("url", "").isBlank()) {
      present.add("redis.url");
    }
    String jwks = json.getJsonObject("auth").getJsonObject("external", new JsonObject()).getString("jwks_url");
    if (!present.contains("JWKS_URL") && jwks != null && !jwks.isBlank()) present.add("auth.external.jwks_url");
    if (!present.isEmpty() && json.getJsonObject("mcp").getString("public_url", "").isBlank()) {
      throw new IllegalArgumentException("ENGRAM_PUBLIC_URL (or mcp.public_url) must be set in production ("
          + String.join(", ", present) + " set): it is the URL the OAuth resource metadata and the 401 challenge "
          + "publish, which must never be taken from a request's Host header");
    }
  }

  /** DATABASE_URL selects the PostgreSQL control plane; it and DATABASE_MIGRATION_URL hold passwords, so env only. */
  private static void applyDatabaseEnv(JsonObject json, Map<String, String> env) {
    JsonObject db = json.getJsonObject("database");
    if (db.containsKey("url") || db.containsKey("migration_url")) {
      throw new IllegalArgumentException("database URLs hold passwords: set DATABASE_URL and DATABASE_MIGRATION_URL"
          + " in the environment, not in a config file");
    }
    String url = env.get("DATABASE_URL");
    if (url != null && !url.isBlank()) {
      db.put("url", url.trim());
      String migrationUrl = env.get("DATABASE_MIGRATION_URL");
      if (migrationUrl != null && !migrationUrl.isBlank()) db.put("migration_url", migrationUrl.trim());
    }
  }

  /** {@code S3_BUCKET}, {@code S3_ENDPOINT}, {@code S3_REGION}, {@code S3_PREFIX}: backups to S3 (backup.s3_*). */
  private static void backupEnv(JsonObject json, Map<String, String> env) {
    JsonObject backup = json.getJsonObject("backup");
    Map.of("S3_BUCKET", "s3_bucket", "S3_ENDPOINT", "s3_endpoint", "S3_REGION", "s3_region", "S3_PREFIX", "s3_prefix")
        .forEach((variable, key) -> {
          if (env.containsKey(variable)) backup.put(key, env.get(variable));
        });
  }

  /** {@code STRIPE_SECRET_KEY} and {@code STRIPE_WEBHOOK_SECRET} turn billing on; secrets, so env only. */
  private static void applyStripeEnv(JsonObject json, Map<String, String> env) {
    JsonObject billing = json.getJsonObject("billing");
    if (billing.containsKey("stripe")) {
      throw new IllegalArgumentException("Stripe secrets: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET in the"
          + " environment, not in a config file");
    }
    JsonObject stripe = new JsonObject();
    if (env.get("STRIPE_SECRET_KEY") != null) stripe.put("secret_key", env.get("STRIPE_SECRET_KEY"));
    if (env.get("STRIPE_WEBHOOK_SECRET") != null) stripe.put("webhook_secret", env.get("STRIPE_WEBHOOK_SECRET"));
    if (!stripe.isEmpty()) billing.put("stripe", stripe);
  }

  /** ENGRAM_OPERATOR_TOKEN turns the operator's API on; it is a secret, so env only. */
  private static void applyOperatorEnv(JsonObject json, Map<String, String> env) {
    JsonObject operator = json.getJsonObject("operator");
    if (operator.containsKey("token")) {
      throw new IllegalArgumentException("the operator token is a secret: set ENGRAM_OPERATOR_TOKEN in the environment,"
          + " not in a config file");
    }
    String token = env.get("ENGRAM_OPERATOR_TOKEN");
    if (token != null && !token.isBlank()) operator.put("token", token.trim());
  }

  /** {@code JWKS_URL}, {@code JWT_ISSUER}, {@code JWT_AUDIENCE}: the external token issuer (auth.external). */
  private static void external(JsonObject json, Map<String, String> env) {
    Map<String, String> names = Map.of("JWKS_URL", "jwks_url", "JWT_ISSUER", "issuer", "JWT_AUDIENCE", "audience");
    names.forEach((variable, key) -> {
      if (env.containsKey(variable)) {
        JsonObject auth = json.getJsonObject("auth");
        JsonObject external = auth.getJsonObject("external", new JsonObject());
        auth.put("external", external.put(key, env.get(variable)));
      }
    });
  }

  public static JsonObject defaults() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream("/conf/engram.json")) {
      if (in == null) throw new IllegalStateException("conf/engram.json is missing from the classpath");
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns a copy of {@code base} with {@code override} merged in, objects merged key by key. */
  public static JsonObject deepMerge(JsonObject base, JsonObject override) {
    JsonObject out = base.copy();
    override.forEach(e -> {
      Object current = out.getValue(e.getKey());
      if (current instanceof JsonObject c && e.getValue() instanceof JsonObject o) {
        out.put(e.getKey(), deepMerge(c, o));
      } else {
        out.put(e.getKey(), e.getValue());
      }
    });
    return out;
  }

  private static JsonObject readFile(Path path) {
    try {
      return new JsonObject(Files.readString(path));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read config file " + path + ": " + e.getMessage(), e);
    }
  }

  private static int parsePort(String value, String source) {
    try {
      int port = Integer.parseInt(value.trim());
      if (port < 0 || port > 65535) throw new NumberFormatException();
      return port;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(source + " must be a port number, got '" + value + "'");
    }
  }
}
