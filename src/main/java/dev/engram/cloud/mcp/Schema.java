package dev.engram.cloud.mcp;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;

/**
 * Small builders for the output schemas of the tools whose answers are MCP's own (Engram's shapes); inputs, and the
 * outputs that are the REST answers, come from openapi.yaml.
 */
final class Schema {

  private Schema() {}

  static JsonObject string(String description) {
    return new JsonObject().put("type", "string").put("description", description);
  }

  static JsonObject integer(String description, long min, long max) {
    return new JsonObject().put("type", "integer").put("description", description).put("minimum", min).put("maximum", max);
  }

  static JsonObject bool(String description) {
    return new JsonObject().put("type", "boolean").put("description", description);
  }

  static JsonObject arrayOf(JsonObject items) {
    return new JsonObject().put("type", "array").put("items", items);
  }

  static JsonObject anyObject(String description) {
    return new JsonObject().put("type", "object").put("description", description);
  }

  /** Output objects stay open: fields may be added without breaking a client that validates. */
  static JsonObject output(JsonObject properties, String... required) {
    return new JsonObject().put("type", "object").put("properties", properties)
        .put("required", new JsonArray(Arrays.asList(required)));
  }

  static JsonObject nullable(JsonObject schema) {
    return schema.copy().put("type", new JsonArray().add(schema.getString("type")).add("null"));
  }

  static JsonObject props() {
    return new JsonObject();
  }
}
