package dev.engram.cloud.http;

import dev.engram.cloud.api.ContextRequests;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.engine.EngineMessages.GetMany;
import dev.engram.cloud.engine.EngineMessages.ListBlocks;
import dev.engram.cloud.engine.EngineReplies.BlockList;
import dev.engram.cloud.engine.EngineReplies.Memory;
import dev.engram.cloud.engine.EngineReplies.SearchHit;
import dev.engram.cloud.auth.Principal;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.List;

/** Context for a turn, memory blocks and token estimates: the parser makes the engine commands; the answer is written. */
final class ContextRoutes {

  private final EngineClient engines;
  private final ContextRequests requests;

  ContextRoutes(EngineClient engines, ContextRequests requests) {
    this.engines = engines;
    this.requests = requests;
  }

  void estimate(RoutingContext ctx) {
    AccountRoutes.json(ctx, 200, requests.estimate(RequestInput.of(ctx)));
  }

  void build(RoutingContext ctx) {
    JsonObject in = RequestInput.of(ctx);
    Principal principal = Authenticator.principal(ctx);
    ListBlocks wanted = requests.contextBlocks(in);
    Future<BlockList> blocks = wanted == null ? Future.succeededFuture(null) : engines.call(principal, wanted);
    blocks.compose(b -> engines.call(principal, requests.contextSearch(in)).map(results -> requests.build(in, b, results)))
        .onSuccess(body -> {
          Authenticator.countSearches(ctx, 1);
          AccountRoutes.json(ctx, 200, body);
        })
        .onFailure(ctx::fail);
  }

  void compress(RoutingContext ctx) {
    JsonObject in = RequestInput.of(ctx);
    Principal principal = Authenticator.principal(ctx);
    GetMany byId = requests.compressMemories(in);
    Future<List<Memory>> memories = byId != null
        ? engines.call(principal, byId).map(list -> list.memories())
        : engines.call(principal, requests.compressSearch(in))
            .map(results -> results.results().stream().map(SearchHit::memory).toList());
    memories.map(list -> requests.compress(in, list))
        .onSuccess(body -> {
          Authenticator.countSearches(ctx, 1);
          AccountRoutes.json(ctx, 200, body);
        })
        .onFailure(ctx::fail);
  }

  void createBlock(RoutingContext ctx) {
    MemoryRoutes.send(engines, ctx, requests.createBlock(RequestInput.of(ctx), MemoryRoutes.caps(ctx)), 201, () -> {});
  }

  void editBlock(RoutingContext ctx) {
    MemoryRoutes.send(engines, ctx, requests.editBlock(RequestInput.of(ctx), MemoryRoutes.caps(ctx)), 200, () -> {});
  }

  void getBlock(RoutingContext ctx) {
    MemoryRoutes.send(engines, ctx, requests.getBlock(RequestInput.of(ctx)), 200, () -> {});
  }

  void listBlocks(RoutingContext ctx) {
    MemoryRoutes.send(engines, ctx, requests.listBlocks(RequestInput.of(ctx)), 200, () -> {});
  }
}
