package dev.engram.cloud.observability;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.spi.context.storage.AccessMode;
import io.vertx.core.spi.context.storage.ContextLocal;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * The ids every log line written while serving a request carries: W3C trace and span ids, the request id and, once
 * the caller is known, the tenant. Vert.x has no thread-local request state across event-loop hops, so the ids live
 * in the local data of the request's (duplicated) Vert.x context, cross the event bus in a header (see
 * {@link BusPropagation}), and are read by the logging filter ({@link LogContextFilter}). Code that runs a request's
 * work on another context (an engine's write batch) makes them current for the thread with {@link #enter}.
 *
 * <p>With tracing on, the ids are those of the OpenTelemetry spans; with it off they are generated here in the same
 * format (a caller's {@code traceparent} still gives the trace id), so logs correlate either way.
 */
public record RequestContext(String traceId, String spanId, String requestId, String tenantId) {

  private static final ContextLocal<RequestContext> LOCAL = ContextLocal.registerLocal(RequestContext.class);
  private static final ThreadLocal<RequestContext> ENTERED = new ThreadLocal<>();
  private static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}.*");
  private static final String INVALID_TRACE = "0".repeat(32);
  private static final HexFormat HEX = HexFormat.of();

  /**
   * Registers the context-local slot. Vert.x sizes each instance's local storage when the instance is built, so this
   * must run before the first {@code Vertx} of the process is built; {@code EngramServer} calls it first.
   */
  public static void register() {
    // the static initializer did the work
  }

  /**
   * The context of a request that arrives: the ids of the tracer's server span when tracing is on, else a new span
   * id in the caller's trace (a valid W3C {@code traceparent}) or in a new one. Kept on the current Vert.x context.
   */
  public static RequestContext begin(String requestId, String traceparent) {
    ContextInternal ctx = ContextInternal.current();
    RequestContext rc = null;
    if (ctx != null && ctx.tracer() != null) {
      SpanContext span = Span.current().getSpanContext();
      if (span.isValid()) rc = new RequestContext(span.getTraceId(), span.getSpanId(), requestId, null);
    }
    if (rc == null) rc = new RequestContext(traceIdFrom(traceparent), newSpanId(), requestId, null);
    if (ctx != null && ctx.isDuplicate()) ctx.putLocal(LOCAL, AccessMode.CONCURRENT, rc);
    return rc;
  }

  /** Adds the tenant to the current request's context, once the caller is authenticated. */
  public static void tenant(String tenantId) {
    ContextInternal ctx = ContextInternal.current();
    RequestContext rc = local(ctx);
    if (rc != null && !tenantId.equals(rc.tenantId)) {
      ctx.putLocal(LOCAL, AccessMode.CONCURRENT, new RequestContext(rc.traceId, rc.spanId, rc.requestId, tenantId));
    }
  }

  /** The request being served on this thread: one {@link #enter}ed, else the current Vert.x context's; or null. */
  public static RequestContext current() {
    RequestContext entered = ENTERED.get();
    return entered != null ? entered : local(ContextInternal.current());
  }

  /** The request {@link #enter}ed on this thread, or null. */
  static RequestContext entered() {
    return ENTERED.get();
  }

  /** Keeps {@code rc} on {@code ctx} (a duplicated context) unless it already has one. */
  static void attach(ContextInternal ctx, RequestContext rc) {
    if (ctx != null && ctx.isDuplicate() && local(ctx) == null) ctx.putLocal(LOCAL, AccessMode.CONCURRENT, rc);
  }

  private static RequestContext local(ContextInternal ctx) {
    if (ctx == null || !ctx.isDuplicate()) return null;
    try {
      return ctx.getLocal(LOCAL, AccessMode.CONCURRENT);
    } catch (IllegalArgumentException builtBeforeRegistration) {
      return null; // a Vert.x instance built before this class was loaded (tests) has no slot for it
    }
  }

  public RequestContext withTenant(String tenantId) {
    return new RequestContext(traceId, spanId, requestId, tenantId);
  }

  /** The same request with its work in another span (an engine command's). */
  public RequestContext inSpan(String traceId, String spanId) {
    return new RequestContext(traceId, spanId, requestId, tenantId);
  }

  /** Makes this the current request of the calling thread until the returned scope is closed. */
  public Scope enter() {
    RequestContext previous = ENTERED.get();
    ENTERED.set(this);
    return () -> {
      if (previous == null) ENTERED.remove();
      else ENTERED.set(previous);
    };
  }

  /** A scope of {@link #enter}; closing it never throws. */
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }

  /** The trace id of a valid {@code traceparent} header (version 00 or later, not all zeros), else a new one. */
  static String traceIdFrom(String traceparent) {
    if (traceparent != null) {
      var m = TRACEPARENT.matcher(traceparent.trim());
      if (m.matches() && !traceparent.startsWith("ff") && !m.group(1).equals(INVALID_TRACE)) return m.group(1);
    }
    return newTraceId();
  }

  static String newTraceId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high;
    long low;
    do {
      high = random.nextLong();
      low = random.nextLong();
    } while (high == 0 && low == 0);
    return HEX.toHexDigits(high) + HEX.toHexDigits(low);
  }

  static String newSpanId() {
    long id;
    do {
      id = ThreadLocalRandom.current().nextLong();
    } while (id == 0);
    return HEX.toHexDigits(id);
  }

  /** The header value that carries this context across the event bus (ids hold no spaces). */
  String encode() {
    return traceId + ' ' + spanId + ' ' + requestId + ' ' + (tenantId == null ? "-" : tenantId);
  }

  static RequestContext decode(String value) {
    String[] parts = value.split(" ", 4);
    if (parts.length != 4) return null;
    return new RequestContext(parts[0], parts[1], parts[2], parts[3].equals("-") ? null : parts[3]);
  }
}
