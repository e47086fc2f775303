package dev.engram.cloud.api;

import dev.engram.cloud.bus.ApiException;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.Location;

import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A schema's verdict on an input, as the API's stable codes with a JSON pointer ({@code pointer}, RFC 9457
 * extension member) to what is wrong. The same for both doors: what an operation takes as a query parameter is
 * {@code unknown_parameter}, {@code missing_parameter} or {@code invalid_parameter}; a path parameter is
 * {@code invalid_id}; a body member (a tool argument of an operation with a body) is {@code unknown_field},
 * {@code missing_field} or {@code invalid_field}, at any depth.
 */
public final class Violations {

  /** Keywords that only report that something inside them failed; the leaf below names the actual rule. */
  private static final Set<String> WRAPPERS = Set.of("$ref", "properties", "items", "prefixItems", "allOf", "anyOf",
      "oneOf", "$dynamicRef", "$recursiveRef", "unevaluatedProperties", "patternProperties", "dependentSchemas",
      "if", "then", "else");
  private static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");

  private Violations() {}

  /**
   * The first violation of {@code result} as an ApiException. {@code locationOf} says where a top-level name is given
   * (null: a body member); {@code hasBody} whether unknown top-level names are fields (else parameters).
   */
  public static ApiException of(OutputUnit result, Function<String, Location> locationOf, boolean hasBody) {
    OutputUnit leaf = leaf(result);
    String keyword = keyword(leaf);
    String at = pointer(leaf);
    if ("required".equals(keyword)) at = at + "/" + quoted(leaf);
    String top = at.isEmpty() ? "" : at.substring(1).split("/", 2)[0];
    Location location = locationOf.apply(top);
    // What is in a parameter (an item of a list parameter included) is the parameter's; the rest is the body's.
    boolean parameter = location != null || (!hasBody && !top.isEmpty());
    String field = at.isEmpty() ? "The body" : (parameter ? "Parameter '" : "Field '") + name(at) + "'";
    if (location == Location.PATH) return parameter("invalid_id", top, describe(leaf, keyword, field));
    String code = switch (keyword == null ? "" : keyword) {
      case "required" -> parameter ? "missing_parameter" : "missing_field";
      case "additionalProperties" -> parameter ? "unknown_parameter" : "unknown_field";
      default -> parameter ? "invalid_parameter" : "invalid_field";
    };
    return withPointer(code, describe(leaf, keyword, field), at);
  }

  /** A human sentence for the failure of one value (parameters use it with their own name). */
  static String describe(OutputUnit result, String what) {
    OutputUnit leaf = leaf(result);
    return describe(leaf, keyword(leaf), what);
  }

  private static String describe(OutputUnit leaf, String keyword, String what) {
    String message = leaf.getError() == null ? "is not valid" : leaf.getError();
    return switch (keyword == null ? "" : keyword) {
      case "required" -> what + " is required.";
      case "additionalProperties" -> "Unknown " + (what.startsWith("Field") ? "field" : "parameter")
          + what.substring(what.indexOf(' ')) + ".";
      case "type" -> what + " has the wrong type: " + message.replace("Instance type", "got") + ".";
      case "enum" -> what + " must be one of " + message.replace("Instance does not match any of ", "") + ".";
      case "maxLength", "minLength", "maxItems", "minItems", "minimum", "maximum" -> what + ": " + message + ".";
      case "pattern" -> what + " must not be blank.";
      default -> what + " " + message + ".";
    };
  }

  static ApiException unknownParameter(String name, List<String> allowed) {
    return parameter("unknown_parameter", name, "Unknown query parameter '" + name + "'." + (allowed.isEmpty()
        ? " This route takes none." : " Allowed: " + String.join(", ", allowed.stream().sorted().toList()) + "."));
  }

  static ApiException parameter(String code, String name, String detail) {
    return withPointer(code, detail, "/" + name);
  }

  static ApiException withPointer(String code, String detail, String pointer) {
    return new ApiException(400, code, detail, new JsonObject().put("pointer", pointer));
  }

  /** The most specific failure: the deepest one that is not a mere wrapper of others. */
  private static OutputUnit leaf(OutputUnit result) {
    OutputUnit best = null;
    if (result.getErrors() != null) {
      for (OutputUnit e : result.getErrors()) {
        if (WRAPPERS.contains(keyword(e))) continue;
        if (best == null || pointer(e).length() > pointer(best).length()) best = e;
      }
    }
    return best != null ? best : result;
  }

  private static String keyword(OutputUnit unit) {
    String location = unit.getKeywordLocation();
    if (location == null) return null;
    return location.substring(location.lastIndexOf('/') + 1);
  }

  /** The instance location as an RFC 6901 pointer ({@code #/tags/3} → {@code /tags/3}; the root is empty). */
  private static String pointer(OutputUnit unit) {
    String location = unit.getInstanceLocation();
    if (location == null) return "";
    return location.startsWith("#") ? location.substring(1) : location;
  }

  private static String quoted(OutputUnit unit) {
    Matcher m = QUOTED.matcher(unit.getError() == null ? "" : unit.getError());
    return m.find() ? m.group(1) : "";
  }

  /** {@code /memories/3/content} as {@code memories[3].content}, the way the API names fields in details. */
  private static String name(String pointer) {
    StringBuilder out = new StringBuilder();
    for (String segment : pointer.substring(1).split("/")) {
      String s = segment.replace("~1", "/").replace("~0", "~");
      if (s.chars().allMatch(Character::isDigit) && !s.isEmpty()) out.append('[').append(s).append(']');
      else out.append(out.length() == 0 ? "" : ".").append(s);
    }
    return out.toString();
  }
}
