package dev.engram.cloud.http;

import dev.engram.cloud.api.FeedbackRequests;
import dev.engram.cloud.api.IdentityRequests;
import dev.engram.cloud.engine.EngineClient;
import io.vertx.ext.web.RoutingContext;

/** Identities and marks on search results: the parser makes the engine command; the engine's answer is written. */
final class IdentityRoutes {

  private final EngineClient engines;
  private final IdentityRequests identities = new IdentityRequests();
  private final FeedbackRequests feedback = new FeedbackRequests();

  IdentityRoutes(EngineClient engines) {
    this.engines = engines;
  }

  void create(RoutingContext ctx) {
    MemoryRoutes.send(engines, ctx, identities.create(RequestInput.of(ctx), MemoryRoutes.caps(ctx)), 200, () -> {});
  }

  void resolve(RoutingContext ctx) {
    MemoryRoutes.send(engines, ctx, identities.resolve(RequestInput.of(ctx)), 200, () -> {});
  }

  void recordFeedback(RoutingContext ctx) {
    MemoryRoutes.send(engines, ctx, feedback.record(RequestInput.of(ctx)), 201, () -> {});
  }

  void feedbackStats(RoutingContext ctx) {
    MemoryRoutes.send(engines, ctx, feedback.stats(RequestInput.of(ctx)), 200, () -> {});
  }
}
