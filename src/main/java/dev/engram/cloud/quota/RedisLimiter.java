package dev.engram.cloud.quota;

import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.config.EngramConfig.RateLimits;
import dev.engram.cloud.quota.QuotaMessages.Decision;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Rate limits shared by every node through Redis: one Lua script (GCRA) checks and charges the key and the tenant
 * limit in a single round trip. Checks that arrive together (queued on the event loop in the same turn) go out as
 * one pipelined batch: one write and one read for many requests, which is what keeps Redis cheap under load. Tracks whether Redis answers: after a failure it reports itself down (one log line)
 * and probes with a backoff until Redis answers again (one log line), so that no request waits on a dead Redis
 * for longer than {@code redis.timeout_ms}. Used from the quota verticle's event loop only.
 */
final class RedisLimiter {

  private static final Logger log = LoggerFactory.getLogger(RedisLimiter.class);
  private static final String SCRIPT = readScript();
  private static final String SHA = sha1(SCRIPT);
  private static final long FIRST_PROBE_MS = 100;
  /** Pings are off the request path: they may wait longer than a check, for a first connection on a cold JVM. */
  private static final long PING_TIMEOUT_MS = 5000;

  private final Vertx vertx;
  private final Redis client;
  private final String prefix;
  private final long timeoutMs;
  private final long reconnectMaxMs;
  private final String endpoint;
  /** Read by the metrics scrape on another thread. */
  private volatile boolean up;
  private boolean probing;
  private long backoffMs = FIRST_PROBE_MS;
  private long probeTimer = -1;
  private boolean closed;
  /** Script runs waiting for the end of the current event-loop turn; see {@link #enqueue}. */
  private List<Pending> queue = new ArrayList<>();
  /** The SCRIPT LOAD in flight after a NOSCRIPT, shared by every check that met it. */
  private Future<Response> scriptLoad;

  private record Pending(Request request, Promise<Response> reply) {}

  RedisLimiter(Vertx vertx, EngramConfig.Redis config, MeterRegistry registry) {
    this.vertx = vertx;
    this.prefix = config.keyPrefix();
    this.timeoutMs = config.timeoutMs();
    this.reconnectMaxMs = config.reconnectMaxMs();
    this.endpoint = endpoint(config.url());
    RedisOptions options = new RedisOptions()
        .setConnectionString(config.url())
        .setMaxPoolSize(16)
        .setMaxPoolWaiting(4096)
        .setMaxWaitingHandlers(4096);
    options.getNetClientOptions().setConnectTimeout(config.timeoutMs());
    this.client = Redis.createClient(vertx, options);
    Gauge.builder("engram_ratelimit_redis_up", this, l -> l.up ? 1 : 0)
        .description("1 while rate limits are kept in Redis, 0 while the in-process fallback is used")
        .register(registry);
  }

  /** Pings once so the first requests know where to go; never fails (a dead Redis means local limits). */
  Future<Void> start() {
    return ping().transform(ar -> {
      if (ar.succeeded()) {
        up = true;
        log.info("rate limits are kept in redis at {}", endpoint);
      } else {
        log.warn("redis at {} is unavailable ({}); using in-process rate limits until it answers", endpoint,
            ar.cause().toString());
        scheduleProbe();
      }
      return Future.succeededFuture();
    });
  }

  boolean up() {
    return up;
  }

  Future<Decision> check(String tenantId, String subject, RateLimits limits) {
    // The hash tag keeps a tenant's two keys in one cluster slot, as one script must.
    String tag = prefix + "{" + tenantId + "}:";
    Request evalsha = Request.cmd(Command.EVALSHA).arg(SHA).arg(2).arg(tag + "k:" + subject).arg(tag + "t")
        .arg(intervalMicros(limits.keyPerSecond())).arg(limits.keyBurst())
        .arg(intervalMicros(limits.tenantPerSecond())).arg(limits.tenantBurst());
    return enqueue(evalsha)
        .recover(err -> {
          // A batch reports its replies' errors together ("ERR [i] NOSCRIPT ..."): match anywhere.
          if (err.getMessage() == null || !err.getMessage().contains("NOSCRIPT")) return Future.failedFuture(err);
          // A restarted or flushed Redis forgot the script: load it once, then run it again.
          return loadScript().compose(sha -> send(evalsha));
        })
        .map(RedisLimiter::decision);
  }

