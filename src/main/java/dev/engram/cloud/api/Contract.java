package dev.engram.cloud.api;

import dev.engram.cloud.config.EngramConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.pointer.JsonPointer;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code openapi.yaml}, the one source of the REST contract, as this server runs it: the limits that come from
 * configuration and the server's own URL are written into the document (so the served document, the REST validation and the MCP input schemas
 * all carry the configured values), then vertx-openapi parses it. Each operation's input rules are compiled once
 * ({@link OperationInput}); MCP tools take their input schemas from here too.
 */
@SuppressWarnings("unchecked")
public final class Contract {

  private static final String RESOURCE = "/openapi.yaml";
  private static final String DEFAULT_STRATEGY = "/components/schemas/SearchRequest/properties/strategy/default";
  private static final Map<List<Object>, Contract> LOADED = new java.util.concurrent.ConcurrentHashMap<>();

  private final JsonObject document;
  private final OpenAPIContract contract;
  private final String yaml;
  private final Map<String, OperationInput> inputs = new LinkedHashMap<>();

  private Contract(JsonObject document, OpenAPIContract contract) {
    this.document = document;
    this.contract = contract;
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setWidth(120);
    this.yaml = new Yaml(options).dump(document.getMap());
    for (Operation operation : contract.operations()) {
      String id = operation.getOperationId();
      inputs.put(id, new OperationInput(operation, contract.getSchemaRepository(), inputSchema(id), bodySchema(id)));
    }
  }

  /**
   * Reads the document, writes the configured limits and default search strategy into it and parses it; once per
   * configuration in a process (every HTTP verticle, and every server a test starts, shares it: it is immutable).
   */
  public static Future<Contract> load(Vertx vertx, EngramConfig config, String serverUrl) {
    EngramConfig.Memories limits = config.memories();
    String strategy = config.search().defaultStrategy().wireName();
    List<Object> key = List.of(limits, strategy, serverUrl);
    Contract loaded = LOADED.get(key);
    if (loaded != null) return Future.succeededFuture(loaded);
    JsonObject document = withLimits(read(), limits);
    // the engine applies the configured default (a request without a strategy reaches it as such); this says which
    JsonPointer.from(DEFAULT_STRATEGY).writeJson(document, strategy);
    document.put("servers", new JsonArray().add(new JsonObject().put("url", serverUrl)));
    return OpenAPIContract.from(vertx, forVertxOpenApi(document.copy())).map(parsed -> {
      Contract contract = new Contract(document, parsed);
      Contract first = LOADED.putIfAbsent(key, contract);
      return first != null ? first : contract;
    });
  }

