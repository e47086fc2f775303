package dev.engram.cloud.api;

import dev.engram.cloud.bus.ApiException;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.Location;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The input rules of one operation of {@code openapi.yaml}, compiled once: a validator per parameter and one for the
 * JSON body, straight from the document's schemas (vertx-json-schema, through the contract's schema repository).
 * Validation runs on the calling thread: no hop to a worker for a body of at most {@code http.body_limit_bytes}
 * (large bodies, import and scan, are validated on a worker by their routes).
 *
 * <p>The result is the operation's <em>input</em>: one JSON object holding the path and query parameters (typed:
 * numbers, booleans, lists) and the body's members, with the names MCP tools use for the same operation. A member
 * whose value is {@code null} counts as absent. Failures are {@link ApiException}s with the stable codes and a
 * JSON pointer ({@link Violations}).
 */
public final class OperationInput {

  private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");
  private static final Pattern NUMBER = Pattern.compile("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?");

  private final String operationId;
  private final Map<String, Param> parameters = new LinkedHashMap<>();
  private final Validator body;
  private final CompiledSchema fastBody;
  private final boolean bodyRequired;

  /**
   * One parameter: where it is, its JSON type, and its schema twice: compiled for the fast check that a value is
   * certainly valid, and as vertx-json-schema's validator, which judges the rest (see {@link CompiledSchema}).
   */
  record Param(String name, Location in, String type, String itemType, boolean required, CompiledSchema fast,
               Validator validator) {}

  OperationInput(Operation operation, SchemaRepository schemas, JsonObject inputSchema, JsonObject bodySchema) {
    this.operationId = operation.getOperationId();
    JsonObject properties = inputSchema.getJsonObject("properties");
    for (Parameter p : operation.getParameters()) {
      if (p.getIn() != Location.PATH && p.getIn() != Location.QUERY) continue;
      String itemType = p.getSchema().get("items") instanceof JsonObject items ? items.getString("type") : null;
      parameters.put(p.getName(), new Param(p.getName(), p.getIn(), p.getSchema().get("type"), itemType,
          p.isRequired(), CompiledSchema.of(properties.getJsonObject(p.getName())), schemas.validator(p.getSchema())));
    }
    MediaType json = operation.getRequestBody() == null ? null
        : operation.getRequestBody().getContent().get("application/json");
    this.body = json == null ? null : schemas.validator(json.getSchema());
    this.fastBody = bodySchema == null ? null : CompiledSchema.of(bodySchema);
    this.bodyRequired = json != null && operation.getRequestBody().isRequired();
  }

  public String operationId() {
    return operationId;
  }

  /** Where a parameter of this operation is given, or null for a body member (or an unknown name). */
  public Location location(String name) {
    Param p = parameters.get(name);
    return p == null ? null : p.in();
  }

  public boolean hasBody() {
    return body != null;
  }

  /**
   * A REST request's input: path parameters, then the query (every name must be documented and given once), then the
   * JSON body when the operation takes one and one was sent.
   */
  public JsonObject fromRequest(Map<String, String> path, MultiMap query, Buffer rawBody) {
    JsonObject in = parameters(path, query);
    if (body != null && rawBody != null && rawBody.length() > 0) {
      mergeBody(in, decode(rawBody));
    } else if (bodyRequired) {
      throw ApiException.badRequest("missing_body", "The request needs a JSON object body.");
    }
    return in;
  }

  /** The path and query parameters only (routes that read a large body check it on a worker: {@link #withBody}). */
  public JsonObject parameters(Map<String, String> path, MultiMap query) {
    JsonObject in = new JsonObject();
    for (String name : query.names()) {
      Param p = parameters.get(name);
      if (p == null || p.in() != Location.QUERY) throw Violations.unknownParameter(name, queryNames());
      List<String> values = query.getAll(name);
      if (values.size() > 1) {
        throw Violations.parameter("invalid_parameter", name, "Query parameter '" + name + "' is given more than once.");
      }
    }
    for (Param p : parameters.values()) {
      String raw = p.in() == Location.PATH ? path.get(p.name()) : query.get(p.name());
      if (raw == null) {
        if (p.required()) {
          throw p.in() == Location.PATH ? Violations.parameter("invalid_id", p.name(), "The path needs an id.")
              : Violations.parameter("missing_parameter", p.name(), "Query parameter '" + p.name() + "' is required.");
        }
        continue;
      }
      Object value = typed(p, raw);
      check(p, value);
      in.put(p.name(), value);
    }
    return in;
  }