  /** Called when a check failed: switches to the fallback (once) and starts probing. */
  void failed(Throwable err) {
    if (!up) return;
    up = false;
    log.warn("redis at {} is unavailable ({}); using in-process rate limits until it answers", endpoint, err.toString());
    backoffMs = FIRST_PROBE_MS;
    scheduleProbe();
  }

  Future<Void> close() {
    closed = true;
    if (probeTimer >= 0) vertx.cancelTimer(probeTimer);
    return client.close();
  }

  private void scheduleProbe() {
    if (probing || closed) return;
    probing = true;
    probeTimer = vertx.setTimer(backoffMs, id -> {
      probeTimer = -1;
      ping().onComplete(ar -> {
        probing = false;
        if (ar.succeeded()) {
          up = true;
          backoffMs = FIRST_PROBE_MS;
          log.info("redis at {} answers again; rate limits are kept in redis", endpoint);
        } else {
          backoffMs = Math.min(backoffMs * 2, reconnectMaxMs);
          scheduleProbe();
        }
      });
    });
  }

  private Future<Void> ping() {
    return client.send(Request.cmd(Command.PING)).timeout(Math.max(timeoutMs, PING_TIMEOUT_MS), TimeUnit.MILLISECONDS)
        .mapEmpty();
  }

  /**
   * Queues the request; the first one of a turn schedules the flush, which runs after the messages already queued
   * on this event loop, so a burst of checks becomes one batch.
   */
  private Future<Response> enqueue(Request request) {
    Promise<Response> reply = Promise.promise();
    if (queue.isEmpty()) vertx.runOnContext(v -> flush());
    queue.add(new Pending(request, reply));
    return reply.future();
  }

  private void flush() {
    List<Pending> batch = queue;
    queue = new ArrayList<>();
    if (batch.size() == 1) {
      send(batch.get(0).request()).onComplete(batch.get(0).reply());
      return;
    }
    // A batch fails whole when a reply is an error (NOSCRIPT after a flush) or it times out; each check then
    // recovers on its own. Redis runs a batch that arrives in one read without interleaving other clients, so after
    // a flush all of its replies are NOSCRIPT and none was charged: the retry charges each once.
    client.batch(batch.stream().map(Pending::request).toList()).timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .onComplete(ar -> {
          for (int i = 0; i < batch.size(); i++) {
            if (ar.succeeded()) batch.get(i).reply().complete(ar.result().get(i));
            else batch.get(i).reply().fail(ar.cause());
          }
        });
  }

  private Future<Response> loadScript() {
    if (scriptLoad == null) {
      Future<Response> load = send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(SCRIPT));
      scriptLoad = load;
      load.onComplete(ar -> {
        if (scriptLoad == load) scriptLoad = null;
      });
    }
    return scriptLoad;
  }

  /** One command on the limiter's connections, within its timeout (also the sign-in backoff's counters). */
  Future<Response> send(Request request) {
    return client.send(request).timeout(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** Commands sent together, each reply in order, within the timeout. */
  Future<List<Response>> batch(List<Request> requests) {
    return client.batch(requests).timeout(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** The prefix of every key this server keeps in Redis ({@code redis.key_prefix}). */
  String prefix() {
    return prefix;
  }

  private static Decision decision(Response r) {
    return new Decision(r.get(0).toLong() == 1, r.get(1).toLong(), r.get(2).toLong(), r.get(3).toLong(),
        r.get(4).toLong(), null);
  }

  /** Whole microseconds between two requests at this rate (at least one). */
  private static long intervalMicros(double perSecond) {
    return Math.max(1, (long) Math.ceil(1_000_000 / perSecond));
  }

  /** host:port only: the URL may carry a password. */
  private static String endpoint(String url) {
    try {
      URI uri = URI.create(url);
      return uri.getHost() + ":" + (uri.getPort() < 0 ? 6379 : uri.getPort());
    } catch (IllegalArgumentException e) {
      return "(unparsable REDIS_URL)";
    }
  }

  private static String readScript() {
    try (InputStream in = RedisLimiter.class.getResourceAsStream("/quota/gcra.lua")) {
      if (in == null) throw new IllegalStateException("quota/gcra.lua is missing from the classpath");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
