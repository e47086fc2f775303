package dev.engram.cloud.mcp;

import dev.engram.cloud.bus.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A protocol-level failure of MCP (tool failures are not these: they are results with {@code isError}): an
 * {@link ApiException} of the one family, carrying its JSON-RPC error code. {@code httpStatus} is the status of the
 * transport's answer when this error is the whole response; 200 means it is answered in band, as a JSON-RPC error
 * object. {@link McpErrors} turns any ApiException into the JSON-RPC error or tool result.
 */
public class McpError extends ApiException {

  public static final int PARSE_ERROR = -32700;
  public static final int INVALID_REQUEST = -32600;
  public static final int METHOD_NOT_FOUND = -32601;
  public static final int INVALID_PARAMS = -32602;
  public static final int INTERNAL_ERROR = -32603;
  /** Implementation-defined server error: a batch message left unrun because the batch's answer is full. */
  public static final int SERVER_ERROR = -32000;
  /** No such MCP session (404). */
  public static final int SESSION_NOT_FOUND = -32001;
  /** A message refused by a plan cap (REST's 402); Engram Cloud's code for "quota". */
  public static final int PLAN_LIMIT = -32004;
  /** A message refused by the rate limit (REST's 429); Engram Cloud's code for "rate limited". */
  public static final int RATE_LIMITED = -32005;
  /** 2026-07-28: a routing header disagrees with the body, or is missing. */
  public static final int HEADER_MISMATCH = -32020;
  /** 2026-07-28: the request's protocol version is not one this server speaks. */
  public static final int UNSUPPORTED_VERSION = -32022;

  private final int rpcCode;
  private final int httpStatus;

  public McpError(int rpcCode, String message, int httpStatus, JsonObject data) {
    super(httpStatus == 200 ? 400 : httpStatus, codeName(rpcCode), message, data);
    this.rpcCode = rpcCode;
    this.httpStatus = httpStatus;
  }

  public McpError(int rpcCode, String message, int httpStatus) {
    this(rpcCode, message, httpStatus, null);
  }

  public static McpError invalidParams(String message) {
    return new McpError(INVALID_PARAMS, message, 200);
  }

  public static McpError unsupportedVersion(String requested) {
    return new McpError(UNSUPPORTED_VERSION, "Unsupported protocol version", 400, new JsonObject()
        .put("supported", new JsonArray(McpVersions.SUPPORTED))
        .put("requested", String.valueOf(requested)));
  }

  /** The JSON-RPC error code. */
  public int rpcCode() {
    return rpcCode;
  }

  /** The HTTP status when this error is the whole answer; 200 when it is answered in band. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The stable code this failure has as a problem (an MCP failure answered as HTTP is still problem-shaped). */
  private static String codeName(int rpcCode) {
    return switch (rpcCode) {
      case PARSE_ERROR -> "parse_error";
      case INVALID_REQUEST -> "invalid_request";
      case METHOD_NOT_FOUND -> "method_not_found";
      case INVALID_PARAMS -> "invalid_params";
      case SESSION_NOT_FOUND -> "session_not_found";
      case HEADER_MISMATCH -> "header_mismatch";
      case UNSUPPORTED_VERSION -> "unsupported_version";
      case SERVER_ERROR -> "not_run";
      default -> "internal_error";
    };
  }
}
