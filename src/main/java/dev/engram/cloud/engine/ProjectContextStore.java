package dev.engram.cloud.engine;

import dev.engram.cloud.model.MemoryTypes;
import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineMessages.ProjectContext;
import dev.engram.cloud.engine.EngineMessages.ScanProject;
import dev.engram.cloud.engine.EngineMessages.Update;
import dev.engram.cloud.projectcontext.ContextFile;
import dev.engram.cloud.projectcontext.ContextSection;
import dev.engram.cloud.projectcontext.ProjectScan;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.json.JsonArray;
import dev.engram.cloud.engine.EngineReplies.ProjectMemories;
import dev.engram.cloud.engine.EngineReplies.ScanResult;
import io.vertx.core.json.JsonObject;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Project context memories over a {@link MemoryStore}: applies a scan as a diff against the project's earlier one,
 * and lists the current context. A parent is keyed by (workspace, project, source_file) among the memories not
 * tagged {@code section}, so a rescan never mistakes a section for its parent (Engram's rescan bug); a section by
 * its file, its section_path and, when a file repeats a heading path, its place among the repeats.
 *
 * <p>Anyone can write memories that look like a scan's, so metadata read back is never trusted to have the types a
 * scan writes: a value of another type counts as absent (an unknown section index, no section path, no file type).
 */
final class ProjectContextStore {

  private final MemoryStore store;

  ProjectContextStore(MemoryStore store) {
    this.store = store;
  }

  ScanResult scan(ScanProject scan, Instant now) throws SQLException {
    Map<String, Deque<JsonObject>> parents = new HashMap<>();
    Map<String, List<JsonObject>> sections = new HashMap<>();
    for (JsonObject m : store.projectContext(scan.workspace(), scan.project(), now)) {
      String file = text(m, "source_file");
      if (isSection(m)) sections.computeIfAbsent(file, f -> new ArrayList<>()).add(m);
      else parents.computeIfAbsent(file, f -> new ArrayDeque<>()).addFirst(m); // newest first
    }
    Counts counts = new Counts();
    Set<String> sent = new HashSet<>();
    for (ContextFile file : scan.files()) {
      sent.add(file.path());
      Deque<JsonObject> found = parents.getOrDefault(file.path(), new ArrayDeque<>());
      long parentId = upsert(found.pollFirst(), file.content(), parentTags(scan.project(), file),
          parentMetadata(scan.project(), file), ProjectScan.PARENT_IMPORTANCE, scan, now, counts);
      for (JsonObject duplicate : found) retire(duplicate, now, counts);
      Map<String, Deque<JsonObject>> old = byPath(sections.getOrDefault(file.path(), List.of()));
      for (ContextSection section : file.sections()) {
        JsonObject previous = old.getOrDefault(section.path(), new ArrayDeque<>()).pollFirst();
        upsert(previous, section.content(), sectionTags(scan.project(), file),
            sectionMetadata(scan.project(), file, section, parentId), ProjectScan.SECTION_IMPORTANCE, scan, now, counts);
      }
      for (Deque<JsonObject> left : old.values()) for (JsonObject m : left) retire(m, now, counts);
    }
    Set<String> gone = new HashSet<>(parents.keySet());
    gone.addAll(sections.keySet());
    gone.removeAll(sent);
    gone.removeAll(scan.skippedPaths());
    for (String file : gone) {
      for (JsonObject m : parents.getOrDefault(file, new ArrayDeque<>())) retire(m, now, counts);
      for (JsonObject m : sections.getOrDefault(file, List.of())) retire(m, now, counts);
    }
    return new ScanResult(counts.created, counts.updated, counts.retired);
  }

  ProjectMemories get(ProjectContext q, Instant now) throws SQLException {
    Map<String, List<JsonObject>> byFile = new java.util.TreeMap<>();
    for (JsonObject m : store.projectContext(q.workspace(), q.project(), now)) {
      if (!q.includeSections() && isSection(m)) continue;
      if (q.fileTypes() != null && !q.fileTypes().isEmpty() && !q.fileTypes().contains(text(m, "file_type"))) {
        continue;
      }
      byFile.computeIfAbsent(text(m, "source_file"), f -> new ArrayList<>()).add(m);
    }
    JsonArray memories = new JsonArray();
    Comparator<JsonObject> order = Comparator.<JsonObject>comparingInt(m -> isSection(m) ? 1 : 0)
        .thenComparingInt(m -> sectionIndex(m, -1))
        .thenComparingLong(m -> m.getLong("id"));
    for (List<JsonObject> file : byFile.values()) {
      file.sort(order);
      file.forEach(memories::add);
    }
    return new ProjectMemories(q.project(), q.workspace(), EngineReplies.memories(memories));
  }

  private static final class Counts {
    int created;
    int updated;
    int retired;
  }

  /** Creates the memory, or updates {@code current} when its content, tags or metadata differ; returns its id. */
  private long upsert(JsonObject current, String content, List<String> tags, JsonObject metadata, double importance,
                      ScanProject scan, Instant now, Counts counts) throws SQLException {
    if (current == null) {
      String ts = Timestamps.format(now);
      counts.created++;
      return store.insert(content, MemoryTypes.CONTEXT, tags, metadata, importance, scan.workspace(), "permanent",
          null, MemoryStore.contentHash(content), ts, ts);
    }
    long id = current.getLong("id");
    boolean same = current.getString("content").equals(content)
        && current.getJsonArray("tags").equals(new JsonArray(tags))
        && current.getJsonObject("metadata").encode().equals(metadata.encode());
    if (!same) {
      store.update(new Update(id, content, null, tags, metadata, null, null, Caps.NONE), now);
      counts.updated++;
    }
    return id;
  }

  private void retire(JsonObject memory, Instant now, Counts counts) throws SQLException {
    store.delete(memory.getLong("id"), now);
    counts.retired++;
  }

  private static boolean isSection(JsonObject memory) {
    return memory.getJsonArray("tags").contains(ProjectScan.SECTION_TAG);
  }

  /** Sections of one file by section_path, each list in file order. */
  private static Map<String, Deque<JsonObject>> byPath(List<JsonObject> sections) {
    List<JsonObject> sorted = new ArrayList<>(sections);
    sorted.sort(Comparator.comparingInt((JsonObject m) -> sectionIndex(m, 0)).thenComparingLong(m -> m.getLong("id")));
    Map<String, Deque<JsonObject>> out = new LinkedHashMap<>();
    for (JsonObject m : sorted) {
      String path = text(m, "section_path");
      out.computeIfAbsent(path != null ? path : "", p -> new ArrayDeque<>()).add(m);
    }
    return out;
  }

  /** A metadata string, or null when absent or of another type. */
  private static String text(JsonObject memory, String key) {
    return memory.getJsonObject("metadata").getValue(key) instanceof String s ? s : null;
  }

  /** The section's place in its file, or {@code unknown} when absent or not a whole number in int range. */
  private static int sectionIndex(JsonObject memory, int unknown) {
    Object v = memory.getJsonObject("metadata").getValue("section_index");
    if (v instanceof Integer i) return i;
    if (v instanceof Long l && l == (int) (long) l) return (int) (long) l;
    return unknown;
  }

  private static List<String> parentTags(String project, ContextFile file) {
    return List.of(ProjectScan.TAG, file.fileType(), ProjectScan.projectTag(project));
  }

  private static List<String> sectionTags(String project, ContextFile file) {
    return List.of(ProjectScan.TAG, ProjectScan.SECTION_TAG, file.fileType(), ProjectScan.projectTag(project));
  }

  private static JsonObject parentMetadata(String project, ContextFile file) {
    return new JsonObject()
        .put("source_file", file.path())
        .put("file_type", file.fileType())
        .put("format", file.format())
        .put("project", project)
        .put("file_hash", file.fileHash());
  }

  private static JsonObject sectionMetadata(String project, ContextFile file, ContextSection section, long parentId) {
    // not the file's hash: a change elsewhere in the file must not touch this section
    return new JsonObject()
        .put("source_file", file.path())
        .put("file_type", file.fileType())
        .put("format", file.format())
        .put("project", project)
        .put("section_path", section.path())
        .put("section_index", section.index())
        .put("content_hash", section.contentHash())
        .put("heading_anchor", section.anchor())
        .put("parent_memory_id", parentId);
  }
}
