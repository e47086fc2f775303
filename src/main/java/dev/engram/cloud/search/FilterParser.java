package dev.engram.cloud.search;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads the JSON {@code filter} tree of a search request:
 * <pre>
 *   node      = {"and": [node, ...]} | {"or": [node, ...]} | condition
 *   condition = {"field": "importance" | "metadata.project" | ..., "op": "gte", "value": 0.5}
 * </pre>
 * Everything is checked here (fields, operators allowed on each field, value types, nesting, size), and any
 * mistake is a 400 {@code invalid_filter} naming the place in the tree, e.g. {@code filter.and[1].op}. Values are
 * never turned into SQL text; the engine binds them as parameters.
 */
public final class FilterParser {

  public static final int MAX_DEPTH = 6;
  public static final int MAX_CONDITIONS = 64;
  public static final int MAX_PATH_DEPTH = 8;
  private static final int MAX_TEXT = 1000;
  private static final Pattern PATH_KEY = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Set<String> CONDITION_KEYS = Set.of("field", "op", "value");

  private int conditions;

  private FilterParser() {}

  /** Parses {@code json} (the value of the request's {@code filter} field); null stays null. */
  public static FilterNode parse(Object json) {
    return json == null ? null : new FilterParser().node(json, "filter", 1);
  }

  private FilterNode node(Object json, String at, int depth) {
    if (!(json instanceof JsonObject o)) throw bad(at, "must be an object: {\"and\": [...]}, {\"or\": [...]} or a "
        + "condition {\"field\", \"op\", \"value\"}");
    if (depth > MAX_DEPTH) throw bad(at, "nests too deep (at most " + MAX_DEPTH + " levels)");
    if (o.containsKey("and") || o.containsKey("or")) {
      if (o.size() != 1) throw bad(at, "must have exactly one key when it is \"and\" or \"or\"");
      String key = o.containsKey("and") ? "and" : "or";
      Object list = o.getValue(key);
      if (!(list instanceof JsonArray array) || array.isEmpty()) {
        throw bad(at + "." + key, "must be a non-empty array of filter nodes");
      }
      List<FilterNode> children = new ArrayList<>();
      for (int i = 0; i < array.size(); i++) children.add(node(array.getValue(i), at + "." + key + "[" + i + "]", depth + 1));
      return key.equals("and") ? new FilterNode.And(List.copyOf(children)) : new FilterNode.Or(List.copyOf(children));
    }
    return condition(o, at);
  }

  private FilterNode condition(JsonObject o, String at) {
    for (String key : o.fieldNames()) {
      if (!CONDITION_KEYS.contains(key)) {
        throw bad(at, "has unknown key '" + key + "'; a node is {\"and\": [...]}, {\"or\": [...]} or "
            + "{\"field\", \"op\", \"value\"}");
      }
    }
    if (++conditions > MAX_CONDITIONS) throw bad(at, "is one condition too many (at most " + MAX_CONDITIONS + ")");
    if (!(o.getValue("field") instanceof String fieldName)) throw bad(at + ".field", "must be a string");
    if (!(o.getValue("op") instanceof String opName)) throw bad(at + ".op", "must be a string");
    FilterField field = null;
    List<String> path = List.of();
    if (fieldName.startsWith("metadata.")) {
      field = FilterField.METADATA;
      path = metadataPath(fieldName.substring("metadata.".length()), at + ".field");
    } else {
      for (FilterField f : FilterField.values()) {
        if (f != FilterField.METADATA && f.wireName().equals(fieldName)) field = f;
      }
    }
    if (field == null) {
      throw bad(at + ".field", "'" + fieldName + "' is not a filterable field; use one of "
          + Arrays.stream(FilterField.values()).filter(f -> f != FilterField.METADATA).map(FilterField::wireName)
          .collect(Collectors.joining(", ")) + ", or metadata.<key>[.<key>...]");
    }
    FilterOp op = null;
    for (FilterOp candidate : FilterOp.values()) {
      if (candidate.wireName().equals(opName)) op = candidate;
    }
    if (op == null) {
      throw bad(at + ".op", "'" + opName + "' is not an operator; use one of "
          + Arrays.stream(FilterOp.values()).map(FilterOp::wireName).collect(Collectors.joining(", ")));
    }
    if (!field.ops().contains(op)) {
      throw bad(at + ".op", "'" + opName + "' does not apply to " + fieldName + "; it takes "
          + field.ops().stream().map(FilterOp::wireName).collect(Collectors.joining(", ")));
    }
    Object value = value(field, op, o, at + ".value");
    return new FilterNode.Condition(field, path, op, value);
  }

