package dev.engram.cloud.bus;

import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * The one failure family (MCP's protocol errors are its subclass {@code McpError}): an HTTP status, a stable machine-readable code and a human detail.
 * It crosses the event bus as {@code message.fail(status, code + "\n" + detail)} and becomes a
 * problem+json response at the ingress. Extra problem members (RFC 9457 extensions), when there are any, ride on
 * the first line after a unit separator: {@code code + "\u001f" + json + "\n" + detail}.
 */
public class ApiException extends RuntimeException {

  private static final char EXTENSIONS = '\u001f';
  /** The problem member (seconds) that says when to send a refused request again; also the Retry-After header. */
  public static final String RETRY_AFTER = "retry_after";
  /** The wait a 503 names when its thrower named none. */
  public static final int DEFAULT_RETRY_AFTER_SECONDS = 1;

  private final int status;
  private final String code;
  private final JsonObject extensions;

  public ApiException(int status, String code, String detail) {
    this(status, code, detail, null);
  }

  /**
   * {@code extensions} are extra members of the problem document (never {@code type}, {@code status}…). A 503 always
   * says when to retry: {@code retry_after} (seconds; the HTTP layer also sends it as {@code Retry-After}) is
   * {@value #DEFAULT_RETRY_AFTER_SECONDS} unless given.
   */
  public ApiException(int status, String code, String detail, JsonObject extensions) {
    super(detail, null, false, false);
    this.status = status;
    this.code = code;
    if (status == 503 && (extensions == null || !(extensions.getValue(RETRY_AFTER) instanceof Number))) {
      extensions = (extensions == null ? new JsonObject() : extensions.copy())
          .put(RETRY_AFTER, DEFAULT_RETRY_AFTER_SECONDS);
    }
    this.extensions = extensions;
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

  /** Extra problem members, or null. */
  public JsonObject extensions() {
    return extensions;
  }

  /** 402: a plan cap is reached. Names the cap, its limit, the current use and the plan. */
  public static ApiException planLimit(String cap, long limit, long used, String plan) {
    return new ApiException(402, "plan_limit_exceeded",
        "The " + plan + " plan allows " + limit + " " + cap.replace('_', ' ') + "; " + used + " used.",
        new JsonObject().put("cap", cap).put("limit", limit).put("used", used).put("plan", plan));
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
    String head = e.extensions == null ? e.code : e.code + EXTENSIONS + e.extensions.encode();
    message.fail(e.status, head + "\n" + e.getMessage());
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
          String head = msg.substring(0, nl);
          int sep = head.indexOf(EXTENSIONS);
          return sep < 0
              ? new ApiException(r.failureCode(), head, msg.substring(nl + 1))
              : new ApiException(r.failureCode(), head.substring(0, sep), msg.substring(nl + 1),
                  new JsonObject(head.substring(sep + 1)));
        }
      }
      if (r.failureType() == ReplyFailure.TIMEOUT) {
        return new ApiException(503, "unavailable", "The service is busy; retry in a second.");
      }
      if (r.failureType() == ReplyFailure.NO_HANDLERS) {
        return new ApiException(503, "unavailable", "The service is starting or stopping; retry in a second.");
      }
    }
    return internal("An unexpected error occurred.");
  }
}
