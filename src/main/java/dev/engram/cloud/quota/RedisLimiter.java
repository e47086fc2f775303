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
import io.vertx.redis.client.ResponseType;
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
 * one pipelined batch: one write and one read for many requests, which is what keeps Redis cheap under load.
 *
 * <p>Tracks whether Redis runs the script, not merely whether it answers: a Redis that answers PING but refuses the
 * script (out of memory, read-only replica, …) is as useless for limits as one that is gone. After a failed check it
 * reports itself down and probes, with a backoff, by running the script on a key of its own, until that succeeds.
 * Lost connections and timeouts are told apart from error replies in the log line; an error about one key
 * ({@code WRONGTYPE}) sends only that request to the fallback. The backoff is kept across a flap (up for less than a
 * minute), and transitions are logged one line each, but at most {@value #LINES_PER_WINDOW} lines a minute: more
 * flaps are summed up in one line at the end of the minute. No request waits on Redis for longer than
 * {@code redis.timeout_ms}. Used from the quota verticle's event loop only.
 */
final class RedisLimiter {

  private static final Logger log = LoggerFactory.getLogger(RedisLimiter.class);
  private static final String SCRIPT = readScript();
  private static final String SHA = sha1(SCRIPT);
  private static final long FIRST_PROBE_MS = 100;
  /** Probes are off the request path: they may wait longer than a check, for a first connection on a cold JVM. */
  private static final long PROBE_TIMEOUT_MS = 5000;
  /** Probes run the real script on a tenant of their own (tenant ids are {@code tn_…}), never limited. */
  private static final String PROBE_TENANT = "engram-probe";
  private static final RateLimits PROBE_LIMITS = new RateLimits(1e6, 1e6, 1e6, 1e6);
  /** Up for less than this, and a new failure is a flap: the backoff goes on growing instead of starting over. */
  private static final long STABLE_NANOS = TimeUnit.SECONDS.toNanos(60);
  private static final long LOG_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(60);
  private static final int LINES_PER_WINDOW = 2;

  /** What a failed call says about Redis. */
  enum Failure {
    /** No answer: connection refused or lost, or no reply within the timeout. */
    UNREACHABLE,
    /** Redis answered with an error that concerns the whole server (OOM, READONLY, MISCONF, LOADING, BUSY, …). */
    REFUSING,
    /** Redis answered with an error about one key (WRONGTYPE): the other keys are fine. */
    KEY
  }

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
  private long upSince;
  private boolean closed;
  private long windowStart = System.nanoTime() - LOG_WINDOW_NANOS;
  private int linesInWindow;
  private int unloggedTransitions;
  private long summaryTimer = -1;
  private long lastKeyErrorLog = System.nanoTime() - LOG_WINDOW_NANOS;
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

  /** Runs the script once so the first requests know where to go; never fails (a dead Redis means local limits). */
  Future<Void> start() {
    return probe().transform(ar -> {
      if (ar.succeeded()) {
        up = true;
        upSince = System.nanoTime();
        log.info("rate limits are kept in redis at {}", endpoint);
      } else {
        report(downLine(classify(ar.cause()), ar.cause()));
        scheduleProbe();
      }
      return Future.succeededFuture();
    });
  }

  boolean up() {
    return up;
  }

  Future<Decision> check(String tenantId, String subject, RateLimits limits) {
    Request evalsha = script(tenantId, subject, limits);
    return enqueue(evalsha)
        .recover(err -> noScript(err) ? loadScript().compose(sha -> send(evalsha, timeoutMs)) : Future.failedFuture(err))
        .map(RedisLimiter::decision);
  }

  private Request script(String tenantId, String subject, RateLimits limits) {
    // The hash tag keeps a tenant's two keys in one cluster slot, as one script must.
    String tag = prefix + "{" + tenantId + "}:";
    return Request.cmd(Command.EVALSHA).arg(SHA).arg(2).arg(tag + "k:" + subject).arg(tag + "t")
        .arg(intervalMicros(limits.keyPerSecond())).arg(limits.keyBurst())
        .arg(intervalMicros(limits.tenantPerSecond())).arg(limits.tenantBurst());
  }

  /** A restarted or flushed Redis forgot the script: load it once, then run it again. */
  private static boolean noScript(Throwable err) {
    // A batch reports its replies' errors together ("ERR [i] NOSCRIPT ..."): match anywhere.
    return err.getMessage() != null && err.getMessage().contains("NOSCRIPT");
  }

  /**
   * Called when a check failed (the request was then limited in process): unless the error concerned one key only,
   * switches to the fallback (once) and starts probing.
   */
  void failed(Throwable err) {
    Failure kind = classify(err);
    if (kind == Failure.KEY) {
      long now = System.nanoTime();
      if (now - lastKeyErrorLog >= LOG_WINDOW_NANOS) {
        lastKeyErrorLog = now;
        log.warn("redis at {} refused the rate-limit script for a key ({}); such requests are limited in process",
            endpoint, err.getMessage());
      }
      return;
    }
    if (!up) return;
    up = false;
    // A failure soon after recovering is a flap: keep backing off rather than hammer a Redis that comes and goes.
    backoffMs = System.nanoTime() - upSince >= STABLE_NANOS ? FIRST_PROBE_MS : Math.min(backoffMs * 2, reconnectMaxMs);
    report(downLine(kind, err));
    scheduleProbe();
  }

  static Failure classify(Throwable err) {
    // Error replies reach us as a Response of type ERROR; so does the client's own CONNECTION_CLOSED.
    if (!(err instanceof Response reply) || reply.type() != ResponseType.ERROR) return Failure.UNREACHABLE;
    String message = String.valueOf(err.getMessage());
    if (message.contains("CONNECTION_CLOSED")) return Failure.UNREACHABLE;
    // Redis 6 wraps an error inside a script ("ERR Error running script ... WRONGTYPE ..."): match anywhere.
    if (message.contains("WRONGTYPE")) return Failure.KEY;
    return Failure.REFUSING;
  }

  private String downLine(Failure kind, Throwable err) {
    return kind == Failure.UNREACHABLE
        ? "redis at " + endpoint + " is unavailable (" + err + "); using in-process rate limits until it answers"
        : "redis at " + endpoint + " answers but refuses the rate-limit script (" + err.getMessage()
            + "); using in-process rate limits until it runs it";
  }

  Future<Void> close() {
    closed = true;
    if (probeTimer >= 0) vertx.cancelTimer(probeTimer);
    if (summaryTimer >= 0) vertx.cancelTimer(summaryTimer);
    return client.close();
  }

  private void scheduleProbe() {
    if (probing || closed) return;
    probing = true;
    probeTimer = vertx.setTimer(backoffMs, id -> {
      probeTimer = -1;
      probe().onComplete(ar -> {
        probing = false;
        if (ar.succeeded()) {
          up = true;
          upSince = System.nanoTime();
          report("redis at " + endpoint + " answers again; rate limits are kept in redis");
        } else {
          backoffMs = Math.min(backoffMs * 2, reconnectMaxMs);
          scheduleProbe();
        }
      });
    });
  }

  /** Succeeds only when Redis runs the script (and so can keep limits), on the probe's own keys. */
  private Future<Void> probe() {
    long timeout = Math.max(timeoutMs, PROBE_TIMEOUT_MS);
    Request evalsha = script(PROBE_TENANT, "probe", PROBE_LIMITS);
    return send(evalsha, timeout)
        .recover(err -> noScript(err) ? loadScript().compose(sha -> send(evalsha, timeout)) : Future.failedFuture(err))
        .mapEmpty();
  }

  /**
   * Logs a transition, at most {@value #LINES_PER_WINDOW} lines a minute: an outage and its recovery show at once,
   * a flapping Redis gets one summary line at the end of the minute, with the state it is in by then.
   */
  private void report(String line) {
    long now = System.nanoTime();
    if (now - windowStart >= LOG_WINDOW_NANOS) {
      windowStart = now;
      linesInWindow = 0;
    }
    if (linesInWindow < LINES_PER_WINDOW) {
      linesInWindow++;
      if (up) log.info(line);
      else log.warn(line);
      return;
    }
    unloggedTransitions++;
    if (summaryTimer < 0 && !closed) {
      long delayMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(windowStart + LOG_WINDOW_NANOS - now));
      summaryTimer = vertx.setTimer(delayMs, id -> {
        summaryTimer = -1;
        windowStart = System.nanoTime();
        linesInWindow = 1;
        log.warn("redis at {} went down or came back {} more times in the last minute; it is now {}", endpoint,
            unloggedTransitions, up ? "used for rate limits" : "not used (in-process rate limits)");
        unloggedTransitions = 0;
      });
    }
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
      send(batch.get(0).request(), timeoutMs).onComplete(batch.get(0).reply());
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
      Future<Response> load = send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(SCRIPT), timeoutMs);
      scriptLoad = load;
      load.onComplete(ar -> {
        if (scriptLoad == load) scriptLoad = null;
      });
    }
    return scriptLoad;
  }

  /** One command on the limiter's connections, within its timeout (also the sign-in backoff's counters). */
  Future<Response> send(Request request) {
    return send(request, timeoutMs);
  }

  private Future<Response> send(Request request, long timeout) {
    return client.send(request).timeout(timeout, TimeUnit.MILLISECONDS);
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
