package dev.engram.cloud.http;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.observability.OperatorMetrics;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;

/** Writes every error as RFC 9457 problem+json with a stable {@code code} and the request id; never a stack trace. */
final class Problems {

  private static final Logger log = LoggerFactory.getLogger(Problems.class);
  /** A problem member (seconds) that is also sent as the {@code Retry-After} header. */
  static final String RETRY_AFTER = "retry_after";

  private Problems() {}

  /** The router's failure handler. */
  static void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof HttpClosedException) {
      // The client hung up while its request waited (for its body, say): nobody to answer and nothing of ours
      // failed; the access log records the request as aborted.
      log.debug("client closed the connection of {} {} (request {})", ctx.request().method(), ctx.normalizedPath(),
          RequestIds.get(ctx));
      return;
    }
    ApiException e;
    boolean ours = failure instanceof ApiException || failure instanceof ReplyException;
    if (failure == null) {
      e = byStatus(ctx.statusCode());
    } else if (!ours && (isFormDecoding(failure) || (ctx.statusCode() == 400 && isForm(ctx.request())))) {
      e = ApiException.badRequest("invalid_form", "The form upload is malformed or has a field over its size limit.");
    } else if (!ours && ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      // Raised while reading the body with its own client-error status (malformed chunking, say): the client's.
      e = byStatus(ctx.statusCode());
    } else {
      e = ApiException.from(failure);
      if (e.status() == 500) {
        log.error("unhandled failure on {} {} (request {})", ctx.request().method(), ctx.normalizedPath(),
            RequestIds.get(ctx), failure);
      }
    }
    send(ctx, e);
  }

  private static boolean isForm(HttpServerRequest request) {
    String type = request.getHeader("Content-Type");
    return type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data");
  }

  /** The multipart/form decoder's refusals (a field over the size limit, too many fields, bad encoding). */
  private static boolean isFormDecoding(Throwable failure) {
    return failure instanceof HttpPostRequestDecoder.TooLongFormFieldException
        || failure instanceof HttpPostRequestDecoder.TooManyFormFieldsException
        || failure instanceof HttpPostRequestDecoder.ErrorDataDecoderException;
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
    ctx.put(OperatorMetrics.PROBLEM_CODE, e.code());
    if (problem.getValue(RETRY_AFTER) instanceof Number seconds) {
      ctx.response().putHeader("Retry-After", Long.toString(seconds.longValue()));
    }
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
      case 408 -> new ApiException(408, "body_timeout", "The request body did not arrive in time.");
      case 413 -> new ApiException(413, "body_too_large", "The request body exceeds the size limit.");
      case 415 -> new ApiException(415, "unsupported_media_type", "Send the body as application/json.");
      default -> status >= 400 && status < 600
          ? new ApiException(status, "http_" + status, HttpResponseStatus.valueOf(status).reasonPhrase() + ".")
          : ApiException.internal("An unexpected error occurred.");
    };
  }
}
