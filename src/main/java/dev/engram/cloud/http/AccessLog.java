package dev.engram.cloud.http;

import dev.engram.cloud.auth.Principal;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import net.logstash.logback.argument.StructuredArguments;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One JSON log line per request: request id, tenant, route, status, latency. Never headers, bodies or query
 * strings, so no secret can reach the log.
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

  /** First handler of every request: assigns the request id and logs the request when it ends. */
  static void handle(RoutingContext ctx) {
    long start = System.nanoTime();
    String requestId = RequestIds.assign(ctx);
    ctx.addEndHandler(done -> {
      if (!log.isInfoEnabled()) return;
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("request_id", requestId);
      Principal principal = Authenticator.principal(ctx);
      if (principal != null) fields.put("tenant_id", principal.tenantId());
      fields.put("method", ctx.request().method().name());
      fields.put("route", ctx.<String>get(ROUTE, "unmatched"));
      fields.put("status", ctx.response().getStatusCode());
      fields.put("latency_ms", (System.nanoTime() - start) / 1_000_000.0);
      log.info("request", StructuredArguments.entries(fields));
    });
    ctx.next();
  }
}
