package dev.engram.cloud.mcp;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;

/** Small builders for the JSON Schemas (draft 2020-12) of tool inputs and outputs. */
final class Schema {

  private Schema() {}

  static JsonObject string(String description) {
    return new JsonObject().put("type", "string").put("description", description);
  }

  static JsonObject string(String description, int maxLength) {
    return string(description).put("maxLength", maxLength);
  }

  /** A string with at least one non-space character. */
  static JsonObject text(String description, int maxLength) {
    return string(description, maxLength).put("minLength", 1).put("pattern", "\\S");
  }

  static JsonObject choice(String description, Iterable<String> values) {
    JsonArray options = new JsonArray();
    values.forEach(options::add);
    return string(description).put("enum", options);
  }

  static JsonObject integer(String description, long min, long max) {
    return new JsonObject().put("type", "integer").put("description", description).put("minimum", min).put("maximum", max);
  }

  static JsonObject id(String description) {
    return integer(description, 1, Long.MAX_VALUE);
  }

  static JsonObject number(String description, double min, double max) {
    return new JsonObject().put("type", "number").put("description", description).put("minimum", min).put("maximum", max);
  }

  static JsonObject bool(String description) {
    return new JsonObject().put("type", "boolean").put("description", description);
  }

  static JsonObject labels(String description, int maxItems, int maxLength) {
    return new JsonObject().put("type", "array").put("description", description).put("maxItems", maxItems)
        .put("items", new JsonObject().put("type", "string").put("minLength", 1).put("maxLength", maxLength));
  }

  static JsonObject arrayOf(JsonObject items) {
    return new JsonObject().put("type", "array").put("items", items);
  }

  static JsonObject anyObject(String description) {
    return new JsonObject().put("type", "object").put("description", description);
  }

  /** An object with these properties; {@code additionalProperties} is false for inputs, so typos are caught. */
  static JsonObject input(JsonObject properties, String... required) {
    return new JsonObject().put("type", "object").put("properties", properties)
        .put("required", new JsonArray(Arrays.asList(required))).put("additionalProperties", false);
  }

  /** Output objects stay open: fields may be added without breaking a client that validates. */
  static JsonObject output(JsonObject properties, String... required) {
    return new JsonObject().put("type", "object").put("properties", properties)
        .put("required", new JsonArray(Arrays.asList(required)));
  }

  static JsonObject nullable(JsonObject schema) {
    return schema.copy().put("type", new JsonArray().add(schema.getString("type")).add("null"));
  }

  /** A memory as every tool returns it. */
  static JsonObject memory() {
    return output(new JsonObject()
            .put("id", new JsonObject().put("type", "integer"))
            .put("content", new JsonObject().put("type", "string"))
            .put("memory_type", new JsonObject().put("type", "string"))
            .put("tags", arrayOf(new JsonObject().put("type", "string")))
            .put("metadata", new JsonObject().put("type", "object"))
            .put("importance", new JsonObject().put("type", "number"))
            .put("workspace", new JsonObject().put("type", "string"))
            .put("tier", new JsonObject().put("type", "string"))
            .put("expires_at", new JsonObject().put("type", new JsonArray().add("string").add("null")))
            .put("version", new JsonObject().put("type", "integer"))
            .put("created_at", new JsonObject().put("type", "string"))
            .put("updated_at", new JsonObject().put("type", "string")),
        "id", "content", "memory_type", "tags", "metadata", "importance", "workspace", "tier", "version",
        "created_at", "updated_at");
  }

  static JsonObject link() {
    return output(new JsonObject()
            .put("from_id", new JsonObject().put("type", "integer"))
            .put("to_id", new JsonObject().put("type", "integer"))
            .put("edge_type", new JsonObject().put("type", "string"))
            .put("strength", new JsonObject().put("type", "number")),
        "from_id", "to_id", "edge_type");
  }

  static JsonObject props() {
    return new JsonObject();
  }
}
