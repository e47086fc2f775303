package dev.engram.cloud.contract;

import dev.engram.cloud.api.Contract;
import dev.engram.cloud.testing.Api;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks an answer against what openapi.yaml documents for its operation: the status, and the body's schema. */
final class Documented {

  final Contract contract;

  private Documented(Contract contract) {
    this.contract = contract;
  }

  static Documented load(dev.engram.cloud.config.EngramConfig config) {
    Vertx vertx = Vertx.vertx();
    try {
      return new Documented(Contract.load(vertx, config, "http://localhost:" + config.port()).await());
    } finally {
      vertx.close();
    }
  }

  /** The answer's status is one the operation documents, and its body validates against that status's schema. */
  void check(String operationId, Api.Response r, String what) {
    assertTrue(r.status() < 500,
        () -> what + ": a server error " + r.status() + " " + r.body());
    assertTrue(contract.statuses(operationId).contains(r.status()),
        () -> what + ": status " + r.status() + " is not documented for " + operationId + ": " + r.body());
    String type = r.header("Content-Type");
    if (r.status() == 204) return;
    assertNotNull(type, what + ": no Content-Type");
    String mediaType = type.split(";")[0].trim();
    JsonObject schema = contract.responseSchema(operationId, r.status(), mediaType);
    assertNotNull(schema, () -> what + ": " + operationId + " documents no " + mediaType + " body for " + r.status());
    List<String> problems = new ArrayList<>();
    if (mediaType.equals("application/x-ndjson")) {
      // JSON Lines: the schema is each line's.
      r.body().lines().forEach(line -> problems.addAll(violations(schema, Json.decodeValue(line))));
    } else {
      problems.addAll(violations(schema, mediaType.endsWith("json") ? Json.decodeValue(r.body()) : r.body()));
    }
    assertTrue(problems.isEmpty(), () -> what + ": the " + r.status() + " answer does not match the documented "
        + "schema: " + problems + "\n" + (r.body().length() > 2000 ? r.body().substring(0, 2000) + "…" : r.body()));
  }

  static List<String> violations(JsonObject schema, Object value) {
    OutputUnit result = Validator.create(JsonSchema.of(schema.copy()), new JsonSchemaOptions()
        .setDraft(Draft.DRAFT202012).setBaseUri("https://engram.dev/test").setOutputFormat(OutputFormat.Basic))
        .validate(value);
    List<String> out = new ArrayList<>();
    if (Boolean.TRUE.equals(result.getValid())) return out;
    if (result.getErrors() != null) {
      result.getErrors().forEach(e -> out.add(e.getInstanceLocation() + " " + e.getKeywordLocation() + ": " + e.getError()));
    }
    if (out.isEmpty()) out.add(String.valueOf(result.getError()));
    return out;
  }
}
