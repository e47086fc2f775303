package dev.engram.cloud.testing;

import redis.embedded.RedisServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One real Redis per test JVM: the redis-server that {@code embedded-redis} bundles, started on a free port, or the
 * server named by {@code ENGRAM_TEST_REDIS_URL}. {@link #stop()} and {@link #start()} take it away and bring it back
 * on the same address, for outage tests: the embedded server is really stopped; an external one (which the tests
 * cannot stop) is reached through a small TCP relay that is closed instead.
 */
public final class TestRedis {

  private static TestRedis instance;

  private final RedisServer server;
  private final Relay relay;
  private final String url;

  private TestRedis(RedisServer server, Relay relay, String url) {
    this.server = server;
    this.relay = relay;
    this.url = url;
  }

  /** The JVM's Redis, started on first use and stopped when the JVM exits. */
  public static synchronized TestRedis get() {
    if (instance == null) {
      try {
        instance = create();
      } catch (IOException e) {
        throw new IllegalStateException("test redis did not start", e);
      }
    }
    return instance;
  }

  private static TestRedis create() throws IOException {
    String external = System.getenv("ENGRAM_TEST_REDIS_URL");
    if (external != null && !external.isBlank()) {
      URI target = URI.create(external.trim());
      Relay relay = new Relay(TestServer.freePort(), target.getHost(), target.getPort() < 0 ? 6379 : target.getPort());
      relay.start();
      String userInfo = target.getRawUserInfo() == null ? "" : target.getRawUserInfo() + "@";
      String path = target.getRawPath() == null ? "" : target.getRawPath();
      return new TestRedis(null, relay, target.getScheme() + "://" + userInfo + "127.0.0.1:" + relay.port + path);
    }
    int port = TestServer.freePort();
    RedisServer server = RedisServer.newRedisServer()
        .port(port)
        .bind("127.0.0.1")
        .setting("save \"\"")
        .setting("appendonly no")
        .build();
    server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.stop();
      } catch (IOException ignored) {
        // the JVM is exiting
      }
    }));
    return new TestRedis(server, null, "redis://127.0.0.1:" + port);
  }

  /** The URL to give the server as {@code REDIS_URL} ({@code redis.url}). */
  public String url() {
    return url;
  }

  /** Redis goes away: connections drop and new ones are refused. */
  public synchronized void stop() {
    try {
      if (server != null) server.stop();
      else relay.stop();
    } catch (IOException e) {
      throw new IllegalStateException("test redis did not stop", e);
    }
  }

  /** Redis is back on the same address (the embedded one empty: scripts and keys are gone, as after a restart). */
  public synchronized void start() {
    try {
      if (server != null) server.start();
      else relay.start();
    } catch (IOException e) {
      throw new IllegalStateException("test redis did not start", e);
    }
  }

  /** Forwards a local port to a Redis the tests cannot stop; closing it looks like the server going away. */
  private static final class Relay {
    final int port;
    final String host;
    final int targetPort;
    final List<Socket> open = new CopyOnWriteArrayList<>();
    ServerSocket listener;

    Relay(int port, String host, int targetPort) {
      this.port = port;
      this.host = host;
      this.targetPort = targetPort;
    }

    synchronized void start() throws IOException {
      if (listener != null) return;
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      listener = s;
      Thread accept = new Thread(() -> {
        while (!s.isClosed()) {
          try {
            Socket client = s.accept();
            Socket upstream = new Socket(host, targetPort);
            open.add(client);
            open.add(upstream);
            pump(client, upstream);
            pump(upstream, client);
          } catch (IOException e) {
            // listener closed, or upstream refused: the client sees its connection drop
          }
        }
      }, "test-redis-relay");
      accept.setDaemon(true);
      accept.start();
    }

    synchronized void stop() throws IOException {
      if (listener == null) return;
      listener.close();
      listener = null;
      for (Socket s : open) s.close();
      open.clear();
    }

    private void pump(Socket from, Socket to) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[8192];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
          int n;
          while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
            out.flush();
          }
        } catch (IOException ignored) {
          // either side closed
        } finally {
          try {
            from.close();
            to.close();
          } catch (IOException ignored) {
            // already closed
          }
        }
      }, "test-redis-relay-pump");
      t.setDaemon(true);
      t.start();
    }
  }
}