  /** The document as written, with the default limits (tests and tools that need no server). */
  public static JsonObject read() {
    try (InputStream in = Contract.class.getResourceAsStream(RESOURCE)) {
      if (in == null) throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      Object parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
      // Through JSON text, so that every nested map and list becomes a JsonObject or JsonArray.
      return new JsonObject(Json.encode(parsed));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The one table of configured limits in the contract: each JSON pointer of the document and the setting it
   * takes. A limit the schema cannot express (metadata bytes) is checked by the operation's parser instead.
   */
  static JsonObject withLimits(JsonObject document, EngramConfig.Memories limits) {
    Map<String, Integer> values = new LinkedHashMap<>();
    values.put("/components/schemas/Content/maxLength", limits.maxContentChars());
    values.put("/components/schemas/Tags/maxItems", limits.maxTags());
    values.put("/components/schemas/Tag/maxLength", limits.maxTagChars());
    values.put("/components/parameters/ListLimit/schema/maximum", limits.listMaxLimit());
    values.put("/components/schemas/SearchRequest/properties/limit/maximum", limits.searchMaxLimit());
    for (String path : new String[] {"/v1/memories/{id}/versions", "/v1/memories/{id}/related", "/v1/tags",
        "/v1/workspaces"}) {
      JsonArray parameters = document.getJsonObject("paths").getJsonObject(path).getJsonObject("get")
          .getJsonArray("parameters");
      for (int i = 0; i < parameters.size(); i++) {
        if ("limit".equals(parameters.getJsonObject(i).getString("name"))) {
          values.put("/paths/" + path.replace("~", "~0").replace("/", "~1") + "/get/parameters/" + i
              + "/schema/maximum", limits.listMaxLimit());
        }
      }
    }
    values.forEach((pointer, value) -> {
      JsonPointer p = JsonPointer.from(pointer);
      if (p.queryJson(document) == null) throw new IllegalStateException("openapi.yaml has no " + pointer);
      p.writeJson(document, value);
    });
    return document;
  }

  /**
   * The copy vertx-openapi parses. Version 5.0 refuses a document whose responses use a media type it cannot
   * validate (RFC 9457's {@code application/problem+json}, {@code application/yaml}, JSON Lines'
   * {@code application/x-ndjson}); it only needs the requests,
   * so its copy names those responses' bodies by types it knows. And its router would put authentication handlers of
   * its own in front of every secured operation: this server authenticates (from the headers, before the body is
   * read) with its own handlers, so the copy states no security (the scopes are read from {@link #scope}). The
   * served document keeps all of it.
   */
  private static JsonObject forVertxOpenApi(JsonObject document) {
    List<JsonObject> responses = new ArrayList<>();
    document.remove("security");
    document.getJsonObject("components").getJsonObject("responses").forEach(e -> responses.add((JsonObject) e.getValue()));
    document.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).forEach(method -> {
      if (method.getValue() instanceof JsonObject op) op.remove("security");
      if (method.getValue() instanceof JsonObject op && op.getValue("responses") instanceof JsonObject r) {
        r.forEach(e -> responses.add((JsonObject) e.getValue()));
      }
    }));
    for (JsonObject response : responses) {
      JsonObject content = response.getJsonObject("content");
      if (content == null) continue;
      Object problem = content.remove("application/problem+json");
      if (problem != null) content.put("application/json", problem);
      Object yaml = content.remove("application/yaml");
      if (yaml != null) content.put("text/plain", yaml);
      Object lines = content.remove("application/x-ndjson");
      if (lines != null) content.put("application/json", lines);
    }
    return document;
  }

  /** The rules of one operation's input (path, query, body), compiled. */
  public OperationInput input(String operationId) {
    OperationInput input = inputs.get(operationId);
    if (input == null) throw new IllegalArgumentException("openapi.yaml has no operation " + operationId);
    return input;
  }

  /**
   * The JSON Schema (2020-12) of an operation's input as one object: its path and query parameters and its JSON
   * body's members, with every reference to a component inlined, so that an MCP tool's {@code inputSchema} is the
   * operation's own rules (the tool may add Engram's aliases). Only JSON Schema keywords are kept.
   */
  public JsonObject inputSchema(String operationId) {
    JsonObject op = operation(operationId);
    JsonObject properties = new JsonObject();
    JsonArray required = new JsonArray();
    List<Object> parameters = new ArrayList<>();
    document.getJsonObject("paths").forEach(e -> {
      JsonObject item = (JsonObject) e.getValue();
      boolean holds = item.fieldNames().stream().anyMatch(method -> item.getValue(method) instanceof JsonObject o
          && operationId.equals(o.getString("operationId")));
      if (holds) parameters.addAll(item.getJsonArray("parameters", new JsonArray()).getList());
    });
    parameters.addAll(op.getJsonArray("parameters", new JsonArray()).getList());
    for (Object raw : parameters) {
      JsonObject p = inline(raw instanceof JsonObject o ? o : new JsonObject((Map<String, Object>) raw));
      JsonObject schema = p.getJsonObject("schema").copy();
      if (p.containsKey("description")) schema.put("description", p.getString("description"));
      properties.put(p.getString("name"), schema);
      if (p.getBoolean("required", false)) required.add(p.getString("name"));
    }
    JsonObject body = op.getJsonObject("requestBody");
    if (body != null) {
      JsonObject schema = inline(body.getJsonObject("content").getJsonObject("application/json").getJsonObject("schema"));
      schema.getJsonObject("properties").forEach(e -> properties.put(e.getKey(), e.getValue()));
      schema.getJsonArray("required", new JsonArray()).forEach(name -> {
        if (!required.contains(name)) required.add(name);
      });
    }
    return new JsonObject().put("type", "object").put("properties", properties).put("required", required)
        .put("additionalProperties", false);
  }

