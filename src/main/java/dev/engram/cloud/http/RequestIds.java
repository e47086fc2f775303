package dev.engram.cloud.http;

import io.vertx.ext.web.RoutingContext;

import java.util.UUID;
import java.util.regex.Pattern;

/** A request id per request: the caller's {@code X-Request-Id} when it is sane, otherwise a new one. */
final class RequestIds {

  static final String KEY = "request_id";
  private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  private RequestIds() {}

  static String assign(RoutingContext ctx) {
    String given = ctx.request().getHeader("X-Request-Id");
    String id = given != null && SANE.matcher(given).matches() ? given : "req_" + UUID.randomUUID().toString().replace("-", "");
    ctx.put(KEY, id);
    ctx.response().putHeader("X-Request-Id", id);
    return id;
  }

  static String get(RoutingContext ctx) {
    return ctx.get(KEY);
  }
}
