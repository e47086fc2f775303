package dev.engram.cloud.http;

import dev.engram.cloud.api.MemoryRequests;
import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.config.EngramConfig.Plan;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineMessages.EngineCommand;
import dev.engram.cloud.engine.EngineMessages.Stats;
import io.vertx.ext.web.RoutingContext;

/** Memories, search and stats: the operation's parser makes the engine command; the engine's answer is written. */
final class MemoryRoutes {

  private final EngineClient engines;
  private final MemoryRequests requests;

  MemoryRoutes(EngineClient engines, MemoryRequests requests) {
    this.engines = engines;
    this.requests = requests;
  }

  void create(RoutingContext ctx) {
    send(engines, ctx, requests.create(RequestInput.of(ctx), caps(ctx)), 201, () -> Authenticator.countCreated(ctx, 1));
  }

  void createDaily(RoutingContext ctx) {
    send(engines, ctx, requests.createDaily(RequestInput.of(ctx), caps(ctx)), 201,
        () -> Authenticator.countCreated(ctx, 1));
  }

  void get(RoutingContext ctx) {
    send(ctx, requests.get(RequestInput.of(ctx)), 200);
  }

  void update(RoutingContext ctx) {
    send(ctx, requests.update(RequestInput.of(ctx), caps(ctx)), 200);
  }

  void delete(RoutingContext ctx) {
    send(ctx, requests.delete(RequestInput.of(ctx)), 204);
  }

  void list(RoutingContext ctx) {
    send(ctx, requests.list(RequestInput.of(ctx)), 200);
  }

  void search(RoutingContext ctx) {
    send(engines, ctx, requests.search(RequestInput.of(ctx)), 200, () -> Authenticator.countSearches(ctx, 1));
  }

  void suggest(RoutingContext ctx) {
    send(ctx, requests.suggest(RequestInput.of(ctx)), 200);
  }

  void stats(RoutingContext ctx) {
    send(ctx, new Stats(), 200);
  }

  private void send(RoutingContext ctx, EngineCommand<?> command, int status) {
    send(engines, ctx, command, status, () -> {});
  }

  /**
   * Runs the command on the caller's own tenant engine and writes the reply; {@code onSuccess} runs before the
   * response ends, so what it records reaches metering.
   */
  static void send(EngineClient engines, RoutingContext ctx, EngineCommand<?> command, int status,
                   Runnable onSuccess) {
    Principal principal = Authenticator.principal(ctx);
    engines.call(principal, command)
        .onSuccess(reply -> {
          onSuccess.run();
          if (status == 204) {
            ctx.response().setStatusCode(204).end();
          } else {
            ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(reply.toJson().encode());
          }
        })
        .onFailure(ctx::fail);
  }

  /** The caller's plan caps that a write must respect. */
  static Caps caps(RoutingContext ctx) {
    Plan plan = Authenticator.plan(ctx);
    return plan == null ? Caps.NONE : new Caps(plan.name(), plan.memories(), plan.storageBytes());
  }
}