  /**
   * The scope an operation needs: the one its security requirement names ({@code bearer: [memories:write]}), or null
   * for a public operation.
   */
  public String scope(String operationId) {
    JsonArray security = operation(operationId).getJsonArray("security", document.getJsonArray("security"));
    for (Object requirement : security) {
      for (Object scopes : ((JsonObject) requirement).getMap().values()) {
        List<?> names = scopes instanceof JsonArray a ? a.getList() : (List<?>) scopes;
        if (!names.isEmpty()) return (String) names.get(0);
      }
    }
    return null;
  }

  /** The schema of an operation's JSON body with its references inlined, or null when it takes none. */
  public JsonObject bodySchema(String operationId) {
    JsonObject body = operation(operationId).getJsonObject("requestBody");
    if (body == null || !(body.getJsonObject("content").getValue("application/json") instanceof JsonObject json)) {
      return null;
    }
    return inline(json.getJsonObject("schema"));
  }

  /** A component schema with its references inlined (MCP tools built from the document). */
  public JsonObject schema(String component) {
    return inline(new JsonObject().put("$ref", "#/components/schemas/" + component));
  }

  /**
   * The documented schema of an operation's answer with {@code status} in {@code mediaType} (references inlined),
   * or null when the document states none (the contract tests validate answers with it).
   */
  public JsonObject responseSchema(String operationId, int status, String mediaType) {
    JsonObject responses = operation(operationId).getJsonObject("responses");
    Object response = responses.getValue(Integer.toString(status));
    if (response == null) return null;
    JsonObject resolved = inline((JsonObject) response);
    JsonObject content = resolved.getJsonObject("content");
    if (content == null || !(content.getValue(mediaType) instanceof JsonObject media)) return null;
    return media.getJsonObject("schema");
  }

  /** The statuses an operation documents. */
  public List<Integer> statuses(String operationId) {
    return operation(operationId).getJsonObject("responses").fieldNames().stream().map(Integer::parseInt).toList();
  }

  private JsonObject operation(String operationId) {
    for (Object item : document.getJsonObject("paths").getMap().values()) {
      JsonObject pathItem = item instanceof JsonObject o ? o : new JsonObject((Map<String, Object>) item);
      for (String method : pathItem.fieldNames()) {
        if (pathItem.getValue(method) instanceof JsonObject op && operationId.equals(op.getString("operationId"))) {
          return op;
        }
      }
    }
    throw new IllegalArgumentException("openapi.yaml has no operation " + operationId);
  }

  /** A copy with every {@code $ref} replaced by what it names (siblings of the reference win), OpenAPI-only keys left out. */
  private JsonObject inline(JsonObject schema) {
    JsonObject out = new JsonObject();
    String ref = schema.getString("$ref");
    if (ref != null) out.mergeIn(inline((JsonObject) JsonPointer.from(ref.substring(1)).queryJson(document)));
    schema.forEach(e -> {
      if (e.getKey().equals("$ref") || e.getKey().equals("example")) return;
      out.put(e.getKey(), inlineValue(e.getValue()));
    });
    return out;
  }

  private Object inlineValue(Object value) {
    if (value instanceof JsonObject o) return inline(o);
    if (value instanceof Map<?, ?> m) return inline(new JsonObject((Map<String, Object>) m));
    if (value instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      a.forEach(v -> out.add(inlineValue(v)));
      return out;
    }
    if (value instanceof List<?> l) return inlineValue(new JsonArray((List<Object>) l));
    return value;
  }

  public OpenAPIContract openApi() {
    return contract;
  }

  /** The document as served at {@code /openapi.json}. */
  public JsonObject document() {
    return document;
  }

  public String yaml() {
    return yaml;
  }
}
