package dev.engram.cloud.mcp;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.model.Workspaces;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Typed reads of tool arguments that already passed the input schema; a JSON null counts as absent. */
final class ToolArgs {

  private final JsonObject args;

  ToolArgs(JsonObject args) {
    this.args = args;
  }

  JsonObject json() {
    return args;
  }

  boolean has(String name) {
    return args.getValue(name) != null;
  }

  String string(String name) {
    return args.getString(name);
  }

  /** The first of several accepted spellings (Engram takes both {@code memory_type} and {@code type}). */
  String string(String name, String alias) {
    String value = args.getString(name);
    return value != null ? value : args.getString(alias);
  }

  String trimmed(String name) {
    String value = args.getString(name);
    return value == null ? null : value.trim();
  }

  Long integer(String name) {
    Number n = args.getNumber(name);
    return n == null ? null : n.longValue();
  }

  long id(String name) {
    return args.getNumber(name).longValue();
  }

  Double number(String name) {
    Number n = args.getNumber(name);
    return n == null ? null : n.doubleValue();
  }

  boolean flag(String name, boolean fallback) {
    Boolean b = args.getBoolean(name);
    return b == null ? fallback : b;
  }

  JsonObject object(String name) {
    return args.getJsonObject(name);
  }

  JsonArray array(String name) {
    return args.getJsonArray(name);
  }

  /** Labels trimmed, duplicates (ignoring case) dropped keeping the first spelling; null when absent. */
  List<String> labels(String name) {
    JsonArray array = args.getJsonArray(name);
    if (array == null) return null;
    Map<String, String> seen = new LinkedHashMap<>();
    for (Object item : array) {
      String label = ((String) item).trim();
      if (label.isEmpty()) throw ApiException.badRequest("invalid_field", "'" + name + "' must not contain blank strings.");
      seen.putIfAbsent(label.toLowerCase(Locale.ROOT), label);
    }
    return List.copyOf(new ArrayList<>(seen.values()));
  }

  /** A normalized workspace name, or null when absent. */
  String workspace(String name) {
    String raw = args.getString(name);
    return raw == null ? null : Workspaces.normalize(raw);
  }
}