  private static List<String> metadataPath(String raw, String at) {
    String[] keys = raw.split("\\.", -1);
    if (keys.length > MAX_PATH_DEPTH) throw bad(at, "metadata paths have at most " + MAX_PATH_DEPTH + " keys");
    for (String key : keys) {
      if (!PATH_KEY.matcher(key).matches()) {
        throw bad(at, "'metadata." + raw + "' is not a valid path: keys are 1-64 of A-Z, a-z, 0-9, '_' and '-', "
            + "joined by '.'");
      }
    }
    return List.of(keys);
  }

  private static Object value(FilterField field, FilterOp op, JsonObject o, String at) {
    boolean present = o.containsKey("value");
    Object v = o.getValue("value");
    if (op == FilterOp.EXISTS) {
      if (v == null) return Boolean.TRUE;
      if (!(v instanceof Boolean)) throw bad(at, "must be true or false for 'exists' (default true)");
      return v;
    }
    if (!present) throw bad(at, "is required for '" + op.wireName() + "'");
    switch (field.kind()) {
      case NUMBER:
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) throw bad(at, "must be a number");
        return n.doubleValue();
      case TIME:
        if (!(v instanceof String s)) throw bad(at, "must be a timestamp string such as 2026-01-31T12:00:00Z or a date");
        return instant(s, at);
      case TEXT:
      case TAGS:
        if (!(v instanceof String s)) throw bad(at, "must be a string");
        if (s.length() > MAX_TEXT) throw bad(at, "must be at most " + MAX_TEXT + " characters");
        if (field == FilterField.WORKSPACE) return s.trim().toLowerCase(Locale.ROOT);
        return s;
      default: // JSON
        if (op == FilterOp.CONTAINS || op == FilterOp.NOT_CONTAINS) {
          if (!(v instanceof String || v instanceof Number || v instanceof Boolean)) {
            throw bad(at, "must be a string, number or boolean for '" + op.wireName() + "'");
          }
        } else if (op == FilterOp.EQ || op == FilterOp.NEQ) {
          if (v != null && !(v instanceof String || v instanceof Number || v instanceof Boolean)) {
            throw bad(at, "must be a string, number, boolean or null");
          }
        } else if (!(v instanceof String || v instanceof Number)) {
          throw bad(at, "must be a string or a number for '" + op.wireName() + "'");
        }
        if (v instanceof String s && s.length() > MAX_TEXT) throw bad(at, "must be at most " + MAX_TEXT + " characters");
        if (v instanceof Number n) {
          if (!Double.isFinite(n.doubleValue())) throw bad(at, "must be a finite number");
          return n.doubleValue();
        }
        return v;
    }
  }

  /** An RFC 3339 timestamp or a plain date (midnight UTC), in the years 0000-9999. */
  private static Instant instant(String s, String at) {
    try {
      return Timestamps.parseTimeOrDate(s);
    } catch (Timestamps.InvalidTimestamp e) {
      throw bad(at, e.getMessage());
    }
  }

  private static ApiException bad(String at, String rule) {
    return ApiException.badRequest("invalid_filter", at + " " + rule + ".");
  }
}
