package dev.engram.cloud.http;

import dev.engram.cloud.api.OperationInput;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The route handler that checks a request against its operation in openapi.yaml (after authentication and after the
 * body was read) and keeps the operation's input for the route: see {@link OperationInput}.
 */
final class RequestInput {

  private static final String KEY = "operation.input";

  private RequestInput() {}

  /** Checks parameters and the JSON body. */
  static Handler<RoutingContext> check(OperationInput operation) {
    return ctx -> {
      ctx.put(KEY, operation.fromRequest(ctx.pathParams(), ctx.queryParams(),
          ctx.body() == null ? null : ctx.body().buffer()));
      ctx.next();
    };
  }

  /** Checks the parameters only: the route checks its large body on a worker ({@link OperationInput#withBody}). */
  static Handler<RoutingContext> checkParameters(OperationInput operation) {
    return ctx -> {
      ctx.put(KEY, operation.parameters(ctx.pathParams(), ctx.queryParams()));
      ctx.next();
    };
  }

  static JsonObject of(RoutingContext ctx) {
    return ctx.get(KEY);
  }
}
