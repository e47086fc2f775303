package dev.engram.cloud.api;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineMessages.ProjectContext;
import dev.engram.cloud.engine.EngineMessages.ScanProject;
import dev.engram.cloud.model.Workspaces;
import dev.engram.cloud.projectcontext.ProjectScan;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Project context: validated input → engine command (see MemoryRequests). */
public final class ProjectRequests {

  /** {@code scanProject}: the files parsed into sections (CPU work: callers run it on the scan parser's pool). */
  public ProjectScan.Request scan(JsonObject in) {
    return ProjectScan.parse(in);
  }

  public ScanProject store(ProjectScan.Request request, Caps caps) {
    return new ScanProject(request.workspace(), request.project(), request.files(), request.skippedPaths(), caps);
  }

  /** {@code getProjectContext}: sections included unless {@code include_sections} is false. */
  public ProjectContext get(JsonObject in, boolean asParameters) {
    String project;
    try {
      project = ProjectScan.project(in.getValue("project"));
    } catch (ApiException e) {
      throw asParameters ? Violations.parameter("invalid_parameter", "project", e.detail().replace("Field", "Parameter"))
          : e;
    }
    JsonArray types = in.getJsonArray("file_types");
    return new ProjectContext(Inputs.workspace(in, "workspace", Workspaces.DEFAULT), project,
        in.getBoolean("include_sections", true),
        types == null ? null : types.stream().map(String.class::cast).distinct().toList());
  }
}
