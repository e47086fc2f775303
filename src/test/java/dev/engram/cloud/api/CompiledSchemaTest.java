package dev.engram.cloud.api;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.config.EngramConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.Validator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fast check of {@link CompiledSchema} never accepts a value vertx-json-schema refuses, for every request schema
 * of openapi.yaml (each operation's parameters and body), over values generated from those schemas and broken in
 * random places (wrong types, integral doubles, big numbers, blank and surrogate strings, extra and missing members);
 * and it accepts most valid ones, so that requests do take the fast path. Seed fixed and printed.
 */
class CompiledSchemaTest {

  private static final long SEED = Long.getLong("engram.contract.seed", 20261130L);
  static final List<JsonObject> schemas = new ArrayList<>();

  @BeforeAll
  static void given_every_request_schema_of_the_document() {
    Vertx vertx = Vertx.vertx();
    try {
      EngramConfig config = EngramConfig.fromJson(ConfigLoader.defaults());
      Contract contract = Contract.load(vertx, config, "http://localhost").await();
      contract.openApi().operations().forEach(op -> {
        JsonObject input = contract.inputSchema(op.getOperationId());
        schemas.add(input);
        input.getJsonObject("properties").forEach(p -> schemas.add((JsonObject) p.getValue()));
        JsonObject body = contract.bodySchema(op.getOperationId());
        if (body != null) schemas.add(body);
      });
    } finally {
      vertx.close();
    }
    System.out.println("CompiledSchemaTest seed " + SEED);
  }

  @Test
  void the_fast_check_accepts_only_what_vertx_json_schema_accepts_and_most_of_it() {
    Random random = new Random(SEED);
    int checked = 0;
    int valid = 0;
    int fast = 0;
    for (JsonObject schema : schemas) {
      CompiledSchema compiled = CompiledSchema.of(schema);
      Validator full = Validator.create(JsonSchema.of(schema.copy()), new JsonSchemaOptions()
          .setDraft(Draft.DRAFT202012).setBaseUri("https://engram.dev/test").setOutputFormat(OutputFormat.Flag));
      for (int i = 0; i < 300; i++) {
        Object value = value(schema, random, 0, i % 3 == 0);
        boolean byVertx = Boolean.TRUE.equals(full.validate(value).getValid());
        boolean certainly = compiled.certainlyValid(value);
        checked++;
        if (byVertx) valid++;
        if (certainly) fast++;
        assertTrue(!certainly || byVertx, () -> "the fast check accepts what vertx-json-schema refuses: " + value
            + " against " + schema.encode());
      }
    }
    System.out.println(checked + " values, " + valid + " valid, " + fast + " taken by the fast check");
    assertTrue(fast > valid * 0.8, "the fast check takes " + fast + " of " + valid + " valid values");
  }

  /** A value drawn from the schema; with {@code breaking}, each node may be replaced by something else. */
  private static Object value(JsonObject schema, Random random, int depth, boolean breaking) {
    if (breaking && random.nextInt(6) == 0) return odd(random);
    if (schema.getValue("enum") instanceof JsonArray values) return values.getValue(random.nextInt(values.size()));
    Object type = schema.getValue("type");
    if (type instanceof JsonArray types) type = types.getValue(random.nextInt(types.size()));
    if (type == null) return odd(random);
    switch ((String) type) {
      case "string": {
        int max = Math.min(schema.getInteger("maxLength", 12), 12);
        int min = schema.getInteger("minLength", 0);
        StringBuilder s = new StringBuilder();
        int n = Math.max(min, random.nextInt(max + 1));
        for (int i = 0; i < n; i++) s.append((char) ('a' + random.nextInt(26)));
        return s.toString();
      }
      case "integer": {
        long lo = schema.getLong("minimum", -5L);
        long hi = Math.min(schema.getLong("maximum", lo + 50), lo + 50);
        return lo + (long) (random.nextDouble() * (hi - lo + 1));
      }
      case "number":
        return schema.getDouble("minimum", 0.0) + random.nextDouble()
            * (schema.getDouble("maximum", 10.0) - schema.getDouble("minimum", 0.0));
      case "boolean":
        return random.nextBoolean();
      case "array": {
        JsonArray out = new JsonArray();
        int n = schema.getInteger("minItems", 0) + random.nextInt(3);
        for (int i = 0; i < n && depth < 5; i++) {
          out.add(value(schema.getJsonObject("items", new JsonObject()), random, depth + 1, breaking));
        }
        return out;
      }
      case "object": {
        JsonObject out = new JsonObject();
        JsonObject properties = schema.getJsonObject("properties", new JsonObject());
        JsonArray required = schema.getJsonArray("required", new JsonArray());
        for (String name : properties.fieldNames()) {
          if (required.contains(name) ? !(breaking && random.nextInt(8) == 0) : random.nextBoolean()) {
            out.put(name, depth < 5 ? value(properties.getJsonObject(name), random, depth + 1, breaking) : null);
          }
        }
        if (breaking && random.nextInt(5) == 0) out.put("unexpected", 1);
        return out;
      }
      default:
        return odd(random);
    }
  }

  /** Values that break schemas in the ways a type check or a range might miss. */
  private static Object odd(Random random) {
    return switch (random.nextInt(12)) {
      case 0 -> null;
      case 1 -> 1.0;
      case 2 -> new BigInteger("99999999999999999999");
      case 3 -> "   ";
      case 4 -> "";
      case 5 -> "\uD83D\uDE00".repeat(40);
      case 6 -> new JsonObject().put("a", 1);
      case 7 -> new JsonArray().add(1).add("x");
      case 8 -> -1L;
      case 9 -> Double.MAX_VALUE;
      case 10 -> true;
      default -> "x".repeat(100_001);
    };
  }
}
