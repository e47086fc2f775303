package dev.engram.cloud.testing;

import dev.engram.cloud.EngramServer;
import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.config.EngramConfig;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A real server in this JVM, on a free port, with its own temporary data directory. */
public final class TestServer implements AutoCloseable {

  private final EngramServer server;
  private final EngramConfig config;
  private final Api api;

  private TestServer(EngramServer server, EngramConfig config) {
    this.server = server;
    this.config = config;
    this.api = new Api(config.port());
  }

  public static TestServer start() {
    return start(new JsonObject());
  }

  /**
   * Starts with the bundled defaults, a cheaper password hash, public-route throttles that no test reaches by
   * accident (see {@link #withoutThrottles()}), and {@code overrides} merged on top; in a new temporary data
   * directory unless {@code overrides} name one.
   */
  public static TestServer start(JsonObject overrides) {
    return start(overrides, System.getenv());
  }

  /** As {@link #start(JsonObject)}, reading secrets (such as {@code ENGRAM_BACKUP_KEY}) from {@code env}. */
  public static TestServer start(JsonObject overrides, java.util.Map<String, String> env) {
    try {
      Path dataDir = overrides.containsKey("data_dir") ? Path.of(overrides.getString("data_dir"))
          : Files.createTempDirectory("engram-test-");
      JsonObject json = ConfigLoader.deepMerge(ConfigLoader.defaults(), new JsonObject()
          .put("port", freePort())
          .put("data_dir", dataDir.toString())
          .put("http", new JsonObject().put("instances", 2))
          .put("auth", new JsonObject().put("password_iterations", 1000)
              .put("throttle", withoutThrottles().getJsonObject("auth").getJsonObject("throttle"))));
      EngramConfig config = EngramConfig.fromJson(ConfigLoader.deepMerge(json, overrides));
      EngramServer server = EngramServer.start(config, env).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      return new TestServer(server, config);
    } catch (Exception e) {
      throw new IllegalStateException("test server did not start", e);
    }
  }

  /** Config overrides that lift the rate limits, for tests that send many requests with one key. */
  public static JsonObject withoutRateLimits() {
    return new JsonObject().put("rate_limits", new JsonObject()
        .put("key_per_second", 1e6).put("key_burst", 1e6).put("tenant_per_second", 1e6).put("tenant_burst", 1e6));
  }

  /**
   * Config overrides that lift the sign-in and sign-up throttles (per address, per account, backoff): most tests sign
   * up many tenants from 127.0.0.1. Tests of the throttles set their own numbers, or {@link #shippedThrottles()}.
   */
  public static JsonObject withoutThrottles() {
    JsonObject unlimited = new JsonObject().put("burst", 1e9).put("refill_seconds", 1e-6);
    return new JsonObject().put("auth", new JsonObject().put("throttle", new JsonObject()
        .put("sign_in_per_address", unlimited).put("sign_in_per_account", unlimited)
        .put("sign_up_per_address", unlimited).put("sign_up_per_account", unlimited)
        .put("backoff", new JsonObject().put("free_failures", 1_000_000))));
  }

  /** Config overrides that put back the throttles of {@code conf/engram.json}, as a real server has them. */
  public static JsonObject shippedThrottles() {
    return new JsonObject().put("auth", new JsonObject()
        .put("throttle", ConfigLoader.defaults().getJsonObject("auth").getJsonObject("throttle")));
  }

  /** Config overrides that keep the control plane in a fresh PostgreSQL database (see {@link TestPostgres}). */
  public static JsonObject withPostgres() {
    return withPostgres(TestPostgres.newDatabase());
  }

  /** Config overrides for the control plane in {@code db}: servers given the same one share their control plane. */
  public static JsonObject withPostgres(TestPostgres.Database db) {
    return new JsonObject().put("database", new JsonObject().put("url", db.appUrl()).put("migration_url", db.ownerUrl()));
  }

  /**
   * Config overrides that keep rate limits in the given Redis ({@code REDIS_URL}), under a key prefix of their own
   * so that servers started with different overrides do not share limits (servers given the same object do).
   */
  public static JsonObject withRedis(String url) {
    return new JsonObject().put("redis", new JsonObject().put("url", url).put("reconnect_max_ms", 200).put("timeout_ms", 1000)
        .put("key_prefix", "test:" + java.util.UUID.randomUUID() + ":"));
  }

  /** Puts a tenant on a configured plan, as an operator would; this server uses it from the next request on. */
  public void setTenantPlan(String tenantId, String plan) {
    try {
      server.setTenantPlan(tenantId, plan).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot set the plan of " + tenantId, e);
    }
  }

  /** The value of one Prometheus sample line on {@code /metrics} (e.g. {@code engram_ratelimit_redis_up}), or NaN. */
  public double metric(String name) {
    for (String line : api.get("/metrics", null).body().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Double.NaN;
  }

  /**
   * The value of the sample of {@code name} whose labels include {@code labels} (given as {@code key=value}), or NaN;
   * e.g. {@code metric("engram_refusals_total", "status=429", "cap=rate_limit")}.
   */
  public double metric(String name, String... labels) {
    for (String line : api.get("/metrics", null).body().split("\n")) {
      if (!line.startsWith(name + "{")) continue;
      String set = line.substring(name.length(), line.lastIndexOf('}') + 1);
      if (java.util.Arrays.stream(labels).allMatch(l -> set.contains(l.replaceFirst("=", "=\"") + "\""))) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Double.NaN;
  }

  public Api api() {
    return api;
  }

  public EngramConfig config() {
    return config;
  }

  public Path dataDir() {
    return config.dataDir();
  }

  /** Stops the server gracefully (pending work flushed) and keeps the data directory. */
  public void stop() {
    try {
      server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("test server did not stop", e);
    }
  }

  @Override
  public void close() {
    stop();
    deleteRecursively(config.dataDir());
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  public static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
