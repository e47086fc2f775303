package dev.engram.cloud.http;

import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.observability.RequestContext;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import net.logstash.logback.argument.StructuredArguments;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One JSON log line per request: route, status, latency, and (as on every line written while serving it) the
 * request, trace, span and tenant ids. Never headers, bodies or query strings, so no secret can reach the log.
 */
final class AccessLog {

  private static final Logger log = LoggerFactory.getLogger("engram.access");
  private static final String ROUTE = "access.route";

  private AccessLog() {}

  /** Records which endpoint served the request (its path pattern, never the raw path). */
  static Handler<RoutingContext> named(String pattern) {
    return ctx -> {
      ctx.put(ROUTE, pattern);
      ctx.next();
    };
  }

  /**
   * First handler of every request: assigns the request id, opens the request's context (its trace ids: the
   * caller's {@code traceparent} is honoured), and logs the request once its answer is sent, with the
   * status the client got. Logged when the response ends (not when the request context ends: a failure while
   * reading the body ends the context before the error answer is written), or, when the connection closes first,
   * as aborted, with the status that went out if any (else 0).
   */
  static void handle(RoutingContext ctx) {
    long start = System.nanoTime();
    String requestId = RequestIds.assign(ctx);
    RequestContext request = RequestContext.begin(requestId, ctx.request().getHeader("traceparent"));
    ctx.addBodyEndHandler(v -> log(ctx, request, start, false));
    ctx.addEndHandler(done -> {
      if (!ctx.response().ended() && ctx.response().closed()) log(ctx, request, start, true);
    });
    ctx.next();
  }

  private static void log(RoutingContext ctx, RequestContext request, long start, boolean aborted) {
    if (!log.isInfoEnabled()) return;
    Principal principal = Authenticator.principal(ctx);
    RequestContext done = principal == null ? request : request.withTenant(principal.tenantId());
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("method", ctx.request().method().name());
    fields.put("route", ctx.<String>get(ROUTE, "unmatched"));
    fields.put("status", ctx.response().headWritten() ? ctx.response().getStatusCode() : 0);
    if (aborted) fields.put("aborted", true);
    fields.put("latency_ms", (System.nanoTime() - start) / 1_000_000.0);
    // Entered, so the ids are there even when the connection's close is handled outside the request's context.
    try (var scope = done.enter()) {
      log.info("request", StructuredArguments.entries(fields));
    }
  }
}
