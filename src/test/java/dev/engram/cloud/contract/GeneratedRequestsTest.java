package dev.engram.cloud.contract;

import dev.engram.cloud.api.Contract;
import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.FakeStripe;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.pointer.JsonPointer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Property-based tests generated from openapi.yaml (a small generator over the parsed document, written here): for
 * every operation, requests whose parameters and body are drawn from the documented schemas must be answered with a
 * 2xx or a documented 4xx, and requests broken in one place (an unknown member or parameter, a missing required one,
 * a value of the wrong type or out of range, a bad id) with a 400; never a 5xx, and every answer's body must match the
 * schema documented for its status (the problem shape for errors). The seed is fixed and printed; set
 * {@code -Dengram.contract.seed=N} to replay a failure, {@code -Dengram.contract.cases=N} for more cases.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class GeneratedRequestsTest {

  private static final long SEED = Long.getLong("engram.contract.seed", 20261130L);
  private static final int CASES = Integer.getInteger("engram.contract.cases", 100);
  /** Operations that would end the session they run in, or that have no input to generate beyond the path. */
  private static final List<String> SKIPPED = List.of();

  static final String OPERATOR_TOKEN = ContractTest.OPERATOR_TOKEN;

  @RegisterExtension
  static final RunningServer server = RunningServer.with(ConfigLoader.deepMerge(TestServer.withoutRateLimits()
      .put("operator", new JsonObject().put("token", OPERATOR_TOKEN)), Stripe.FAKE.config()));

  /** Billing on, against a fake Stripe of this class's own, which lives as long as the test JVM. */
  private static final class Stripe {
    static final FakeStripe FAKE = FakeStripe.start();
  }
  static Api api;
  static Documented documented;
  static JsonObject document;
  static String key;
  static final List<Long> ids = new ArrayList<>();

  @BeforeAll
  static void given_a_tenant_with_memories() {
    System.out.println("GeneratedRequestsTest seed " + SEED + " (replay with -Dengram.contract.seed=" + SEED + ")");
    api = server.api();
    documented = Documented.load(server.config());
    document = documented.contract.document();
    key = api.signup().apiKey();
    for (int i = 0; i < 5; i++) {
      ids.add(api.createMemory(key, new JsonObject().put("content", "generated fixture " + i)
          .put("tags", new JsonArray().add("rust")).put("workspace", "backend")).getLong("id"));
    }
  }

  @TestFactory
  Stream<DynamicTest> every_operation_answers_generated_requests_as_documented() {
    Random random = new Random(SEED);
    List<DynamicTest> tests = new ArrayList<>();
    ContractTest.operations().forEach((operationId, route) -> {
      if (SKIPPED.contains(operationId)) return;
      long opSeed = random.nextLong();
      tests.add(DynamicTest.dynamicTest(operationId + " (seed " + opSeed + ")", () -> {
        Generator generator = new Generator(new Random(opSeed));
        for (int i = 0; i < CASES; i++) {
          Request valid = generator.request(operationId, route[0], route[1]);
          send(operationId, valid, false);
          Request broken = generator.broken(operationId, route[0], route[1]);
          if (broken != null) send(operationId, broken, true);
        }
      }));
    });
    return tests.stream();
  }

  private static void send(String operationId, Request request, boolean broken) {
    boolean secured = documented.contract.scope(operationId) != null;
    Map<String, String> headers = secured ? Map.of("Authorization", "Bearer " + key)
        : operator(operationId) ? Map.of("Authorization", "Bearer " + OPERATOR_TOKEN) : Map.of();
    String body = request.body == null ? null : request.body.encode();
    Api.Response r = api.send(request.method, request.path, headers, body, body == null ? null : "application/json");
    String what = (broken ? "broken (" + request.breakage + ") " : "") + request.method + " " + request.path
        + (body == null ? "" : " " + (body.length() > 300 ? body.substring(0, 300) + "…" : body));
    documented.check(operationId, r, what);
    if (broken) assertEquals(400, r.status(), () -> what + " → " + r.status() + " " + r.body());
  }

  /** Whether the operation is the platform operator's (its security requirement names the operator scheme). */
  private static boolean operator(String operationId) {
    String[] route = ContractTest.operations().get(operationId);
    JsonArray security = operation(route[0], route[1]).getJsonArray("security", new JsonArray());
    return security.stream().anyMatch(r -> ((JsonObject) r).containsKey("operator"));
  }

  /** One request: method, path with its query, JSON body (or null), and what was broken in it. */
  record Request(String method, String path, JsonObject body, String breakage) {}

  /** Draws values from the document's schemas. */
  private static final class Generator {
    private final Random random;

    Generator(Random random) {
      this.random = random;
    }

    Request request(String operationId, String method, String template) {
      return build(operationId, method, template, null);
    }

    /** A request broken in one place, or null when the operation has no input to break. */
    Request broken(String operationId, String method, String template) {
      JsonObject op = operation(method, template);
      List<String> ways = new ArrayList<>();
      for (JsonObject p : parameters(op, template)) {
        String in = p.getString("in");
        JsonObject schema = resolve(p.getJsonObject("schema"));
        if (in.equals("path") && "integer".equals(schema.getString("type"))) ways.add("path:" + p.getString("name"));
        if (in.equals("query") && "integer".equals(schema.getString("type"))) ways.add("range:" + p.getString("name"));
        if (in.equals("query") && "boolean".equals(schema.getString("type"))) ways.add("text:" + p.getString("name"));
        if (in.equals("query") && schema.containsKey("enum")) ways.add("enum:" + p.getString("name"));
      }
      if (!parameters(op, template).isEmpty() || op.containsKey("requestBody") || template.startsWith("/v1/")) {
        if (!op.getString("operationId").equals("unlink")) ways.add("unknown-parameter");
      }
      JsonObject bodySchema = bodySchema(op);
      if (bodySchema != null) {
        ways.add("unknown-member");
        if (!bodySchema.getJsonArray("required", new JsonArray()).isEmpty()) ways.add("missing-member");
        for (String name : bodySchema.getJsonObject("properties").fieldNames()) {
          JsonObject property = resolve(bodySchema.getJsonObject("properties").getJsonObject(name));
          if (property.containsKey("type")) ways.add("type:" + name);
        }
      }
      if (ways.isEmpty()) return null;
      return build(operationId, method, template, ways.get(random.nextInt(ways.size())));
    }

    private Request build(String operationId, String method, String template, String breakage) {
      JsonObject op = operation(method, template);
      String path = template;
      Map<String, String> query = new LinkedHashMap<>();
      for (JsonObject p : parameters(op, template)) {
        String name = p.getString("name");
        JsonObject schema = resolve(p.getJsonObject("schema"));
        if (p.getString("in").equals("path")) {
          String value = name.equals("id") && template.startsWith("/v1/memories")
              ? Long.toString(random.nextInt(4) > 0 ? ids.get(random.nextInt(ids.size())) : 1 + random.nextInt(1000))
              : text(value(schema, 0));
          if (("path:" + name).equals(breakage)) value = random.nextBoolean() ? "abc" : "-" + (1 + random.nextInt(9));
          path = path.replace("{" + name + "}", URLEncoder.encode(value, StandardCharsets.UTF_8));
        } else if (p.getString("in").equals("query")) {
          boolean give = p.getBoolean("required", false) || random.nextInt(3) == 0 || ("range:" + name).equals(breakage)
              || ("text:" + name).equals(breakage) || ("enum:" + name).equals(breakage);
          if (!give) continue;
          String value = text(value(schema, 0));
          if (("range:" + name).equals(breakage)) {
            value = random.nextBoolean() ? "0" : Long.toString(schema.getLong("maximum", 100L) + 1);
            if (schema.containsKey("minimum") && schema.getLong("minimum") < 1) value = "x" + value;
          }
          if (("text:" + name).equals(breakage)) value = "maybe";
          if (("enum:" + name).equals(breakage)) value = "no-such-" + name;
          query.put(name, value);
        }
      }
      if ("unknown-parameter".equals(breakage)) query.put("no_such_parameter", "1");
      JsonObject body = null;
      JsonObject bodySchema = bodySchema(op);
      boolean queryBreakage = breakage != null && !breakage.equals("unknown-member") && !breakage.equals("missing-member")
          && !breakage.startsWith("type:");
      boolean queryForm = op.getString("operationId").equals("unlink")
          && (queryBreakage || (breakage == null && random.nextBoolean()));
      if (bodySchema != null && !queryForm) {
        body = (JsonObject) value(bodySchema, 0);
        if ("unknown-member".equals(breakage)) body.put("no_such_member", 1);
        if ("missing-member".equals(breakage)) {
          JsonArray required = bodySchema.getJsonArray("required");
          body.remove(required.getString(random.nextInt(required.size())));
        }
        if (breakage != null && breakage.startsWith("type:")) {
          String name = breakage.substring(5);
          body.put(name, wrongType(resolve(bodySchema.getJsonObject("properties").getJsonObject(name))));
        }
      }
      if (op.getString("operationId").equals("unlink") && body != null) query.clear();
      if (op.getString("operationId").equals("unlink") && body == null && breakage == null) {
        query.putIfAbsent("from_id", Long.toString(ids.get(0)));
        query.putIfAbsent("to_id", Long.toString(ids.get(1)));
      }
      StringBuilder full = new StringBuilder(path);
      String sep = "?";
      for (Map.Entry<String, String> e : query.entrySet()) {
        full.append(sep).append(e.getKey()).append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
        sep = "&";
      }
      return new Request(method, full.toString(), body, breakage);
    }

    /** A value valid for {@code schema} (as far as the schema says: rules stated only in words may still refuse it). */
    private Object value(JsonObject raw, int depth) {
      JsonObject schema = resolve(raw);
      if (schema.containsKey("enum")) {
        JsonArray values = schema.getJsonArray("enum");
        return values.getValue(random.nextInt(values.size()));
      }
      if (schema.containsKey("const")) return schema.getValue("const");
      if (schema.getValue("examples") instanceof JsonArray examples && random.nextBoolean()) {
        return copy(examples.getValue(random.nextInt(examples.size())));
      }
      if (schema.containsKey("example") && random.nextInt(3) > 0) return copy(schema.getValue("example"));
      Object type = schema.getValue("type");
      if (type instanceof JsonArray types) type = types.getValue(0);
      if (type == null) return random.nextBoolean() ? new JsonObject() : "anything";
      switch ((String) type) {
        case "string":
          if ("date".equals(schema.getString("format"))) return "2026-0" + (1 + random.nextInt(9)) + "-1" + random.nextInt(9);
          int min = schema.getInteger("minLength", 0);
          int max = Math.min(schema.getInteger("maxLength", 24), 24);
          int length = Math.max(min, Math.min(max, 1 + random.nextInt(12)));
          StringBuilder s = new StringBuilder();
          for (int i = 0; i < length; i++) s.append((char) ('a' + random.nextInt(26)));
          return s.toString();
        case "integer": {
          long lo = schema.getLong("minimum", 0L);
          long hi = Math.min(schema.getLong("maximum", lo + 100), lo + 100);
          return lo + (long) (random.nextDouble() * (hi - lo + 1));
        }
        case "number": {
          double lo = schema.getDouble("minimum", 0.0);
          double hi = schema.getDouble("maximum", lo + 100);
          return lo + random.nextDouble() * (hi - lo);
        }
        case "boolean":
          return random.nextBoolean();
        case "array": {
          int lo = schema.getInteger("minItems", 0);
          int hi = Math.min(schema.getInteger("maxItems", 3), 3);
          int n = lo + random.nextInt(Math.max(1, hi - lo + 1));
          JsonArray out = new JsonArray();
          for (int i = 0; i < n && depth < 4; i++) out.add(value(schema.getJsonObject("items", new JsonObject()), depth + 1));
          return out;
        }
        case "object": {
          JsonObject out = new JsonObject();
          JsonObject properties = schema.getJsonObject("properties", new JsonObject());
          JsonArray required = schema.getJsonArray("required", new JsonArray());
          for (String name : properties.fieldNames()) {
            JsonObject property = resolve(properties.getJsonObject(name));
            boolean ignoredOrRefused = !property.containsKey("type") && !property.containsKey("enum")
                && !property.containsKey("$ref") || property.getString("description", "").contains("Refused");
            if (required.contains(name) || (!ignoredOrRefused && random.nextInt(3) == 0)) {
              out.put(name, value(property, depth + 1));
            }
          }
          return out;
        }
        default:
          return null;
      }
    }

    private Object wrongType(JsonObject schema) {
      Object type = schema.getValue("type");
      if (type instanceof JsonArray types) type = types.getValue(0);
      return switch (String.valueOf(type)) {
        case "string" -> random.nextBoolean() ? 42 : new JsonArray().add("x");
        case "integer", "number" -> random.nextBoolean() ? "high" : true;
        case "boolean" -> "yes";
        case "array" -> "a,b";
        default -> random.nextBoolean() ? 7 : "text";
      };
    }

    private static String text(Object value) {
      if (value instanceof JsonArray array) {
        List<String> items = new ArrayList<>();
        array.forEach(v -> items.add(String.valueOf(v)));
        return String.join(",", items);
      }
      return String.valueOf(value);
    }

    private static Object copy(Object value) {
      if (value instanceof JsonObject o) return o.copy();
      if (value instanceof JsonArray a) return a.copy();
      return value;
    }
  }

  private static JsonObject operation(String method, String template) {
    return document.getJsonObject("paths").getJsonObject(template).getJsonObject(method.toLowerCase());
  }

  private static List<JsonObject> parameters(JsonObject op, String template) {
    List<JsonObject> out = new ArrayList<>();
    JsonObject item = document.getJsonObject("paths").getJsonObject(template);
    item.getJsonArray("parameters", new JsonArray()).forEach(p -> out.add(resolve((JsonObject) p)));
    op.getJsonArray("parameters", new JsonArray()).forEach(p -> out.add(resolve((JsonObject) p)));
    return out;
  }

  private static JsonObject bodySchema(JsonObject op) {
    JsonObject body = op.getJsonObject("requestBody");
    if (body == null || !(body.getJsonObject("content").getValue("application/json") instanceof JsonObject json)) {
      return null;
    }
    return resolve(json.getJsonObject("schema"));
  }

  private static JsonObject resolve(JsonObject maybeRef) {
    String ref = maybeRef.getString("$ref");
    if (ref == null) return maybeRef;
    JsonObject target = resolve((JsonObject) JsonPointer.from(ref.substring(1)).queryJson(document)).copy();
    maybeRef.forEach(e -> {
      if (!e.getKey().equals("$ref")) target.put(e.getKey(), e.getValue());
    });
    return target;
  }

  static Contract contract() {
    return documented.contract;
  }
}
