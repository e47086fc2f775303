package dev.engram.cloud.engine;

import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.engine.EngineMessages.EngineCommand;
import dev.engram.cloud.engine.EngineMessages.Reply;
import dev.engram.cloud.engine.EngineMessages.Scoped;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import dev.engram.cloud.engine.EngineReplies.EngineReply;

import java.util.Set;

/**
 * Sends commands straight to a tenant's engine; only when none is running does it ask the supervisor to start one
 * and send again, so the common case costs one event-bus hop.
 */
public final class EngineClient {

  private static final DeliveryOptions OPTIONS = new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000);
  private final Vertx vertx;

  public EngineClient(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Runs a command on the caller's own tenant engine; a credential restricted to some workspaces has its command
   * wrapped so that the engine holds it to them.
   */
  public <R extends EngineReply> Future<R> call(Principal principal, EngineCommand<R> command) {
    Set<String> workspaces = principal.workspaces();
    return call(principal.tenantId(), workspaces.isEmpty() ? command : new Scoped<>(command, workspaces));
  }

  @SuppressWarnings("unchecked") // the engine answers a command of type EngineCommand<R> with an R
  private <R extends EngineReply> Future<R> call(String tenantId, EngineCommand<R> command) {
    String address = Addresses.engine(tenantId);
    return vertx.eventBus().<Reply>request(address, command, OPTIONS)
        .recover(err -> {
          if (err instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS) {
            return vertx.eventBus()
                .request(Addresses.ENGINE_SUPERVISOR, new EngineSupervisor.Activate(tenantId), OPTIONS)
                .compose(activated -> vertx.eventBus().<Reply>request(address, command, OPTIONS));
          }
          return Future.failedFuture(err);
        })
        .map(reply -> (R) reply.body().body());
  }
}
