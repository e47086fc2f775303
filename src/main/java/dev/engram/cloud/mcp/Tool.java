package dev.engram.cloud.mcp;

import dev.engram.cloud.api.CompiledSchema;
import dev.engram.cloud.api.OperationInput;
import dev.engram.cloud.api.Violations;
import dev.engram.cloud.auth.Scope;
import dev.engram.cloud.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.Location;

import java.util.Map;
import java.util.Set;

/**
 * One MCP tool: what {@code tools/list} shows, the scope it needs, and its handler. {@code inputSchema} is built from
 * openapi.yaml (the operation's own input, see {@code Contract.inputSchema}, plus Engram's aliases and the Engram
 * arguments accepted and ignored); arguments are checked against that schema itself before the handler runs, so the
 * advertised schema and the enforced one cannot drift, and failures get the codes REST gives for the same operation.
 * The handler receives the operation's input: aliases renamed, ignored and null arguments removed.
 */
record Tool(String name, String title, String description, JsonObject inputSchema, JsonObject outputSchema,
            Scope scope, Handler handler, CompiledSchema fast, Validator validator, OperationInput operation,
            Map<String, String> aliases, Set<String> ignored) {

  @FunctionalInterface
  interface Handler {
    /** Runs with the operation's checked input; fails with an ApiException on a tool error. */
    Future<JsonObject> call(ToolCall call, JsonObject input);
  }

  static Tool of(String name, String title, String description, JsonObject inputSchema, JsonObject outputSchema,
                 Scope scope, OperationInput operation, Map<String, String> aliases, Set<String> ignored,
                 Handler handler) {
    // The validator annotates the schema object it is given (__absolute_uri__ on every subschema): it gets a copy,
    // so tools/list advertises exactly the schema built here.
    Validator validator = Validator.create(JsonSchema.of(inputSchema.copy()), new JsonSchemaOptions()
        .setDraft(Draft.DRAFT202012).setBaseUri("https://engram.dev/schemas/tools/" + name)
        .setOutputFormat(OutputFormat.Basic));
    return new Tool(name, title, description, inputSchema, outputSchema, scope, handler,
        CompiledSchema.of(inputSchema), validator, operation, aliases, ignored);
  }

  /** The arguments checked against the input schema, as the operation's input; an ApiException when they are not valid. */
  JsonObject input(JsonObject arguments) {
    JsonObject args = arguments.copy();
    args.fieldNames().removeIf(key -> args.getValue(key) == null);
    if (!fast.certainlyValid(args)) {
      OutputUnit result = validator.validate(args);
      if (!Boolean.TRUE.equals(result.getValid())) {
        throw Violations.of(result, this::location, operation == null || operation.hasBody());
      }
    }
    ignored.forEach(args::remove);
    aliases.forEach((alias, canonical) -> {
      Object value = args.remove(alias);
      if (value != null && !args.containsKey(canonical)) args.put(canonical, value);
    });
    return args;
  }

  /**
   * The same tool taking every argument as a body member (an operation whose input comes either as parameters or as
   * a body, such as unlink, takes the body form over MCP).
   */
  Tool asBody() {
    return new Tool(name, title, description, inputSchema, outputSchema, scope, handler, fast, validator, null,
        aliases, ignored);
  }

  private Location location(String argument) {
    return operation == null ? null : operation.location(aliases.getOrDefault(argument, argument));
  }

  JsonObject describe(boolean withOutputSchema) {
    boolean readOnly = scope == Scope.MEMORIES_READ;
    JsonObject annotations = new JsonObject().put("title", title).put("readOnlyHint", readOnly)
        .put("destructiveHint", name.contains("delete")).put("openWorldHint", false);
    JsonObject tool = new JsonObject().put("name", name).put("title", title).put("description", description)
        .put("inputSchema", inputSchema).put("annotations", annotations);
    if (withOutputSchema) tool.put("outputSchema", outputSchema);
    return tool;
  }

  /** Raised by a handler that refuses the input for an MCP-only rule (an Engram argument with one allowed value). */
  static ApiException invalid(String argument, String detail) {
    return new ApiException(400, "invalid_field", detail, new JsonObject().put("pointer", "/" + argument));
  }
}
