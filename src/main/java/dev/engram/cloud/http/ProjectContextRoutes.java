package dev.engram.cloud.http;

import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineMessages.ProjectContext;
import dev.engram.cloud.engine.EngineMessages.ScanProject;
import dev.engram.cloud.model.Workspaces;
import dev.engram.cloud.projectcontext.InstructionFiles;
import dev.engram.cloud.projectcontext.ProjectScan;
import dev.engram.cloud.projectcontext.ScanParser;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Set;

/** Project context discovery: {@code POST /v1/project-context/scan} and {@code GET /v1/project-context}. */
final class ProjectContextRoutes {

  private static final Set<String> GET_PARAMS = Set.of("project", "workspace", "include_sections", "file_types");

  private final EngineClient engines;
  private final ScanParser parser;

  ProjectContextRoutes(EngineClient engines, ScanParser parser) {
    this.engines = engines;
    this.parser = parser;
  }

  /** The body is decoded and its files split into sections on the parser's pool, then stored by the engine. */
  void scan(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    Principal principal = Authenticator.principal(ctx);
    Caps caps = MemoryRoutes.caps(ctx);
    parser.parse(() -> ProjectScan.parse(JsonInput.object(body)))
        .compose(request -> engines.call(principal, new ScanProject(request.workspace(), request.project(),
                request.files(), request.skippedPaths(), caps))
            .map(reply -> ProjectScan.summary(request, reply)))
        .onSuccess(summary -> {
          Authenticator.countCreated(ctx, summary.getInteger("memories_created"));
          ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(summary.encode());
        })
        .onFailure(ctx::fail);
  }

  void get(RoutingContext ctx) {
    MultiMap params = Params.check(ctx, GET_PARAMS);
    String project = params.get("project");
    if (project == null) throw ApiException.badRequest("missing_parameter", "Query parameter 'project' is required.");
    project = projectParam(project);
    String workspace = params.get("workspace") == null ? Workspaces.DEFAULT : Workspaces.normalize(params.get("workspace"));
    boolean sections = params.get("include_sections") == null || Params.bool("include_sections", params.get("include_sections"));
    List<String> types = Params.list("file_types", params.get("file_types"));
    checkFileTypes(types);
    MemoryRoutes.send(engines, ctx, new ProjectContext(workspace, project, sections, types), 200, () -> {});
  }

  /** Checks a file_types list against the known types (null passes). */
  static void checkFileTypes(List<String> types) {
    if (types == null) return;
    for (String type : types) {
      if (!InstructionFiles.FILE_TYPES.contains(type)) {
        throw ApiException.badRequest("invalid_parameter", "Unknown file type '" + type + "' in file_types; known: "
            + String.join(", ", InstructionFiles.FILE_TYPES) + ".");
      }
    }
  }

  private static String projectParam(String raw) {
    try {
      return ProjectScan.project(raw);
    } catch (ApiException e) {
      throw ApiException.badRequest("invalid_parameter", e.detail().replace("Field", "Query parameter"));
    }
  }
}
