package dev.engram.cloud.model;

import java.util.Set;

/** Engram's memory types (lowercase, as stored). */
public final class MemoryTypes {

  public static final String DEFAULT = "note";
  /** What project context memories are (Engram's choice; it has no project_context type). */
  public static final String CONTEXT = "context";
  public static final Set<String> ALL = Set.of("note", "todo", "issue", "decision", "preference", "learning",
      "context", "credential", "custom", "transcript_chunk", "episodic", "procedural", "summary", "checkpoint",
      "image", "audio", "video");

  private MemoryTypes() {}
}
