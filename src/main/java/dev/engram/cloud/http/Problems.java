package dev.engram.cloud.http;

import dev.engram.cloud.bus.ApiException;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes every error as RFC 9457 problem+json with a stable {@code code} and the request id; never a stack trace. */
final class Problems {

  private static final Logger log = LoggerFactory.getLogger(Problems.class);

  private Problems() {}

  /** The router's failure handler. */
  static void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    ApiException e;
    if (failure != null) {
      e = ApiException.from(failure);
      if (e.status() == 500) {
        log.error("unhandled failure on {} {} (request {})", ctx.request().method(), ctx.normalizedPath(),
            RequestIds.get(ctx), failure);
      }
    } else {
      e = byStatus(ctx.statusCode());
    }
    send(ctx, e);
  }

  static void send(RoutingContext ctx, ApiException e) {
    if (ctx.response().ended()) return;
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    JsonObject problem = e.extensions() == null ? new JsonObject() : e.extensions().copy();
    problem
        .put("type", "https://engram.dev/docs/errors#" + e.code())
        .put("title", HttpResponseStatus.valueOf(e.status()).reasonPhrase())
        .put("status", e.status())
        .put("detail", e.detail())
        .put("code", e.code())
        .put("request_id", RequestIds.get(ctx));
    ctx.response()
        .setStatusCode(e.status())
        .putHeader("Content-Type", "application/problem+json")
        .end(problem.encode());
  }

  private static ApiException byStatus(int status) {
    return switch (status) {
      case 400 -> ApiException.badRequest("bad_request", "The request is malformed.");
      case 404 -> ApiException.notFound("No such resource.");
      case 405 -> new ApiException(405, "method_not_allowed", "This method is not allowed on this resource.");
      case 413 -> new ApiException(413, "body_too_large", "The request body exceeds the size limit.");
      case 415 -> new ApiException(415, "unsupported_media_type", "Send the body as application/json.");
      default -> status >= 400 && status < 600
          ? new ApiException(status, "http_" + status, HttpResponseStatus.valueOf(status).reasonPhrase() + ".")
          : ApiException.internal("An unexpected error occurred.");
    };
  }
}
