package dev.engram.cloud.mcp;

import dev.engram.cloud.bus.ApiException;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The one place where the API's failures ({@link ApiException}, the family every layer throws) become MCP answers:
 * a JSON-RPC error object for protocol failures and for what a tool cannot answer (internal failures, 503s), and a
 * tool result with {@code isError: true} for what the caller got wrong or may not do. Both carry the same problem
 * members a REST caller gets ({@code status}, {@code code}, {@code detail}, {@code request_id}, {@code pointer},
 * {@code retry_after}, a plan cap's members): the JSON-RPC error in its {@code data}, the tool result as its
 * {@code structuredContent}.
 */
public final class McpErrors {

  private McpErrors() {}

  /** The JSON-RPC error object for {@code e}. */
  public static JsonObject rpcError(ApiException e, String requestId) {
    int code;
    JsonObject data;
    if (e instanceof McpError m) {
      code = m.rpcCode();
      data = e.extensions() == null ? null : e.extensions().copy();
    } else {
      code = switch (e.status()) {
        case 429 -> McpError.RATE_LIMITED;
        case 402 -> McpError.PLAN_LIMIT;
        default -> e.status() < 500 ? McpError.INVALID_PARAMS : McpError.INTERNAL_ERROR;
      };
      data = problem(e, requestId);
    }
    JsonObject error = new JsonObject().put("code", code).put("message", e.detail());
    if (data != null) error.put("data", data);
    return error;
  }

  /** A complete JSON-RPC error response. */
  public static JsonObject rpcErrorResponse(Object id, ApiException e, String requestId) {
    return new JsonObject().put("jsonrpc", "2.0").put("id", id).put("error", rpcError(e, requestId));
  }

  /**
   * A tool's failure as its result: the detail as text (what a model reads), and the problem as
   * {@code structuredContent} (what a program reads; clients do not check an error result against the tool's
   * {@code outputSchema}).
   */
  public static JsonObject toolError(ApiException e, String requestId) {
    return new JsonObject()
        .put("content", new JsonArray().add(new JsonObject().put("type", "text").put("text", e.detail())))
        .put("structuredContent", problem(e, requestId))
        .put("isError", true);
  }

  /** Whether a tool answers this failure as an {@code isError} result (else it is a JSON-RPC error). */
  public static boolean isToolError(ApiException e) {
    return e.status() < 500 || e.status() == 501;
  }

  /** The members of the REST problem document for {@code e}. */
  public static JsonObject problem(ApiException e, String requestId) {
    JsonObject problem = e.extensions() == null ? new JsonObject() : e.extensions().copy();
    problem.put("type", "https://engram.dev/docs/errors#" + e.code())
        .put("title", HttpResponseStatus.valueOf(e.status()).reasonPhrase())
        .put("status", e.status())
        .put("detail", e.detail())
        .put("code", e.code());
    if (requestId != null) problem.put("request_id", requestId);
    return problem;
  }
}
