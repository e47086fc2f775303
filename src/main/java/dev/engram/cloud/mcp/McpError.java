package dev.engram.cloud.mcp;

import dev.engram.cloud.bus.ApiException;
import io.vertx.core.json.JsonObject;

/**
 * A protocol-level failure, answered as a JSON-RPC error (tool failures are not these: they are results with
 * {@code isError}). Carries the HTTP status the transport uses when the error is the whole response.
 */
public class McpError extends RuntimeException {

  public static final int PARSE_ERROR = -32700;
  public static final int INVALID_REQUEST = -32600;
  public static final int METHOD_NOT_FOUND = -32601;
  public static final int INVALID_PARAMS = -32602;
  public static final int INTERNAL_ERROR = -32603;
  /** Implementation-defined server error: a batch message left unrun because the batch's answer is full. */
  public static final int SERVER_ERROR = -32000;
  /** A message refused by a plan cap (REST's 402); Engram Cloud's code for "quota". */
  public static final int PLAN_LIMIT = -32004;
  /** A message refused by the rate limit (REST's 429); Engram Cloud's code for "rate limited". */
  public static final int RATE_LIMITED = -32005;
  /** 2026-07-28: a routing header disagrees with the body, or is missing. */
  public static final int HEADER_MISMATCH = -32020;
  /** 2026-07-28: the request's protocol version is not one this server speaks. */
  public static final int UNSUPPORTED_VERSION = -32022;

  private final int code;
  private final int httpStatus;
  private final JsonObject data;

  public McpError(int code, String message, int httpStatus, JsonObject data) {
    super(message, null, false, false);
    this.code = code;
    this.httpStatus = httpStatus;
    this.data = data;
  }

  public McpError(int code, String message, int httpStatus) {
    this(code, message, httpStatus, null);
  }

  public static McpError invalidParams(String message) {
    return new McpError(INVALID_PARAMS, message, 200);
  }

  public static McpError unsupportedVersion(String requested) {
    return new McpError(UNSUPPORTED_VERSION, "Unsupported protocol version", 400, new JsonObject()
        .put("supported", new io.vertx.core.json.JsonArray(McpVersions.SUPPORTED))
        .put("requested", String.valueOf(requested)));
  }

  /**
   * One message of a batch refused by its admission (rate limit or plan cap): the JSON-RPC error that stands in for
   * REST's 429 or 402, carrying the same problem members ({@code status}, {@code code}, {@code retry_after}
   * or the cap) as {@code data}.
   */
  public static McpError refused(ApiException e) {
    int code = switch (e.status()) {
      case 429 -> RATE_LIMITED;
      case 402 -> PLAN_LIMIT;
      default -> INTERNAL_ERROR;
    };
    JsonObject data = e.extensions() == null ? new JsonObject() : e.extensions().copy();
    return new McpError(code, e.detail(), e.status(), data.put("status", e.status()).put("code", e.code()));
  }

  public int code() {
    return code;
  }

  public int httpStatus() {
    return httpStatus;
  }

  /** The JSON-RPC error object. */
  public JsonObject toJson() {
    JsonObject error = new JsonObject().put("code", code).put("message", getMessage());
    if (data != null) error.put("data", data);
    return error;
  }
}
