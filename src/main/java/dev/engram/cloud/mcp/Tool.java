package dev.engram.cloud.mcp;

import dev.engram.cloud.auth.Scope;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;

/**
 * One MCP tool: what {@code tools/list} shows, the scope it needs, and its handler. Arguments are checked against
 * {@code inputSchema} itself before the handler runs, so the advertised schema and the enforced one cannot drift.
 */
record Tool(String name, String title, String description, JsonObject inputSchema, JsonObject outputSchema,
            boolean readOnly, boolean destructive, Scope scope, Handler handler, Validator validator) {

  @FunctionalInterface
  interface Handler {
    /** Runs with arguments already validated against the input schema; fails with an ApiException on a tool error. */
    Future<JsonObject> call(ToolCall call, ToolArgs args);
  }

  static Tool of(String name, String title, String description, JsonObject inputSchema, JsonObject outputSchema,
                 Scope scope, Handler handler) {
    boolean readOnly = scope == Scope.MEMORIES_READ;
    // The validator annotates the schema object it is given (__absolute_uri__ on every subschema): it gets a copy,
    // so tools/list advertises exactly the schema written here.
    Validator validator = Validator.create(JsonSchema.of(inputSchema.copy()), new JsonSchemaOptions()
        .setDraft(Draft.DRAFT202012).setBaseUri("https://engram.dev/schemas/tools/" + name)
        .setOutputFormat(OutputFormat.Basic));
    return new Tool(name, title, description, inputSchema, outputSchema, readOnly, name.contains("delete"),
        scope, handler, validator);
  }

  /** A short message naming the first thing wrong with the arguments, or null when they are valid. */
  String invalidArguments(JsonObject arguments) {
    OutputUnit result = validator.validate(arguments);
    if (Boolean.TRUE.equals(result.getValid())) return null;
    if (result.getErrors() != null) {
      for (OutputUnit error : result.getErrors()) {
        String where = error.getInstanceLocation();
        String field = where == null || where.isEmpty() || where.equals("#") ? "arguments" : where.replaceFirst("^#?/", "");
        if (error.getError() != null) return "Invalid arguments for " + name + ": " + field + ": " + error.getError();
      }
    }
    return "Invalid arguments for " + name + ".";
  }

  JsonObject describe(boolean withOutputSchema) {
    JsonObject annotations = new JsonObject().put("title", title).put("readOnlyHint", readOnly)
        .put("destructiveHint", destructive).put("openWorldHint", false);
    JsonObject tool = new JsonObject().put("name", name).put("title", title).put("description", description)
        .put("inputSchema", inputSchema).put("annotations", annotations);
    if (withOutputSchema) tool.put("outputSchema", outputSchema);
    return tool;
  }
}
