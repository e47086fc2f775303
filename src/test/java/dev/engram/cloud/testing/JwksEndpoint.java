package dev.engram.cloud.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A JWKS endpoint that a test turns hostile: it serves a key set, or an endless body, or a body that declares
 * hundreds of megabytes, or one byte per second. It counts what a server under test cannot hide: the connections
 * open to it right now, the requests it got and the bytes it managed to send. Runs on its own Vert.x instance,
 * loopback only.
 */
public final class JwksEndpoint implements AutoCloseable {

  public enum Mode {
    /** The key set given to {@link #serve}. */
    KEYS,
    /** A chunked body without a length that goes on for {@link #HOSTILE_BYTES}. */
    ENDLESS,
    /** {@code Content-Length: 300000000}, then as much as the client reads (up to {@link #HOSTILE_BYTES}). */
    DECLARED_HUGE,
    /** A short declared length, sent one byte per second. */
    TRICKLE
  }

  /** Where a hostile body stops even if nobody cuts it, so a test that fails does not exhaust the test JVM. */
  public static final long HOSTILE_BYTES = 64L << 20;
  private static final Buffer CHUNK;

  static {
    byte[] spaces = new byte[64 * 1024];
    Arrays.fill(spaces, (byte) ' ');
    CHUNK = Buffer.buffer(spaces);
  }

  private final Vertx vertx = Vertx.vertx();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicLong bytesSent = new AtomicLong();
  private volatile Mode mode = Mode.KEYS;
  private volatile JsonObject jwks = new JsonObject().put("keys", new JsonArray());
  private HttpServer server;

  private JwksEndpoint() {}

  public static JwksEndpoint start() {
    JwksEndpoint endpoint = new JwksEndpoint();
    try {
      endpoint.server = endpoint.vertx.createHttpServer()
          .connectionHandler(conn -> {
            endpoint.open.incrementAndGet();
            conn.closeHandler(v -> endpoint.open.decrementAndGet());
          })
          .requestHandler(req -> endpoint.answer(req.response()))
          .listen(0, "127.0.0.1")
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      endpoint.vertx.close();
      throw new IllegalStateException("JWKS endpoint did not start", e);
    }
    return endpoint;
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/jwks.json";
  }

  /** From now on, answers with this key set. */
  public void serve(JsonObject keySet) {
    jwks = keySet;
    mode = Mode.KEYS;
  }

  public void mode(Mode mode) {
    this.mode = mode;
  }

  /** Connections to this endpoint that are open right now. */
  public int openConnections() {
    return open.get();
  }

  public int requests() {
    return requests.get();
  }

  /** Body bytes handed to the connections so far (a few socket buffers more than the client read). */
  public long bytesSent() {
    return bytesSent.get();
  }

  private void answer(HttpServerResponse resp) {
    requests.incrementAndGet();
    resp.putHeader("Content-Type", "application/json");
    switch (mode) {
      case KEYS -> {
        Buffer body = jwks.toBuffer();
        bytesSent.addAndGet(body.length());
        resp.end(body);
      }
      case ENDLESS -> {
        resp.setChunked(true);
        pump(resp, HOSTILE_BYTES, false);
      }
      case DECLARED_HUGE -> {
        resp.putHeader("Content-Length", "300000000");
        pump(resp, HOSTILE_BYTES, true);
      }
      case TRICKLE -> {
        resp.putHeader("Content-Length", "600");
        long timer = vertx.setPeriodic(0, 1000, id -> {
          if (resp.closed() || resp.ended()) {
            vertx.cancelTimer(id);
            return;
          }
          bytesSent.incrementAndGet();
          resp.write(" ");
        });
        resp.closeHandler(v -> vertx.cancelTimer(timer));
      }
    }
  }

  /** Writes as fast as the client reads, until {@code remaining} is sent or the connection is gone. */
  private void pump(HttpServerResponse resp, long remaining, boolean declaredMore) {
    while (remaining > 0 && !resp.closed() && !resp.writeQueueFull()) {
      resp.write(CHUNK);
      bytesSent.addAndGet(CHUNK.length());
      remaining -= CHUNK.length();
    }
    if (resp.closed()) return;
    if (remaining <= 0) {
      // The declared length was a lie: end the connection as a real server would have to.
      if (declaredMore) resp.reset();
      else resp.end();
      return;
    }
    long left = remaining;
    resp.drainHandler(v -> pump(resp, left, declaredMore));
  }

  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
