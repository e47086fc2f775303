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
import java.util.function.Predicate;

/**
 * Captures the log lines of this JVM (the root logger, or one logger: {@link #of}) as the JSON an operator reads,
 * rendered by the production encoder, so a test can find the lines one request left, wherever they were written.
 */
public final class LogCapture implements AutoCloseable {

  private final Logger logger;
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

  private LogCapture(String loggerName) {
    logger = (Logger) LoggerFactory.getLogger(loggerName);
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    encoder.setContext(context);
    encoder.start();
    appender.setContext(context);
    appender.start();
    logger.addAppender(appender);
  }

  public static LogCapture start() {
    return new LogCapture(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  /** Only the lines of one logger (and its children), e.g. {@code engram.access}. */
  public static LogCapture of(String loggerName) {
    return new LogCapture(loggerName);
  }

  /** The first line matching {@code which}, waiting for it a little (lines are written as work ends). */
  public JsonObject await(String what, Predicate<JsonObject> which) {
    Eventually.until(Duration.ofSeconds(5), what, () -> find(which) != null);
    return find(which);
  }

  public List<JsonObject> all() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  private JsonObject find(Predicate<JsonObject> which) {
    synchronized (lines) {
      return lines.stream().filter(which).findFirst().orElse(null);
    }
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
    encoder.stop();
  }
}
