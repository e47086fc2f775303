package dev.engram.cloud.api;

import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.engine.EngineMessages.ImportedMemory;
import dev.engram.cloud.model.MemoryTypes;
import dev.engram.cloud.model.Tiers;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The import parser: a document in Engram's export format ({@code {version, exported_at, memory_count,
 * memories:[…]}}), already checked against openapi.yaml's {@code ImportDocument} schema (REST body, or MCP
 * memory_import's {@code data}), into import items, with the rules a schema cannot state: the version, the count,
 * timestamps and their order, workspace names, metadata size. The first problem is a 400 naming the item and field;
 * nothing is written before the whole document passed.
 */
public final class ImportDocument {

  public static final String VERSION = "1.0";

  private ImportDocument() {}

  /** The items, in document order; timestamps normalized to the stored UTC form. {@code at} prefixes pointers. */
  public static List<ImportedMemory> parse(JsonObject document, EngramConfig.Memories limits, String at) {
    Object version = document.getValue("version");
    if (version != null && !VERSION.equals(version)) {
      throw Violations.withPointer("unsupported_version", "Import documents of version '" + version
          + "' are not supported; expected '" + VERSION + "'.", at + "/version");
    }
    JsonArray items = document.getJsonArray("memories");
    Number count = document.getNumber("memory_count");
    if (count != null && count.longValue() != items.size()) {
      // Catches a truncated or hand-edited file before it is half imported.
      throw Violations.withPointer("invalid_field", "Field 'memory_count' is " + count + " but 'memories' has "
          + items.size() + " items.", at + "/memory_count");
    }
    List<ImportedMemory> out = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      out.add(item(items.getJsonObject(i), at + "/memories/" + i, "memories[" + i + "]", limits));
    }
    return out;
  }

  private static ImportedMemory item(JsonObject m, String pointer, String name, EngramConfig.Memories limits) {
    OperationInput.withoutNulls(m);
    String workspace;
    try {
      workspace = Inputs.workspace(m, "workspace", dev.engram.cloud.model.Workspaces.DEFAULT);
    } catch (dev.engram.cloud.bus.ApiException e) {
      throw Violations.withPointer(e.code(), "Field '" + name + ".workspace': " + e.detail(), pointer + "/workspace");
    }
    String createdAt = timestamp(m, "created_at", pointer, name);
    String updatedAt = timestamp(m, "updated_at", pointer, name);
    if (createdAt != null && updatedAt != null && updatedAt.compareTo(createdAt) < 0) {
      throw Violations.withPointer("invalid_field", "Field '" + name + ".updated_at' must not be before created_at.",
          pointer + "/updated_at");
    }
    JsonObject metadata;
    try {
      metadata = new Inputs.Metadata(limits).of(m);
    } catch (dev.engram.cloud.bus.ApiException e) {
      throw Violations.withPointer(e.code(), "Field '" + name + ".metadata' must be at most "
          + limits.maxMetadataBytes() + " bytes as JSON.", pointer + "/metadata");
    }
    return new ImportedMemory(m.getString("content").trim(), m.getString("memory_type", MemoryTypes.DEFAULT),
        Inputs.labels(m, "tags", List.of()), metadata, m.getDouble("importance", 0.5), workspace,
        m.getString("tier", Tiers.PERMANENT), createdAt, updatedAt);
  }

  /** An RFC 3339 timestamp with an offset, returned in the stored fixed-width UTC form (which sorts as text). */
  private static String timestamp(JsonObject m, String field, String pointer, String name) {
    String raw = m.getString(field);
    if (raw == null) return null;
    try {
      return Timestamps.format(Timestamps.parse(raw));
    } catch (Timestamps.InvalidTimestamp e) {
      throw Violations.withPointer("invalid_field", "Field '" + name + "." + field + "' " + e.getMessage() + ".",
          pointer + "/" + field);
    }
  }
}
