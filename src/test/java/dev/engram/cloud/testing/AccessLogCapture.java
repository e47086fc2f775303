package dev.engram.cloud.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.vertx.core.json.JsonObject;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Captures the access log ({@code engram.access}) as the JSON lines an operator reads, rendered by the same
 * encoder as production, so a test can check what was logged for one request id.
 */
public final class AccessLogCapture implements AutoCloseable {

  private final Logger logger = (Logger) LoggerFactory.getLogger("engram.access");
  private final LogstashEncoder encoder = new LogstashEncoder();
  private final List<JsonObject> lines = new ArrayList<>();
  private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      JsonObject line = new JsonObject(new String(encoder.encode(event), StandardCharsets.UTF_8));
      synchronized (lines) {
        lines.add(line);
      }
    }
  };

  private AccessLogCapture() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    encoder.setContext(context);
    encoder.start();
    appender.setContext(context);
    appender.start();
    logger.addAppender(appender);
  }

  public static AccessLogCapture start() {
    return new AccessLogCapture();
  }

  /** The access-log line of one request (logged once its response has gone out), waiting for it a little. */
  public JsonObject line(String requestId) {
    Eventually.until(Duration.ofSeconds(5), "the access-log line of " + requestId, () -> find(requestId) != null);
    return find(requestId);
  }

  private JsonObject find(String requestId) {
    synchronized (lines) {
      return lines.stream().filter(l -> requestId.equals(l.getString("request_id"))).findFirst().orElse(null);
    }
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
    encoder.stop();
  }
}
