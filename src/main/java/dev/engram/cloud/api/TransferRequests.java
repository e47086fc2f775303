package dev.engram.cloud.api;

import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineMessages.Import;
import dev.engram.cloud.engine.EngineMessages.ImportedMemory;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** Export and import: validated input → what the engine runs (see MemoryRequests). */
public final class TransferRequests {

  private final EngramConfig.Memories limits;

  public TransferRequests(EngramConfig.Memories limits) {
    this.limits = limits;
  }

  /** The workspace an export covers, or null for the whole tenant. */
  public String exportWorkspace(JsonObject in) {
    return Inputs.workspace(in, "workspace", null);
  }

  /**
   * {@code importMemories}: {@code document} is the export document (checked against its schema), {@code at} the
   * pointer to it in the input (empty for a REST body, {@code /data} for MCP). {@code skip_duplicates} (default
   * true) may come from the parameter, the document or a form field, only one of them.
   */
  public Import importDocument(JsonObject document, String at, Boolean fromParameter, Boolean fromForm, Caps caps) {
    List<ImportedMemory> memories = ImportDocument.parse(document, limits, at);
    Boolean fromDocument = document.getBoolean("skip_duplicates");
    int given = (fromParameter != null ? 1 : 0) + (fromForm != null ? 1 : 0) + (fromDocument != null ? 1 : 0);
    if (given > 1) {
      throw Violations.parameter("invalid_parameter", "skip_duplicates",
          "Give skip_duplicates once (query, form or document).");
    }
    boolean skip = fromParameter != null ? fromParameter : fromForm != null ? fromForm
        : fromDocument == null || fromDocument;
    return new Import(memories, skip, caps);
  }
}
