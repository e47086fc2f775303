package dev.engram.cloud.api;

import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.model.Workspaces;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.pointer.JsonPointer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Reads of validated input shared by the parsers, and the defaults they take from openapi.yaml. */
final class Inputs {

  private final JsonObject document;
  /** Read once: parsers ask for them on every request. */
  private final Map<String, Integer> defaultLimits = new java.util.concurrent.ConcurrentHashMap<>();
  private final int searchLimit;

  Inputs(Contract contract) {
    this.document = contract.document();
    this.searchLimit = (Integer) JsonPointer.from("/components/schemas/SearchRequest/properties/limit/default")
        .queryJson(document);
  }

  /** The documented default {@code limit} of an operation's query (the document is the one place it is stated). */
  int defaultLimit(String operationId) {
    return defaultLimits.computeIfAbsent(operationId, this::documentedLimit);
  }

  private int documentedLimit(String operationId) {
    for (Object pathItem : document.getJsonObject("paths")) {
      JsonObject item = (JsonObject) ((Map.Entry<?, ?>) pathItem).getValue();
      for (String method : item.fieldNames()) {
        if (!(item.getValue(method) instanceof JsonObject op) || !operationId.equals(op.getString("operationId"))) continue;
        for (Object p : op.getJsonArray("parameters", new JsonArray())) {
          JsonObject parameter = resolve((JsonObject) p);
          if ("limit".equals(parameter.getString("name"))) return parameter.getJsonObject("schema").getInteger("default");
        }
      }
    }
    throw new IllegalStateException("openapi.yaml documents no default limit for " + operationId);
  }

  /** The default {@code limit} of a search. */
  int bodyDefaultLimit() {
    return searchLimit;
  }

  private JsonObject resolve(JsonObject maybeRef) {
    String ref = maybeRef.getString("$ref");
    return ref == null ? maybeRef : (JsonObject) JsonPointer.from(ref.substring(1)).queryJson(document);
  }

  /** Labels trimmed, duplicates (ignoring case) dropped keeping the first spelling; {@code fallback} when absent. */
  static List<String> labels(JsonObject in, String name, List<String> fallback) {
    JsonArray array = in.getJsonArray(name);
    if (array == null) return fallback;
    Map<String, String> seen = new LinkedHashMap<>();
    for (Object item : array) {
      String label = ((String) item).trim();
      seen.putIfAbsent(label.toLowerCase(Locale.ROOT), label);
    }
    return List.copyOf(new ArrayList<>(seen.values()));
  }

  /** A normalized workspace name ({@code invalid_workspace} when it breaks the naming rule), or {@code fallback}. */
  static String workspace(JsonObject in, String name, String fallback) {
    String raw = in.getString(name);
    return raw == null ? fallback : Workspaces.normalize(raw);
  }

  /** The metadata object, within {@code memories.max_metadata_bytes} encoded (a limit JSON Schema cannot state). */
  JsonObject metadata(JsonObject in, EngramConfig.Memories limits) {
    return new Metadata(limits).of(in);
  }

  /** The metadata rule. */
  record Metadata(EngramConfig.Memories limits) {
    JsonObject of(JsonObject in) {
      JsonObject metadata = in.getJsonObject("metadata");
      if (metadata == null) return new JsonObject();
      if (metadata.encode().getBytes(StandardCharsets.UTF_8).length > limits.maxMetadataBytes()) {
        throw Violations.withPointer("invalid_field", "Field 'metadata' must be at most " + limits.maxMetadataBytes()
            + " bytes as JSON.", "/metadata");
      }
      return metadata;
    }
  }
}
