package dev.engram.cloud.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A JSON Schema of openapi.yaml compiled once into plain checks, answering one question fast: is this value
 * certainly valid? vertx-json-schema interprets a schema anew on every call (a regex compiled per string, sets and
 * result objects per node): about 20 µs for a memory to create, several times the rest of the request's work on the
 * event loop. So a request is first run through this; only when it cannot say "valid" (the value breaks a rule, or
 * the schema uses a keyword this does not know) does vertx-json-schema judge it, and its verdict (the codes and the
 * pointer of {@link Violations}) is the answer. This never accepts what vertx-json-schema refuses: it knows a keyword
 * only when it can check it exactly, and treats any other as "not sure" ({@code CompiledSchemaTest} checks this
 * against vertx-json-schema over generated values).
 */
public final class CompiledSchema {

  /** Keywords that say nothing about validity. */
  private static final Set<String> ANNOTATIONS = Set.of("description", "default", "examples", "example", "title",
      "deprecated", "readOnly", "writeOnly", "$comment", "contentMediaType");

  private final Check root;

  private CompiledSchema(Check root) {
    this.root = root;
  }

  /** Compiles a schema whose references are inlined (a {@code $ref} left in it is "not sure"). */
  public static CompiledSchema of(JsonObject schema) {
    return new CompiledSchema(compile(schema));
  }

  /** True when the value is certainly valid; false when it is not, or when only the full validator can tell. */
  public boolean certainlyValid(Object value) {
    return root.valid(value);
  }

  @FunctionalInterface
  private interface Check {
    boolean valid(Object value);
  }

  private static final Check NOT_SURE = value -> false;

  private static Check compile(JsonObject schema) {
    List<Check> checks = new ArrayList<>();
    for (String keyword : schema.fieldNames()) {
      if (ANNOTATIONS.contains(keyword)) continue;
      Object arg = schema.getValue(keyword);
      Check check = switch (keyword) {
        case "type" -> type(arg);
        case "enum" -> enumeration(arg);
        case "minLength" -> arg instanceof Integer n ? v -> !(v instanceof String s) || codePoints(s) >= n : null;
        case "maxLength" -> arg instanceof Integer n ? v -> !(v instanceof String s) || codePoints(s) <= n : null;
        case "pattern" -> arg instanceof String p ? pattern(Pattern.compile(p)) : null;
        case "format" -> v -> !(v instanceof String); // formats of strings are the full validator's to judge
        case "minimum" -> arg instanceof Number n ? bound(n, true) : null;
        case "maximum" -> arg instanceof Number n ? bound(n, false) : null;
        case "minItems" -> arg instanceof Integer n ? v -> !(v instanceof JsonArray a) || a.size() >= n : null;
        case "maxItems" -> arg instanceof Integer n ? v -> !(v instanceof JsonArray a) || a.size() <= n : null;
        case "items" -> arg instanceof JsonObject items ? items(compile(items)) : null;
        case "properties", "required", "additionalProperties" -> null; // compiled together below
        default -> NOT_SURE;
      };
      if (check == null && !Set.of("properties", "required", "additionalProperties").contains(keyword)) {
        check = NOT_SURE;
      }
      if (check != null) checks.add(check);
    }
    if (schema.containsKey("properties") || schema.containsKey("required")
        || schema.containsKey("additionalProperties")) {
      checks.add(object(schema));
    }
    if (checks.isEmpty()) return value -> true;
    if (checks.size() == 1) return checks.get(0);
    Check[] all = checks.toArray(new Check[0]);
    return value -> {
      for (Check c : all) if (!c.valid(value)) return false;
      return true;
    };
  }

  private static Check type(Object arg) {
    List<String> types = new ArrayList<>();
    if (arg instanceof String t) types.add(t);
    else if (arg instanceof JsonArray a) a.forEach(t -> types.add((String) t));
    else return NOT_SURE;
    List<Check> any = new ArrayList<>();
    for (String t : types) {
      switch (t) {
        case "string" -> any.add(v -> v instanceof String);
        case "boolean" -> any.add(v -> v instanceof Boolean);
        case "object" -> any.add(v -> v instanceof JsonObject);
        case "array" -> any.add(v -> v instanceof JsonArray);
        case "null" -> any.add(v -> v == null);
        // integral Java numbers only: an integral double is for the full validator to judge
        case "integer" -> any.add(v -> v instanceof Integer || v instanceof Long || v instanceof Short
            || v instanceof Byte || v instanceof BigInteger);
        case "number" -> any.add(v -> v instanceof Number n && !(v instanceof Double d && !Double.isFinite(d))
            && !(v instanceof Float f && !Float.isFinite(f)));
        default -> {
          return NOT_SURE;
        }
      }
    }
    return value -> {
      for (Check c : any) if (c.valid(value)) return true;
      return false;
    };
  }

  private static Check enumeration(Object arg) {
    if (!(arg instanceof JsonArray values)) return NOT_SURE;
    Set<String> allowed = new HashSet<>();
    for (Object v : values) {
      if (!(v instanceof String s)) return NOT_SURE;
      allowed.add(s);
    }
    return value -> value instanceof String s && allowed.contains(s);
  }

  private static Check pattern(Pattern pattern) {
    return value -> !(value instanceof String s) || pattern.matcher(s).find();
  }

  private static Check bound(Number limit, boolean lower) {
    BigDecimal bound = new BigDecimal(limit.toString());
    return value -> {
      if (!(value instanceof Number n)) return true;
      if (n instanceof Double d && !Double.isFinite(d)) return false;
      int cmp = new BigDecimal(n.toString()).compareTo(bound);
      return lower ? cmp >= 0 : cmp <= 0;
    };
  }

  private static Check items(Check item) {
    return value -> {
      if (!(value instanceof JsonArray array)) return true;
      for (Object v : array) if (!item.valid(v)) return false;
      return true;
    };
  }

  private static Check object(JsonObject schema) {
    Map<String, Check> properties = new HashMap<>();
    JsonObject declared = schema.getJsonObject("properties", new JsonObject());
    for (String name : declared.fieldNames()) {
      properties.put(name, declared.getValue(name) instanceof JsonObject p ? compile(p) : NOT_SURE);
    }
    List<String> required = new ArrayList<>();
    for (Object name : schema.getJsonArray("required", new JsonArray())) required.add((String) name);
    Object additional = schema.getValue("additionalProperties");
    Check others = additional == null || Boolean.TRUE.equals(additional) ? v -> true
        : Boolean.FALSE.equals(additional) ? v -> false
        : additional instanceof JsonObject a ? compile(a) : NOT_SURE;
    return value -> {
      if (!(value instanceof JsonObject object)) return true;
      for (String name : required) if (!object.containsKey(name)) return false;
      for (Map.Entry<String, Object> member : object) {
        Check check = properties.get(member.getKey());
        if (!(check != null ? check : others).valid(member.getValue())) return false;
      }
      return true;
    };
  }

  private static int codePoints(String s) {
    return s.codePointCount(0, s.length());
  }
}
