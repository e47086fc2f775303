package dev.engram.cloud.http;

import dev.engram.cloud.api.OrganizeRequests;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.engine.EngineMessages.EngineCommand;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;

/** Tags, versions, recent activity, workspaces (list, stats, move) and links between memories. */
final class OrganizeRoutes {

  private final EngineClient engines;
  private final OrganizeRequests requests;

  OrganizeRoutes(EngineClient engines, OrganizeRequests requests) {
    this.engines = engines;
    this.requests = requests;
  }

  void tags(RoutingContext ctx) {
    send(ctx, requests.tags(RequestInput.of(ctx)));
  }

  void versions(RoutingContext ctx) {
    send(ctx, requests.versions(RequestInput.of(ctx)));
  }

  void activity(RoutingContext ctx) {
    send(ctx, requests.activity(RequestInput.of(ctx), Instant.now()));
  }

  void workspaces(RoutingContext ctx) {
    send(ctx, requests.workspaces(RequestInput.of(ctx)));
  }

  void workspace(RoutingContext ctx) {
    send(ctx, requests.workspace(RequestInput.of(ctx), "name"));
  }

  void move(RoutingContext ctx) {
    send(ctx, requests.move(RequestInput.of(ctx)));
  }

  void link(RoutingContext ctx) {
    send(ctx, requests.link(RequestInput.of(ctx)));
  }

  /** The link to remove comes as a JSON body or as query parameters, not both. */
  void unlink(RoutingContext ctx) {
    JsonObject in = RequestInput.of(ctx);
    boolean hasBody = ctx.body() != null && ctx.body().length() > 0;
    if (hasBody && !ctx.queryParams().isEmpty()) {
      String name = ctx.queryParams().names().iterator().next();
      throw new ApiException(400, "unknown_parameter", "Give the link as query parameters or as a JSON body, not both.",
          new JsonObject().put("pointer", "/" + name));
    }
    send(ctx, requests.unlink(in, !hasBody));
  }

  void related(RoutingContext ctx) {
    send(ctx, requests.related(RequestInput.of(ctx)));
  }

  private void send(RoutingContext ctx, EngineCommand<?> command) {
    MemoryRoutes.send(engines, ctx, command, 200, () -> {});
  }
}
