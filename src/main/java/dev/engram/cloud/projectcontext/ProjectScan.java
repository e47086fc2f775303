package dev.engram.cloud.projectcontext;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.engine.EngineReplies.ScanResult;
import dev.engram.cloud.model.Workspaces;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A scan request ({@code {project, files:[{path, content}], workspace?}}, from REST or MCP) checked and parsed into
 * instruction files, and the summary a scan answers with. The files are the project's whole set of instruction
 * files: a file scanned before and missing now has its memories retired.
 */
public final class ProjectScan {

  public static final int MAX_FILES = 50;
  public static final int MAX_FILE_BYTES = 1024 * 1024;
  public static final int MAX_TOTAL_BYTES = 8 * 1024 * 1024;
  public static final int MAX_SECTIONS_PER_FILE = 500;
  /** Project names become the tag {@code project:<name>}, so they fit a 64-character tag. */
  public static final int MAX_PROJECT_CHARS = 56;
  public static final String TAG = "project-context";
  public static final String SECTION_TAG = "section";
  public static final double PARENT_IMPORTANCE = 0.8;
  public static final double SECTION_IMPORTANCE = 0.7;

  /**
   * A checked scan: the files to store, the paths of files that were sent but skipped (their earlier memories are
   * kept as they are), and why each was skipped.
   */
  public record Request(String project, String workspace, int filesFound, List<ContextFile> files,
                        Set<String> skippedPaths, List<String> errors) {}

  private ProjectScan() {}

  /**
   * A scan request already checked against openapi.yaml's {@code ScanRequest} (types, sizes, required and unknown
   * members): here the rules the schema cannot state, the paths, duplicates, the total size, and the parse.
   */
  public static Request parse(JsonObject body) {
    String project = project(body.getValue("project"));
    String workspace = body.getString("workspace") == null ? Workspaces.DEFAULT
        : Workspaces.normalize(body.getString("workspace"));
    JsonArray array = body.getJsonArray("files");
    List<ContextFile> files = new ArrayList<>();
    Set<String> skipped = new HashSet<>();
    List<String> errors = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    long total = 0;
    for (int i = 0; i < array.size(); i++) {
      JsonObject file = array.getJsonObject(i);
      String path = file.getString("path");
      String content = file.getString("content");
      InstructionFiles.checkPath(path, "files[" + i + "].path");
      if (!seen.add(path)) throw invalid("files[" + i + "].path '" + path + "' is given twice.");
      byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
      total += bytes.length;
      if (total > MAX_TOTAL_BYTES) {
        throw ApiException.badRequest("scan_too_large", "The files add up to more than " + MAX_TOTAL_BYTES
            + " bytes; scan fewer or smaller files.");
      }
      if (bytes.length > MAX_FILE_BYTES) {
        skipped.add(path);
        errors.add(path + ": larger than " + MAX_FILE_BYTES + " bytes; skipped, earlier memories kept");
        continue;
      }
      // An emptied file has nothing to remember: it is treated as removed.
      if (content.isBlank()) continue;
      InstructionFiles.Format format = InstructionFiles.format(path);
      List<ContextSection> sections = Sections.of(content, format, MAX_SECTIONS_PER_FILE + 1);
      if (sections.size() > MAX_SECTIONS_PER_FILE) {
        skipped.add(path);
        errors.add(path + ": more than " + MAX_SECTIONS_PER_FILE + " sections; skipped, earlier memories kept");
        continue;
      }
      files.add(new ContextFile(path, InstructionFiles.fileType(path), format.wireName,
          "sha256:" + java.util.HexFormat.of().formatHex(sha256(bytes)), content, sections));
    }
    return new Request(project, workspace, array.size(), files, Set.copyOf(skipped), List.copyOf(errors));
  }

  /** A project name: trimmed, 1 to {@value #MAX_PROJECT_CHARS} characters, no control characters. */
  public static String project(Object raw) {
    if (raw == null) throw ApiException.badRequest("missing_field", "Field 'project' is required.");
    if (!(raw instanceof String s)) throw invalid("Field 'project' must be a string.");
    String project = s.strip();
    if (project.isEmpty()) throw invalid("Field 'project' must not be empty.");
    if (project.length() > MAX_PROJECT_CHARS) {
      throw invalid("Field 'project' must be at most " + MAX_PROJECT_CHARS + " characters.");
    }
    for (int i = 0; i < project.length(); i++) {
      if (Character.isISOControl(project.charAt(i))) throw invalid("Field 'project' must not contain control characters.");
    }
    return project;
  }

  public static String projectTag(String project) {
    return "project:" + project;
  }

  /** The scan's answer (openapi.yaml ScanSummary): the request's counts and what the engine changed. */
  public static JsonObject summary(Request request, ScanResult engineReply) {
    return new JsonObject()
        .put("project", request.project())
        .put("workspace", request.workspace())
        .put("files_found", request.filesFound())
        .put("memories_created", engineReply.created())
        .put("memories_updated", engineReply.updated())
        .put("memories_retired", engineReply.retired())
        .put("files_skipped", request.skippedPaths().size())
        .put("errors", new JsonArray(request.errors()))
        .put("scanned_at", Timestamps.now());
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ApiException invalid(String detail) {
    return ApiException.badRequest("invalid_field", detail);
  }
}
