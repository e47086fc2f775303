package dev.engram.cloud.engine;

import dev.engram.cloud.model.Workspaces;
import dev.engram.cloud.model.MemoryTypes;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.engine.EngineMessages.ImportedMemory;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Validates a whole document in Engram's export format ({@code {version, exported_at, memory_count, memories:[…]}})
 * into import items before anything is written: the first problem is a 400 that names the item index and field.
 * Used by {@code POST /v1/import} and the MCP memory_import tool.
 */
public final class ImportDocument {

  /** Engram's own export stops at 100 000 memories. */
  public static final int MAX_ITEMS = 100_000;
  public static final String VERSION = "1.0";
  private static final Set<String> DOCUMENT_FIELDS = Set.of("version", "exported_at", "memory_count", "memories",
      "skip_duplicates");
  private static final Set<String> ITEM_FIELDS = Set.of("content", "memory_type", "tags", "metadata", "importance",
      "workspace", "tier", "created_at", "updated_at");
  /** Fields of a memory as the API returns it that an import accepts and ignores (ids and expiry are new). */
  private static final Set<String> IGNORED_ITEM_FIELDS = Set.of("id", "expires_at", "content_hash", "version");
  private static final Set<String> TIERS = Set.of("permanent", "daily");

  private ImportDocument() {}

