package dev.engram.cloud.http;

import dev.engram.cloud.api.OperationInput;
import dev.engram.cloud.api.ProjectRequests;
import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.projectcontext.ProjectScan;
import dev.engram.cloud.projectcontext.ScanParser;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Project context discovery: {@code POST /v1/project-context/scan} and {@code GET /v1/project-context}. */
final class ProjectContextRoutes {

  private final EngineClient engines;
  private final ScanParser parser;
  private final ProjectRequests requests;
  private final OperationInput scanInput;

  ProjectContextRoutes(EngineClient engines, ScanParser parser, ProjectRequests requests, OperationInput scanInput) {
    this.engines = engines;
    this.parser = parser;
    this.requests = requests;
    this.scanInput = scanInput;
  }

  /** The body is decoded, checked and its files split into sections on the parser's pool, then stored by the engine. */
  void scan(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    Principal principal = Authenticator.principal(ctx);
    Caps caps = MemoryRoutes.caps(ctx);
    parser.parse(() -> requests.scan(scanInput.withBody(new JsonObject(), OperationInput.decode(body))))
        .compose(request -> engines.call(principal, requests.store(request, caps))
            .map(reply -> ProjectScan.summary(request, reply)))
        .onSuccess(summary -> {
          Authenticator.countCreated(ctx, summary.getInteger("memories_created"));
          ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(summary.encode());
        })
        .onFailure(ctx::fail);
  }

  void get(RoutingContext ctx) {
    MemoryRoutes.send(engines, ctx, requests.get(RequestInput.of(ctx), true), 200, () -> {});
  }
}
