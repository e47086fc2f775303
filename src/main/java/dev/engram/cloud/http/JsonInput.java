package dev.engram.cloud.http;

import dev.engram.cloud.bus.ApiException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Strict reader of a JSON request body: the body must be an object, every field must be known, and each typed
 * getter rejects a wrong type or range with a 400 that names the field. A JSON {@code null} counts as absent.
 */
final class JsonInput {

  private final JsonObject body;

  private JsonInput(JsonObject body) {
    this.body = body;
  }

  static JsonInput parse(Buffer buffer, Set<String> allowed) {
    return of(object(buffer), allowed);
  }

  /** The body decoded as a JSON object, or a 400 saying what is wrong with it. */
  static JsonObject object(Buffer buffer) {
    if (buffer == null || buffer.length() == 0) {
      throw ApiException.badRequest("missing_body", "The request needs a JSON object body.");
    }
    Object value;
    try {
      value = Json.decodeValue(buffer);
    } catch (DecodeException e) {
      throw ApiException.badRequest("invalid_json", "The body is not valid JSON.");
    }
    if (!(value instanceof JsonObject object)) {
      throw ApiException.badRequest("invalid_json", "The body must be a JSON object.");
    }
    return object;
  }

  /** Reads an already decoded object, with the same checks as {@link #parse}. */
  static JsonInput of(JsonObject object, Set<String> allowed) {
    for (String name : object.fieldNames()) {
      if (!allowed.contains(name)) {
        throw ApiException.badRequest("unknown_field",
            "Unknown field '" + name + "'. Allowed fields: " + String.join(", ", allowed.stream().sorted().toList()) + ".");
      }
    }
    return new JsonInput(object);
  }

  boolean has(String name) {
    return body.getValue(name) != null;
  }

  String string(String name, boolean required, int maxLength) {
    Object v = body.getValue(name);
    if (v == null) {
      if (required) throw ApiException.badRequest("missing_field", "Field '" + name + "' is required.");
      return null;
    }
    if (!(v instanceof String s)) throw wrongType(name, "a string");
    if (s.length() > maxLength) {
      throw invalid(name, "must be at most " + maxLength + " characters");
    }
    return s;
  }

  /** A required string that is not blank after trimming; returned trimmed. */
  String text(String name, int maxLength) {
    String s = string(name, true, maxLength);
    if (s.isBlank()) throw invalid(name, "must not be empty");
    return s.trim();
  }

  Double number(String name, double min, double max) {
    Object v = body.getValue(name);
    if (v == null) return null;
    if (!(v instanceof Number n)) throw wrongType(name, "a number");
    double d = n.doubleValue();
    if (!Double.isFinite(d) || d < min || d > max) {
      throw invalid(name, "must be between " + min + " and " + max);
    }
    return d;
  }

  Long integer(String name, long min, long max) {
    Object v = body.getValue(name);
    if (v == null) return null;
    long value;
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      value = ((Number) v).longValue();
    } else if (v instanceof BigInteger || (v instanceof Number n && isIntegral(n))) {
      BigDecimal d = new BigDecimal(v.toString());
      if (d.compareTo(BigDecimal.valueOf(min)) < 0 || d.compareTo(BigDecimal.valueOf(max)) > 0) {
        throw invalid(name, "must be between " + min + " and " + max);
      }
      value = d.longValue();
    } else {
      throw wrongType(name, "an integer");
    }
    if (value < min || value > max) throw invalid(name, "must be between " + min + " and " + max);
    return value;
  }

  Boolean bool(String name) {
    Object v = body.getValue(name);
    if (v == null) return null;
    if (!(v instanceof Boolean b)) throw wrongType(name, "true or false");
    return b;
  }

  /** The raw JSON value of a field (null when absent), for readers with their own validation. */
  Object raw(String name) {
    return body.getValue(name);
  }

  /** A string chosen from {@code allowed}. */
  String choice(String name, Set<String> allowed) {
    String s = string(name, false, 64);
    if (s != null && !allowed.contains(s)) {
      throw invalid(name, "must be one of " + String.join(", ", allowed.stream().sorted().toList()));
    }
    return s;
  }

  /**
   * A list of short labels: each trimmed and non-empty, duplicates (ignoring case) dropped keeping the first
   * spelling.
   */
  List<String> labels(String name, int maxItems, int maxLength) {
    Object v = body.getValue(name);
    if (v == null) return null;
    if (!(v instanceof JsonArray array)) throw wrongType(name, "an array of strings");
    if (array.size() > maxItems) throw invalid(name, "must have at most " + maxItems + " items");
    Map<String, String> seen = new LinkedHashMap<>();
    for (Object item : array) {
      if (!(item instanceof String s)) throw wrongType(name, "an array of strings");
      String label = s.trim();
      if (label.isEmpty()) throw invalid(name, "must not contain empty strings");
      if (label.length() > maxLength) throw invalid(name, "items must be at most " + maxLength + " characters");
      seen.putIfAbsent(label.toLowerCase(Locale.ROOT), label);
    }
    return List.copyOf(new ArrayList<>(seen.values()));
  }

  JsonObject object(String name, int maxBytes) {
    Object v = body.getValue(name);
    if (v == null) return null;
    if (!(v instanceof JsonObject o)) throw wrongType(name, "a JSON object");
    if (o.encode().getBytes(StandardCharsets.UTF_8).length > maxBytes) {
      throw invalid(name, "must be at most " + maxBytes + " bytes as JSON");
    }
    return o;
  }

  private static boolean isIntegral(Number n) {
    if (n instanceof BigDecimal d) return d.stripTrailingZeros().scale() <= 0;
    double d = n.doubleValue();
    return Double.isFinite(d) && d == Math.rint(d);
  }

  private static ApiException wrongType(String name, String expected) {
    return ApiException.badRequest("invalid_field", "Field '" + name + "' must be " + expected + ".");
  }

  private static ApiException invalid(String name, String rule) {
    return ApiException.badRequest("invalid_field", "Field '" + name + "' " + rule + ".");
  }
}