  /** Checks an already decoded JSON body (import and scan decode theirs on a worker) and merges it into {@code in}. */
  public JsonObject withBody(JsonObject in, JsonObject document) {
    mergeBody(in, document);
    return in;
  }

  private void mergeBody(JsonObject in, JsonObject document) {
    withoutNulls(document);
    if (!fastBody.certainlyValid(document)) {
      OutputUnit result = body.validate(document);
      if (!Boolean.TRUE.equals(result.getValid())) throw Violations.of(result, name -> null, true);
    }
    for (Map.Entry<String, Object> member : document) in.put(member.getKey(), member.getValue());
  }

  /** Drops the members whose value is null: absent and null mean the same. */
  static JsonObject withoutNulls(JsonObject object) {
    for (Iterator<Map.Entry<String, Object>> it = object.iterator(); it.hasNext(); ) {
      if (it.next().getValue() == null) it.remove();
    }
    return object;
  }

  private void check(Param p, Object value) {
    if (p.fast().certainlyValid(value)) return;
    OutputUnit result = p.validator().validate(value);
    if (Boolean.TRUE.equals(result.getValid())) return;
    String detail = Violations.describe(result, p.in() == Location.PATH ? "Path parameter '" + p.name() + "'"
        : "Query parameter '" + p.name() + "'");
    throw Violations.parameter(p.in() == Location.PATH ? "invalid_id" : "invalid_parameter", p.name(), detail);
  }

  /**
   * A parameter's text as the JSON value its schema types: integers and numbers parsed, {@code true}/{@code false}
   * as booleans, a comma-separated list as an array. Text that is not of the type stays text, so that the schema
   * refuses it with its own words. (vertx-openapi's transformers decode every value as JSON first, which turns a
   * workspace named {@code 123} into a number.)
   */
  private static Object typed(Param p, String raw) {
    if ("array".equals(p.type())) {
      JsonArray items = new JsonArray();
      for (String item : raw.split(",", -1)) items.add(scalar(p.itemType(), item.trim()));
      return items;
    }
    return scalar(p.type(), raw);
  }

  private static Object scalar(String type, String raw) {
    if ("integer".equals(type) && INTEGER.matcher(raw).matches()) {
      BigInteger n = new BigInteger(raw);
      return n.bitLength() < 64 ? (Object) n.longValue() : n;
    }
    if ("number".equals(type) && NUMBER.matcher(raw).matches()) return Double.parseDouble(raw);
    if ("boolean".equals(type) && (raw.equals("true") || raw.equals("false"))) return Boolean.parseBoolean(raw);
    return raw;
  }

  /** A body as a JSON object, or a 400 saying what is wrong with it. */
  public static JsonObject decode(Buffer raw) {
    if (raw == null || raw.length() == 0) {
      throw ApiException.badRequest("missing_body", "The request needs a JSON object body.");
    }
    Object value;
    try {
      value = Json.decodeValue(raw);
    } catch (DecodeException e) {
      throw ApiException.badRequest("invalid_json", "The body is not valid JSON.");
    }
    if (!(value instanceof JsonObject object)) throw ApiException.badRequest("invalid_json", "The body must be a JSON object.");
    return object;
  }

  private List<String> queryNames() {
    List<String> names = new ArrayList<>();
    parameters.values().forEach(p -> {
      if (p.in() == Location.QUERY) names.add(p.name());
    });
    return names;
  }
}