  /** The validated items, in document order; timestamps normalized to the stored UTC form. */
  public static List<ImportedMemory> parse(JsonObject document, EngramConfig.Memories limits) {
    for (String name : document.fieldNames()) {
      if (!DOCUMENT_FIELDS.contains(name)) {
        throw ApiException.badRequest("unknown_field", "Unknown field '" + name + "' in the import document. Allowed: "
            + String.join(", ", DOCUMENT_FIELDS.stream().sorted().toList()) + ".");
      }
    }
    Object version = document.getValue("version");
    if (version != null && !VERSION.equals(version)) {
      throw ApiException.badRequest("unsupported_version",
          "Import documents of version '" + version + "' are not supported; expected '" + VERSION + "'.");
    }
    skipDuplicates(document);
    Object memories = document.getValue("memories");
    if (memories == null) throw ApiException.badRequest("missing_field", "Field 'memories' is required.");
    if (!(memories instanceof JsonArray items)) {
      throw ApiException.badRequest("invalid_field", "Field 'memories' must be an array.");
    }
    if (items.size() > MAX_ITEMS) {
      throw ApiException.badRequest("invalid_field", "Field 'memories' must have at most " + MAX_ITEMS + " items.");
    }
    Object count = document.getValue("memory_count");
    if (count != null && !(count instanceof Number n && n.doubleValue() == items.size())) {
      // Catches a truncated or hand-edited file before it is half imported.
      throw ApiException.badRequest("invalid_field", "Field 'memory_count' is " + count + " but 'memories' has "
          + items.size() + " items.");
    }
    List<ImportedMemory> out = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      out.add(item(items.getValue(i), "memories[" + i + "]", limits));
    }
    return out;
  }

  /** The document's {@code skip_duplicates} field, or null when absent. */
  public static Boolean skipDuplicates(JsonObject document) {
    Object value = document.getValue("skip_duplicates");
    if (value != null && !(value instanceof Boolean)) {
      throw ApiException.badRequest("invalid_field", "Field 'skip_duplicates' must be a boolean.");
    }
    return (Boolean) value;
  }

  private static ImportedMemory item(Object value, String at, EngramConfig.Memories limits) {
    if (!(value instanceof JsonObject m)) throw invalid(at, "must be a JSON object");
    for (String name : m.fieldNames()) {
      if (!ITEM_FIELDS.contains(name) && !IGNORED_ITEM_FIELDS.contains(name)) {
        throw ApiException.badRequest("unknown_field", "Unknown field '" + at + "." + name + "'. Allowed: "
            + String.join(", ", ITEM_FIELDS.stream().sorted().toList()) + ".");
      }
    }
    String content = string(m, "content", at, limits.maxContentChars());
    if (content == null) throw ApiException.badRequest("missing_field", "Field '" + at + ".content' is required.");
    if (content.isBlank()) throw invalid(at + ".content", "must not be empty");
    String type = string(m, "memory_type", at, 64);
    if (type != null && !MemoryTypes.ALL.contains(type)) {
      throw invalid(at + ".memory_type", "must be one of " + String.join(", ", MemoryTypes.ALL.stream().sorted().toList()));
    }
    String tier = string(m, "tier", at, 64);
    if (tier != null && !TIERS.contains(tier)) throw invalid(at + ".tier", "must be one of daily, permanent");
    String workspace = string(m, "workspace", at, 256);
    if (workspace != null) {
      try {
        workspace = Workspaces.normalize(workspace);
      } catch (ApiException e) {
        throw ApiException.badRequest(e.code(), "Field '" + at + ".workspace': " + e.detail());
      }
    }
    String createdAt = timestamp(m, "created_at", at);
    String updatedAt = timestamp(m, "updated_at", at);
    if (createdAt != null && updatedAt != null && updatedAt.compareTo(createdAt) < 0) {
      throw invalid(at + ".updated_at", "must not be before created_at");
    }
    return new ImportedMemory(content.trim(), type != null ? type : MemoryTypes.DEFAULT, tags(m, at, limits),
        metadata(m, at, limits), importance(m, at), workspace != null ? workspace : Workspaces.DEFAULT,
        tier != null ? tier : "permanent", createdAt, updatedAt);
  }

  private static String string(JsonObject m, String name, String at, int maxLength) {
    Object v = m.getValue(name);
    if (v == null) return null;
    if (!(v instanceof String s)) throw invalid(at + "." + name, "must be a string");
    if (s.length() > maxLength) throw invalid(at + "." + name, "must be at most " + maxLength + " characters");
    return s;
  }

  private static List<String> tags(JsonObject m, String at, EngramConfig.Memories limits) {
    Object v = m.getValue("tags");
    if (v == null) return List.of();
    String field = at + ".tags";
    if (!(v instanceof JsonArray array)) throw invalid(field, "must be an array of strings");
    if (array.size() > limits.maxTags()) throw invalid(field, "must have at most " + limits.maxTags() + " items");
    // Same rules as on create: trimmed, non-empty, duplicates ignoring case dropped keeping the first spelling.
    Map<String, String> seen = new LinkedHashMap<>();
    for (Object item : array) {
      if (!(item instanceof String s)) throw invalid(field, "must be an array of strings");
      String tag = s.trim();
      if (tag.isEmpty()) throw invalid(field, "must not contain empty strings");
      if (tag.length() > limits.maxTagChars()) {
        throw invalid(field, "items must be at most " + limits.maxTagChars() + " characters");
      }
      seen.putIfAbsent(tag.toLowerCase(Locale.ROOT), tag);
    }
    return List.copyOf(seen.values());
  }

  private static JsonObject metadata(JsonObject m, String at, EngramConfig.Memories limits) {
    Object v = m.getValue("metadata");
    if (v == null) return new JsonObject();
    if (!(v instanceof JsonObject o)) throw invalid(at + ".metadata", "must be a JSON object");
    if (o.encode().getBytes(StandardCharsets.UTF_8).length > limits.maxMetadataBytes()) {
      throw invalid(at + ".metadata", "must be at most " + limits.maxMetadataBytes() + " bytes as JSON");
    }
    return o;
  }

  private static double importance(JsonObject m, String at) {
    Object v = m.getValue("importance");
    if (v == null) return 0.5;
    if (!(v instanceof Number n)) throw invalid(at + ".importance", "must be a number");
    double d = n.doubleValue();
    if (!Double.isFinite(d) || d < 0 || d > 1) throw invalid(at + ".importance", "must be between 0 and 1");
    return d;
  }

  /** An RFC 3339 timestamp with an offset, returned in the stored fixed-width UTC form (which sorts as text). */
  private static String timestamp(JsonObject m, String name, String at) {
    String raw = string(m, name, at, 64);
    if (raw == null) return null;
    try {
      return Timestamps.format(Timestamps.parse(raw));
    } catch (Timestamps.InvalidTimestamp e) {
      throw invalid(at + "." + name, e.getMessage());
    }
  }

  private static ApiException invalid(String field, String rule) {
    return ApiException.badRequest("invalid_field", "Field '" + field + "' " + rule + ".");
  }
}
