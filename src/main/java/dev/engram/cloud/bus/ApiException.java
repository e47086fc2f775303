package dev.engram.cloud.bus;

import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * The one failure type: an HTTP status, a stable machine-readable code and a human detail.
 * It crosses the event bus as {@code message.fail(status, code + "\n" + detail)} and becomes a
 * problem+json response at the ingress.
 */
public final class ApiException extends RuntimeException {

  private final int status;
  private final String code;

  public ApiException(int status, String code, String detail) {
    super(detail, null, false, false);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String detail() {
    return getMessage();
  }

  public static ApiException badRequest(String code, String detail) {
    return new ApiException(400, code, detail);
  }

  public static ApiException notFound(String detail) {
    return new ApiException(404, "not_found", detail);
  }

  public static ApiException unauthorized(String code, String detail) {
    return new ApiException(401, code, detail);
  }

  public static ApiException forbidden(String code, String detail) {
    return new ApiException(403, code, detail);
  }

  public static ApiException internal(String detail) {
    return new ApiException(500, "internal_error", detail);
  }

  /** Replies to a bus request with this failure (or a 500 for anything unexpected). */
  public static void fail(Message<?> message, Throwable failure) {
    ApiException e = from(failure);
    message.fail(e.status, e.code + "\n" + e.getMessage());
  }

  /** Maps any failure (local or from the bus) to an ApiException. Unknown failures become a bare 500. */
  public static ApiException from(Throwable failure) {
    if (failure instanceof ApiException e) {
      return e;
    }
    if (failure instanceof ReplyException r) {
      if (r.failureType() == ReplyFailure.RECIPIENT_FAILURE && r.failureCode() >= 400 && r.failureCode() < 600
          && r.getMessage() != null) {
        String msg = r.getMessage();
        int nl = msg.indexOf('\n');
        if (nl > 0) {
          return new ApiException(r.failureCode(), msg.substring(0, nl), msg.substring(nl + 1));
        }
      }
      if (r.failureType() == ReplyFailure.TIMEOUT) {
        return new ApiException(503, "unavailable", "The service is busy; retry shortly.");
      }
      if (r.failureType() == ReplyFailure.NO_HANDLERS) {
        return new ApiException(503, "unavailable", "The service is starting or stopping; retry shortly.");
      }
    }
    return internal("An unexpected error occurred.");
  }
}
