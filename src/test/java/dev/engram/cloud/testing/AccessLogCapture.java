package dev.engram.cloud.testing;

import io.vertx.core.json.JsonObject;

/**
 * Captures the access log ({@code engram.access}) as the JSON lines an operator reads, so a test can check what
 * was logged for one request id.
 */
public final class AccessLogCapture implements AutoCloseable {

  private final LogCapture lines = LogCapture.of("engram.access");

  private AccessLogCapture() {
  }

  public static AccessLogCapture start() {
    return new AccessLogCapture();
  }

  /** The access-log line of one request (logged once its response has gone out), waiting for it a little. */
  public JsonObject line(String requestId) {
    return lines.await("the access-log line of " + requestId, l -> requestId.equals(l.getString("request_id")));
  }

  @Override
  public void close() {
    lines.close();
  }
}
