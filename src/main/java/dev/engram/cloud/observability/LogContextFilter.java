package dev.engram.cloud.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.vertx.core.internal.ContextInternal;
import org.slf4j.MDC;
import org.slf4j.Marker;

/**
 * Puts the ids of the request being served ({@link RequestContext}) into the MDC of every log call that will be
 * logged, and takes them out of it when no request is being served, so that every appender (the JSON console one,
 * a test's) writes them as top-level fields {@code trace_id}, {@code span_id}, {@code request_id} and
 * {@code tenant_id}. The MDC is only a carrier here: it is set at each call from the Vert.x context, because an event
 * loop serves many requests in turn and a thread-local would be stale. With tracing on, the span is the current
 * OpenTelemetry span (an event-bus consumer's, say) when there is one. Configured in {@code logback.xml}.
 */
public final class LogContextFilter extends TurboFilter {

  static final String TRACE_ID = "trace_id";
  static final String SPAN_ID = "span_id";
  static final String REQUEST_ID = "request_id";
  static final String TENANT_ID = "tenant_id";

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level == null || !level.isGreaterOrEqual(logger.getEffectiveLevel())) return FilterReply.NEUTRAL;
    RequestContext rc = RequestContext.entered();
    String spanId;
    if (rc != null) {
      spanId = rc.spanId(); // entered with the span of the work at hand
    } else {
      rc = RequestContext.current();
      if (rc == null) {
        if (MDC.get(REQUEST_ID) != null) clear();
        return FilterReply.NEUTRAL;
      }
      SpanContext span = tracedSpan();
      spanId = span != null && span.getTraceId().equals(rc.traceId()) ? span.getSpanId() : rc.spanId();
    }
    String traceId = rc.traceId();
    MDC.put(TRACE_ID, traceId);
    MDC.put(SPAN_ID, spanId);
    MDC.put(REQUEST_ID, rc.requestId());
    if (rc.tenantId() != null) MDC.put(TENANT_ID, rc.tenantId());
    else MDC.remove(TENANT_ID);
    return FilterReply.NEUTRAL;
  }

  /** The current OpenTelemetry span when this thread runs on a traced Vert.x context, else null. */
  private static SpanContext tracedSpan() {
    ContextInternal ctx = ContextInternal.current();
    if (ctx == null || ctx.tracer() == null) return null;
    try {
      SpanContext span = Span.current().getSpanContext();
      return span.isValid() ? span : null;
    } catch (IllegalArgumentException builtBeforeTracing) {
      return null; // a Vert.x instance built before the tracer's context slot existed (tests)
    }
  }

  private static void clear() {
    MDC.remove(TRACE_ID);
    MDC.remove(SPAN_ID);
    MDC.remove(REQUEST_ID);
    MDC.remove(TENANT_ID);
  }
}
