package dev.engram.cloud.http;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one table of bad requests across every route. Each one must get the right 4xx as problem+json (status, code,
 * title, detail and the request id of the response) and must leave the tenant's data exactly as it was. Every row
 * whose operation has an MCP tool is sent through MCP too, as the same input (body members and parameters as
 * arguments), and must get the same code, as an {@code isError} result whose structured content is the problem;
 * {@link #REST_ONLY} lists the rows that cannot or need not be the same over MCP, and why.
 */
class BadInputTest {

  private static final String JSON = "application/json";
  private static final String ID = "{id}";

  /** Which credential a row sends. */
  enum Credentials { ADMIN, READ_ONLY, NONE }

  /** One bad request and the answer it must get; {@code {id}} in the path or body is an existing permanent memory. */
  record BadRequest(String what, String method, String path, String body, String contentType,
                    Credentials credentials, int status, String code) {
    @Override
    public String toString() {
      return method + " " + path + " " + what + " -> " + status;
    }
  }

  /** What must not change: stats counters, the full memory list, the links of every memory and the API keys. */
  record Snapshot(JsonObject counts, JsonObject list, List<JsonObject> links, int apiKeys) {}

  // Generous rate limits: this class sends a few hundred requests with one key in quick succession.
  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;
  static Account account;
  static String readOnlyKey;
  static long permanentId;
  static Snapshot before;

  @BeforeAll
  static void start() {
    api = server.api();
    account = api.signup();
    Api.Response key = api.post("/v1/api-keys", account.apiKey(),
        new JsonObject().put("name", "reader").put("scopes", new JsonArray().add("memories:read")));
    assertEquals(201, key.status(), key.body());
    readOnlyKey = key.json().getString("key");

    permanentId = api.createMemory(account.apiKey(), new JsonObject().put("content", "prefer tabs over spaces")
        .put("memory_type", "preference").put("tags", new JsonArray().add("style")).put("importance", 0.9))
        .getLong("id");
    long decisionId = api.createMemory(account.apiKey(), new JsonObject().put("content", "release on tuesday")
        .put("memory_type", "decision").put("workspace", "team-a")).getLong("id");
    assertEquals(200, api.post("/v1/links", account.apiKey(), new JsonObject().put("from_id", decisionId)
        .put("to_id", permanentId).put("edge_type", "supersedes")).status());
    api.createMemory(account.apiKey(), new JsonObject().put("content", "standup moved to 10am")
        .put("ttl_seconds", 86_400).put("workspace", "team-a"));

    before = snapshot();
    assertEquals(3, before.counts().getLong("total_memories"));
    assertEquals(2, before.links().stream().mapToInt(r -> r.getJsonArray("related").size()).sum(),
        "one link, seen from both ends");
    assertEquals(2, before.apiKeys());
  }

  static List<BadRequest> badRequests() {
    List<BadRequest> rows = new ArrayList<>();

    // POST /v1/memories: body shape
    rows.add(json("invalid JSON", "POST", "/v1/memories", "{\"content\": \"x\"", 400, "invalid_json"));
    rows.add(json("JSON array instead of object", "POST", "/v1/memories", "[{\"content\": \"x\"}]", 400, "invalid_json"));
    rows.add(json("JSON string instead of object", "POST", "/v1/memories", "\"remember this\"", 400, "invalid_json"));
    rows.add(json("JSON number instead of object", "POST", "/v1/memories", "42", 400, "invalid_json"));
    rows.add(json("empty body", "POST", "/v1/memories", "", 400, "missing_body"));
    rows.add(json("unknown field", "POST", "/v1/memories", q("{'content': 'x', 'colour': 'red'}"), 400, "unknown_field"));
    rows.add(raw("text/plain body", "POST", "/v1/memories", q("{'content': 'x'}"), "text/plain", 415,
        "unsupported_media_type"));
    rows.add(json("body over 1 MiB", "POST", "/v1/memories",
        new JsonObject().put("content", "x".repeat(1_048_576)).encode(), 413, "body_too_large"));

    // POST /v1/memories: fields
    rows.add(json("content missing", "POST", "/v1/memories", q("{'tags': ['a']}"), 400, "missing_field"));
    rows.add(json("content is null", "POST", "/v1/memories", q("{'content': null}"), 400, "missing_field"));
    rows.add(json("content is a number", "POST", "/v1/memories", q("{'content': 42}"), 400, "invalid_field"));
    rows.add(json("content is blank", "POST", "/v1/memories", q("{'content': '   '}"), 400, "invalid_field"));
    rows.add(json("content over 100000 chars", "POST", "/v1/memories",
        new JsonObject().put("content", "y".repeat(100_001)).encode(), 400, "invalid_field"));
    rows.add(json("tags is a string", "POST", "/v1/memories", q("{'content': 'x', 'tags': 'a,b'}"), 400, "invalid_field"));
    rows.add(json("tags contain a number", "POST", "/v1/memories", q("{'content': 'x', 'tags': ['a', 1]}"), 400,
        "invalid_field"));
    rows.add(json("tags contain a blank tag", "POST", "/v1/memories", q("{'content': 'x', 'tags': ['a', ' ']}"), 400,
        "invalid_field"));
    rows.add(json("51 tags", "POST", "/v1/memories", new JsonObject().put("content", "x")
        .put("tags", new JsonArray(IntStream.range(0, 51).mapToObj(i -> "t" + i).toList())).encode(), 400,
        "invalid_field"));
    rows.add(json("tag of 65 chars", "POST", "/v1/memories", new JsonObject().put("content", "x")
        .put("tags", new JsonArray().add("t".repeat(65))).encode(), 400, "invalid_field"));
    rows.add(json("metadata is an array", "POST", "/v1/memories", q("{'content': 'x', 'metadata': [1, 2]}"), 400,
        "invalid_field"));
    rows.add(json("importance is a string", "POST", "/v1/memories", q("{'content': 'x', 'importance': 'high'}"), 400,
        "invalid_field"));
    rows.add(json("importance 1.5", "POST", "/v1/memories", q("{'content': 'x', 'importance': 1.5}"), 400,
        "invalid_field"));
    rows.add(json("importance -0.1", "POST", "/v1/memories", q("{'content': 'x', 'importance': -0.1}"), 400,
        "invalid_field"));
    rows.add(json("ttl_seconds 0", "POST", "/v1/memories", q("{'content': 'x', 'ttl_seconds': 0}"), 400,
        "invalid_field"));
    rows.add(json("ttl_seconds negative", "POST", "/v1/memories", q("{'content': 'x', 'ttl_seconds': -60}"), 400,
        "invalid_field"));
    rows.add(json("ttl_seconds fractional 1.5", "POST", "/v1/memories", q("{'content': 'x', 'ttl_seconds': 1.5}"), 400,
        "invalid_field"));
    rows.add(json("workspace with a space", "POST", "/v1/memories", q("{'content': 'x', 'workspace': 'my project'}"),
        400, "invalid_workspace"));
    rows.add(json("reserved workspace _system", "POST", "/v1/memories", q("{'content': 'x', 'workspace': '_system'}"),
        400, "invalid_workspace"));
    rows.add(json("empty workspace", "POST", "/v1/memories", q("{'content': 'x', 'workspace': ''}"), 400,
        "invalid_workspace"));
    rows.add(json("workspace of 65 chars", "POST", "/v1/memories",
        new JsonObject().put("content", "x").put("workspace", "w".repeat(65)).encode(), 400, "invalid_workspace"));
    rows.add(json("unknown memory_type", "POST", "/v1/memories", q("{'content': 'x', 'memory_type': 'memo'}"), 400,
        "invalid_field"));
    rows.add(json("tier forever", "POST", "/v1/memories", q("{'content': 'x', 'tier': 'forever'}"), 400,
        "invalid_field"));
    rows.add(json("tier permanent with ttl_seconds", "POST", "/v1/memories",
        q("{'content': 'x', 'tier': 'permanent', 'ttl_seconds': 3600}"), 400, "ttl_on_permanent"));
    rows.add(row("with a read-only key", "POST", "/v1/memories", q("{'content': 'x'}"), JSON, Credentials.READ_ONLY,
        403, "insufficient_scope"));
    rows.add(row("without credentials", "POST", "/v1/memories", q("{'content': 'x'}"), JSON, Credentials.NONE,
        401, "missing_credentials"));

    // PATCH /v1/memories/{id} on an existing memory
    String memory = "/v1/memories/" + ID;
    rows.add(json("workspace is immutable", "PATCH", memory, q("{'workspace': 'team-b'}"), 400, "immutable_field"));
    rows.add(json("tier is immutable", "PATCH", memory, q("{'tier': 'daily'}"), 400, "immutable_field"));
    rows.add(json("empty object", "PATCH", memory, "{}", 400, "empty_update"));
    rows.add(json("only null fields", "PATCH", memory, q("{'content': null, 'tags': null}"), 400, "empty_update"));
    rows.add(json("empty body", "PATCH", memory, "", 400, "missing_body"));
    rows.add(json("single-quoted JSON", "PATCH", memory, "{'content': 'x'}", 400, "invalid_json"));
    rows.add(json("JSON array instead of object", "PATCH", memory, "[]", 400, "invalid_json"));
    rows.add(json("unknown field", "PATCH", memory, q("{'content': 'x', 'pinned': true}"), 400, "unknown_field"));
    rows.add(json("content is blank", "PATCH", memory, q("{'content': ''}"), 400, "invalid_field"));
    rows.add(json("content is a number", "PATCH", memory, q("{'content': 7}"), 400, "invalid_field"));
    rows.add(json("tags is a string", "PATCH", memory, q("{'tags': 'style'}"), 400, "invalid_field"));
    rows.add(json("metadata is an array", "PATCH", memory, q("{'metadata': []}"), 400, "invalid_field"));
    rows.add(json("importance 1.5", "PATCH", memory, q("{'importance': 1.5}"), 400, "invalid_field"));
    rows.add(json("unknown memory_type", "PATCH", memory, q("{'memory_type': 'memo'}"), 400, "invalid_field"));
    rows.add(json("ttl_seconds 0", "PATCH", memory, q("{'ttl_seconds': 0}"), 400, "invalid_field"));
    rows.add(json("ttl_seconds on a permanent memory", "PATCH", memory, q("{'ttl_seconds': 3600}"), 400,
        "ttl_on_permanent"));
    rows.add(json("valid field next to an invalid one", "PATCH", memory,
        q("{'content': 'changed', 'importance': 'high'}"), 400, "invalid_field"));
    rows.add(row("with a read-only key", "PATCH", memory, q("{'content': 'changed'}"), JSON, Credentials.READ_ONLY,
        403, "insufficient_scope"));
    rows.add(raw("text/plain body", "PATCH", memory, q("{'content': 'changed'}"), "text/plain", 415,
        "unsupported_media_type"));

    // Bad memory ids
    for (String badId : List.of("abc", "0", "-1", "1.5", "99999999999999999999")) {
      rows.add(json("bad id", "GET", "/v1/memories/" + badId, null, 400, "invalid_id"));
      rows.add(json("bad id", "DELETE", "/v1/memories/" + badId, null, 400, "invalid_id"));
    }
    rows.add(json("bad id", "PATCH", "/v1/memories/abc", q("{'content': 'x'}"), 400, "invalid_id"));
    rows.add(json("unknown id", "GET", "/v1/memories/999999", null, 404, "not_found"));
    rows.add(json("unknown id", "PATCH", "/v1/memories/999999", q("{'content': 'x'}"), 404, "not_found"));
    rows.add(json("unknown id", "DELETE", "/v1/memories/999999", null, 404, "not_found"));
    rows.add(row("without credentials", "DELETE", memory, null, JSON, Credentials.NONE, 401,
        "missing_credentials"));
    rows.add(row("with a read-only key", "DELETE", memory, null, JSON, Credentials.READ_ONLY, 403,
        "insufficient_scope"));
    rows.add(json("method not allowed", "PUT", memory, q("{'content': 'x'}"), 405, "method_not_allowed"));

    // GET /v1/memories?...
    rows.add(json("limit 0", "GET", "/v1/memories?limit=0", null, 400, "invalid_parameter"));
    rows.add(json("limit 101", "GET", "/v1/memories?limit=101", null, 400, "invalid_parameter"));
    rows.add(json("limit abc", "GET", "/v1/memories?limit=abc", null, 400, "invalid_parameter"));
    rows.add(json("unknown query parameter", "GET", "/v1/memories?sort=desc", null, 400, "unknown_parameter"));
    rows.add(json("duplicated query parameter", "GET", "/v1/memories?limit=5&limit=6", null, 400,
        "invalid_parameter"));
    rows.add(json("garbage cursor", "GET", "/v1/memories?cursor=not-a-cursor", null, 400, "invalid_cursor"));
    rows.add(json("cursor for id 0", "GET", "/v1/memories?cursor=aWQ6MA", null, 400, "invalid_cursor"));
    rows.add(json("bad workspace", "GET", "/v1/memories?workspace=my%20project", null, 400, "invalid_workspace"));
    rows.add(json("unknown memory_type", "GET", "/v1/memories?memory_type=memo", null, 400, "invalid_parameter"));
    rows.add(json("tags without a tag", "GET", "/v1/memories?tags=,,", null, 400, "invalid_parameter"));

    // POST /v1/search
    rows.add(json("query missing", "POST", "/v1/search", q("{'limit': 5}"), 400, "missing_field"));
    rows.add(json("query is a number", "POST", "/v1/search", q("{'query': 5}"), 400, "invalid_field"));
    rows.add(json("query over 1000 chars", "POST", "/v1/search",
        new JsonObject().put("query", "q".repeat(1001)).encode(), 400, "invalid_field"));
    rows.add(json("limit 0", "POST", "/v1/search", q("{'query': 'tabs', 'limit': 0}"), 400, "invalid_field"));
    rows.add(json("limit 101", "POST", "/v1/search", q("{'query': 'tabs', 'limit': 101}"), 400, "invalid_field"));
    rows.add(json("limit is a string", "POST", "/v1/search", q("{'query': 'tabs', 'limit': 'abc'}"), 400,
        "invalid_field"));
    rows.add(json("reserved workspace", "POST", "/v1/search", q("{'query': 'tabs', 'workspace': '_system'}"), 400,
        "invalid_workspace"));
    rows.add(json("unknown field", "POST", "/v1/search", q("{'query': 'tabs', 'fuzzy': true}"), 400,
        "unknown_field"));
    rows.add(json("invalid JSON", "POST", "/v1/search", "query=tabs", 400, "invalid_json"));
    rows.add(json("unknown strategy", "POST", "/v1/search", q("{'query': 'tabs', 'strategy': 'magic'}"), 400,
        "invalid_field"));
    rows.add(json("explain is a string", "POST", "/v1/search", q("{'query': 'tabs', 'explain': 'yes'}"), 400,
        "invalid_field"));
    rows.add(json("workspace and workspaces", "POST", "/v1/search",
        q("{'query': 'tabs', 'workspace': 'a', 'workspaces': ['b']}"), 400, "invalid_field"));
    rows.add(json("workspaces is a string", "POST", "/v1/search", q("{'query': 'tabs', 'workspaces': 'a'}"), 400,
        "invalid_field"));
    rows.add(json("workspaces has a bad name", "POST", "/v1/search", q("{'query': 'tabs', 'workspaces': ['a b']}"), 400,
        "invalid_workspace"));
    rows.add(json("unknown tags_mode", "POST", "/v1/search", q("{'query': 'tabs', 'tags': ['a'], 'tags_mode': 'some'}"),
        400, "invalid_field"));
    rows.add(json("tags_mode without tags", "POST", "/v1/search", q("{'query': 'tabs', 'tags_mode': 'any'}"), 400,
        "invalid_field"));
    rows.add(json("unknown tier", "POST", "/v1/search", q("{'query': 'tabs', 'tier': 'weekly'}"), 400,
        "invalid_field"));
    rows.add(json("importance_min above 1", "POST", "/v1/search", q("{'query': 'tabs', 'importance_min': 2}"), 400,
        "invalid_field"));
    rows.add(json("importance_min above importance_max", "POST", "/v1/search",
        q("{'query': 'tabs', 'importance_min': 0.8, 'importance_max': 0.2}"), 400, "invalid_field"));
    rows.add(json("created_after not a time", "POST", "/v1/search", q("{'query': 'tabs', 'created_after': 'last week'}"),
        400, "invalid_field"));
    rows.add(json("updated_before a number", "POST", "/v1/search", q("{'query': 'tabs', 'updated_before': 1700000000}"),
        400, "invalid_field"));
    rows.add(json("created_after before year 0000", "POST", "/v1/search",
        q("{'query': 'tabs', 'created_after': '-999999999-01-01T00:00:00+18:00'}"), 400, "invalid_field"));
    rows.add(json("created_before after year 9999", "POST", "/v1/search",
        q("{'query': 'tabs', 'created_before': '+10000-01-01T00:00:00Z'}"), 400, "invalid_field"));
    rows.add(json("updated_after in year 10000 in UTC", "POST", "/v1/search",
        q("{'query': 'tabs', 'updated_after': '9999-12-31T23:00:00-05:00'}"), 400, "invalid_field"));
    rows.add(json("updated_before a date in year -1", "POST", "/v1/search",
        q("{'query': 'tabs', 'updated_before': '-0001-12-31'}"), 400, "invalid_field"));
    rows.add(json("filter is an array", "POST", "/v1/search", q("{'query': 'tabs', 'filter': []}"), 400,
        "invalid_filter"));
    rows.add(json("filter with an unknown field", "POST", "/v1/search",
        q("{'query': 'tabs', 'filter': {'field': 'password', 'op': 'eq', 'value': 'x'}}"), 400, "invalid_filter"));
    rows.add(json("filter with an unknown op", "POST", "/v1/search",
        q("{'query': 'tabs', 'filter': {'field': 'importance', 'op': 'like', 'value': 1}}"), 400, "invalid_filter"));
    rows.add(json("filter op not for the field", "POST", "/v1/search",
        q("{'query': 'tabs', 'filter': {'field': 'importance', 'op': 'contains', 'value': 1}}"), 400, "invalid_filter"));
    rows.add(json("filter value of the wrong type", "POST", "/v1/search",
        q("{'query': 'tabs', 'filter': {'field': 'importance', 'op': 'gt', 'value': 'high'}}"), 400, "invalid_filter"));
    rows.add(json("filter value missing", "POST", "/v1/search",
        q("{'query': 'tabs', 'filter': {'field': 'importance', 'op': 'gt'}}"), 400, "invalid_filter"));
    rows.add(json("filter metadata path with SQL", "POST", "/v1/search",
        q("{'query': 'tabs', 'filter': {'field': 'metadata.a\\') OR 1=1 --', 'op': 'eq', 'value': 1}}"), 400,
        "invalid_filter"));
    rows.add(json("filter metadata path with an empty key", "POST", "/v1/search",
        q("{'query': 'tabs', 'filter': {'field': 'metadata.a..b', 'op': 'exists'}}"), 400, "invalid_filter"));
    rows.add(json("filter and is empty", "POST", "/v1/search", q("{'query': 'tabs', 'filter': {'and': []}}"), 400,
        "invalid_filter"));
    rows.add(json("filter node with and plus or", "POST", "/v1/search",
        q("{'query': 'tabs', 'filter': {'and': [{'field': 'tier', 'op': 'eq', 'value': 'daily'}], 'or': []}}"), 400,
        "invalid_filter"));
    rows.add(json("filter node with an unknown key", "POST", "/v1/search",
        q("{'query': 'tabs', 'filter': {'field': 'tier', 'op': 'eq', 'value': 'daily', 'not': true}}"), 400,
        "invalid_filter"));
    rows.add(json("filter nested too deep", "POST", "/v1/search", "{\"query\": \"tabs\", \"filter\": "
        + "{\"and\": [".repeat(7) + "{\"field\": \"tier\", \"op\": \"eq\", \"value\": \"daily\"}" + "]}".repeat(7) + "}",
        400, "invalid_filter"));
    rows.add(json("filter time that is not a time", "POST", "/v1/search",
        q("{'query': 'tabs', 'filter': {'field': 'created_at', 'op': 'gt', 'value': 'yesterday'}}"), 400,
        "invalid_filter"));
    rows.add(json("filter time before year 0000", "POST", "/v1/search",
        q("{'query': 'tabs', 'filter': {'field': 'created_at', 'op': 'gt', 'value': '-999999999-01-01T00:00:00+18:00'}}"),
        400, "invalid_filter"));
    rows.add(json("filter time after year 9999", "POST", "/v1/search", q("{'query': 'tabs', 'filter': {'or': ["
        + "{'field': 'tier', 'op': 'eq', 'value': 'daily'},"
        + "{'field': 'expires_at', 'op': 'lt', 'value': '+999999999-12-31T23:59:59-18:00'}]}}"), 400, "invalid_filter"));
    rows.add(json("filter exists with a string", "POST", "/v1/search",
        q("{'query': 'tabs', 'filter': {'field': 'metadata.a', 'op': 'exists', 'value': 'yes'}}"), 400,
        "invalid_filter"));
    rows.add(json("filter metadata value is an object", "POST", "/v1/search",
        q("{'query': 'tabs', 'filter': {'field': 'metadata.a', 'op': 'eq', 'value': {'b': 1}}}"), 400,
        "invalid_filter"));
    rows.add(json("query missing", "POST", "/v1/search/suggest", q("{}"), 400, "missing_field"));
    rows.add(json("unknown field", "POST", "/v1/search/suggest", q("{'query': 'tabs', 'limit': 3}"), 400,
        "unknown_field"));
    rows.add(json("query is a list", "POST", "/v1/search/suggest", q("{'query': ['tabs']}"), 400, "invalid_field"));
    rows.add(row("without credentials", "POST", "/v1/search/suggest", q("{'query': 'tabs'}"), JSON, Credentials.NONE,
        401, "missing_credentials"));

    // GET /v1/tags, /v1/memories/{id}/versions
    rows.add(json("unknown query parameter", "GET", "/v1/tags?sort=name", null, 400, "unknown_parameter"));
    rows.add(json("limit 0", "GET", "/v1/tags?limit=0", null, 400, "invalid_parameter"));
    rows.add(json("limit 101", "GET", "/v1/memories/" + ID + "/versions?limit=101", null, 400, "invalid_parameter"));
    rows.add(json("garbage cursor", "GET", "/v1/memories/" + ID + "/versions?cursor=xyz", null, 400, "invalid_cursor"));
    rows.add(row("without credentials", "GET", "/v1/tags", null, JSON, Credentials.NONE, 401, "missing_credentials"));
    rows.add(json("bad id", "GET", "/v1/memories/abc/versions", null, 400, "invalid_id"));
    rows.add(json("unknown id", "GET", "/v1/memories/999999/versions", null, 404, "not_found"));

    // GET /v1/activity
    rows.add(json("unknown timeframe", "GET", "/v1/activity?timeframe=2d", null, 400, "invalid_parameter"));
    rows.add(json("since is not a timestamp", "GET", "/v1/activity?since=yesterday", null, 400, "invalid_parameter"));
    rows.add(json("since before year 0000", "GET", "/v1/activity?since=-999999999-01-01T00:00:00%2B18:00", null, 400,
        "invalid_parameter"));
    rows.add(json("since after year 9999", "GET", "/v1/activity?since=%2B10000-01-01T00:00:00Z", null, 400,
        "invalid_parameter"));
    rows.add(json("since in year -1 in UTC", "GET", "/v1/activity?since=0000-01-01T00:00:00%2B01:00", null, 400,
        "invalid_parameter"));
    rows.add(json("since and timeframe", "GET", "/v1/activity?since=2026-01-01T00:00:00Z&timeframe=1h", null, 400,
        "invalid_parameter"));
    rows.add(json("limit 0", "GET", "/v1/activity?limit=0", null, 400, "invalid_parameter"));
    rows.add(json("unknown type", "GET", "/v1/activity?types=note,memo", null, 400, "invalid_parameter"));
    rows.add(json("reserved workspace", "GET", "/v1/activity?workspace=_system", null, 400, "invalid_workspace"));
    rows.add(json("unknown query parameter", "GET", "/v1/activity?include_types=note", null, 400, "unknown_parameter"));

    // GET /v1/workspaces, /v1/workspaces/{name}
    rows.add(json("unknown query parameter", "GET", "/v1/workspaces?sort=name", null, 400, "unknown_parameter"));
    rows.add(json("limit abc", "GET", "/v1/workspaces?limit=abc", null, 400, "invalid_parameter"));
    rows.add(json("reserved workspace", "GET", "/v1/workspaces/_system", null, 400, "invalid_workspace"));
    rows.add(json("workspace with a dot", "GET", "/v1/workspaces/a.b", null, 400, "invalid_workspace"));
    rows.add(json("workspace without memories", "GET", "/v1/workspaces/nothing-here", null, 404, "not_found"));

    // POST /v1/memories/{id}/move
    String move = "/v1/memories/" + ID + "/move";
    rows.add(json("workspace missing", "POST", move, "{}", 400, "missing_field"));
    rows.add(json("workspace with a space", "POST", move, q("{'workspace': 'my project'}"), 400, "invalid_workspace"));
    rows.add(json("workspace is a number", "POST", move, q("{'workspace': 5}"), 400, "invalid_field"));
    rows.add(json("unknown field", "POST", move, q("{'workspace': 'x', 'tier': 'daily'}"), 400, "unknown_field"));
    rows.add(json("empty body", "POST", move, "", 400, "missing_body"));
    rows.add(json("bad id", "POST", "/v1/memories/abc/move", q("{'workspace': 'x'}"), 400, "invalid_id"));
    rows.add(json("unknown id", "POST", "/v1/memories/999999/move", q("{'workspace': 'x'}"), 404, "not_found"));
    rows.add(row("with a read-only key", "POST", move, q("{'workspace': 'x'}"), JSON, Credentials.READ_ONLY, 403,
        "insufficient_scope"));

    // POST /v1/links
    rows.add(json("from_id missing", "POST", "/v1/links", q("{'to_id': {id}}"), 400, "missing_field"));
    rows.add(json("from_id is a string", "POST", "/v1/links", q("{'from_id': '1', 'to_id': {id}}"), 400,
        "invalid_field"));
    rows.add(json("from_id 0", "POST", "/v1/links", q("{'from_id': 0, 'to_id': {id}}"), 400, "invalid_field"));
    rows.add(json("unknown edge_type", "POST", "/v1/links", q("{'from_id': 999998, 'to_id': {id}, 'edge_type': 'likes'}"),
        400, "invalid_field"));
    rows.add(json("strength 2", "POST", "/v1/links", q("{'from_id': 999998, 'to_id': {id}, 'strength': 2}"), 400,
        "invalid_field"));
    rows.add(json("a memory linked to itself", "POST", "/v1/links", q("{'from_id': {id}, 'to_id': {id}}"), 400,
        "invalid_field"));
    rows.add(json("unknown field", "POST", "/v1/links", q("{'from_id': 999998, 'to_id': {id}, 'pinned': true}"), 400,
        "unknown_field"));
    rows.add(json("source_context over 1000 chars", "POST", "/v1/links", new JsonObject().put("from_id", 999998)
        .put("to_id", 1).put("source_context", "c".repeat(1001)).encode(), 400, "invalid_field"));
    rows.add(json("unknown from_id", "POST", "/v1/links", q("{'from_id': 999999, 'to_id': {id}}"), 404, "not_found"));
    rows.add(json("unknown to_id", "POST", "/v1/links", q("{'from_id': {id}, 'to_id': 999999}"), 404, "not_found"));
    rows.add(row("with a read-only key", "POST", "/v1/links", q("{'from_id': 999998, 'to_id': {id}}"), JSON,
        Credentials.READ_ONLY, 403, "insufficient_scope"));

    // DELETE /v1/links
    rows.add(json("no link named", "DELETE", "/v1/links", null, 400, "missing_parameter"));
    rows.add(json("from_id abc", "DELETE", "/v1/links?from_id=abc&to_id=1", null, 400, "invalid_parameter"));
    rows.add(json("unknown edge_type", "DELETE", "/v1/links?from_id=2&to_id=1&edge_type=likes", null, 400,
        "invalid_parameter"));
    rows.add(json("both a body and query parameters", "DELETE", "/v1/links?from_id=2",
        q("{'from_id': 2, 'to_id': 1}"), 400, "unknown_parameter"));
    rows.add(json("body without to_id", "DELETE", "/v1/links", q("{'from_id': 2}"), 400, "missing_field"));
    rows.add(json("no such link", "DELETE", "/v1/links?from_id=2&to_id=1", null, 404, "not_found"));
    rows.add(row("with a read-only key", "DELETE", "/v1/links?from_id=2&to_id=1", null, JSON, Credentials.READ_ONLY,
        403, "insufficient_scope"));

    // GET /v1/memories/{id}/related
    rows.add(json("unknown edge_type", "GET", "/v1/memories/" + ID + "/related?edge_type=likes", null, 400,
        "invalid_parameter"));
    rows.add(json("unknown query parameter", "GET", "/v1/memories/" + ID + "/related?depth=2", null, 400,
        "unknown_parameter"));
    rows.add(json("bad id", "GET", "/v1/memories/abc/related", null, 400, "invalid_id"));
    rows.add(json("unknown id", "GET", "/v1/memories/999999/related", null, 404, "not_found"));

    // GET /v1/export
    rows.add(json("reserved workspace", "GET", "/v1/export?workspace=_archive", null, 400, "invalid_workspace"));
    rows.add(json("unknown query parameter", "GET", "/v1/export?format=csv", null, 400, "unknown_parameter"));
    rows.add(row("without credentials", "GET", "/v1/export", null, JSON, Credentials.NONE, 401, "missing_credentials"));

    // POST /v1/import: the whole document is checked before anything is written
    rows.add(json("invalid JSON", "POST", "/v1/import", "{\"memories\": [", 400, "invalid_json"));
    rows.add(json("JSON array instead of a document", "POST", "/v1/import", q("[{'content': 'x'}]"), 400,
        "invalid_json"));
    rows.add(json("empty body", "POST", "/v1/import", "", 400, "missing_body"));
    rows.add(json("memories missing", "POST", "/v1/import", q("{'version': '1.0'}"), 400, "missing_field"));
    rows.add(json("memories is an object", "POST", "/v1/import", q("{'memories': {'content': 'x'}}"), 400,
        "invalid_field"));
    rows.add(json("item is a string", "POST", "/v1/import", q("{'memories': [{'content': 'ok'}, 'x']}"), 400,
        "invalid_field"));
    rows.add(json("bad importance in the middle", "POST", "/v1/import",
        q("{'memories': [{'content': 'a'}, {'content': 'b', 'importance': 'high'}, {'content': 'c'}]}"), 400,
        "invalid_field"));
    rows.add(json("blank content in the last item", "POST", "/v1/import",
        q("{'memories': [{'content': 'a'}, {'content': '  '}]}"), 400, "invalid_field"));
    rows.add(json("unknown memory_type", "POST", "/v1/import", q("{'memories': [{'content': 'a', 'memory_type': 'memo'}]}"),
        400, "invalid_field"));
    rows.add(json("bad workspace", "POST", "/v1/import", q("{'memories': [{'content': 'a', 'workspace': '_system'}]}"),
        400, "invalid_workspace"));
    rows.add(json("bad created_at", "POST", "/v1/import",
        q("{'memories': [{'content': 'a', 'created_at': 'last tuesday'}]}"), 400, "invalid_field"));
    rows.add(json("created_at before year 0000", "POST", "/v1/import",
        q("{'memories': [{'content': 'a', 'created_at': '-999999999-01-01T00:00:00+18:00'}]}"), 400, "invalid_field"));
    rows.add(json("updated_at after year 9999", "POST", "/v1/import",
        q("{'memories': [{'content': 'a', 'updated_at': '+10000-01-01T00:00:00Z'}]}"), 400, "invalid_field"));
    rows.add(json("updated_at before created_at", "POST", "/v1/import", q("{'memories': [{'content': 'a', "
        + "'created_at': '2026-02-01T00:00:00Z', 'updated_at': '2026-01-01T00:00:00Z'}]}"), 400, "invalid_field"));
    rows.add(json("unknown item field", "POST", "/v1/import", q("{'memories': [{'content': 'a', 'scope': 'global'}]}"),
        400, "unknown_field"));
    rows.add(json("unknown document field", "POST", "/v1/import", q("{'memories': [], 'format': 'engram'}"), 400,
        "unknown_field"));
    rows.add(json("unsupported version", "POST", "/v1/import", q("{'version': '2.0', 'memories': []}"), 400,
        "unsupported_version"));
    rows.add(json("memory_count does not match", "POST", "/v1/import",
        q("{'memory_count': 2, 'memories': [{'content': 'a'}]}"), 400, "invalid_field"));
    rows.add(json("skip_duplicates maybe", "POST", "/v1/import?skip_duplicates=maybe", q("{'memories': []}"), 400,
        "invalid_parameter"));
    rows.add(json("skip_duplicates is a string", "POST", "/v1/import", q("{'memories': [], 'skip_duplicates': 'no'}"),
        400, "invalid_field"));
    rows.add(json("skip_duplicates twice", "POST", "/v1/import?skip_duplicates=true",
        q("{'memories': [{'content': 'a'}], 'skip_duplicates': false}"), 400, "invalid_parameter"));
    rows.add(raw("text/plain body", "POST", "/v1/import", q("{'memories': [{'content': 'a'}]}"), "text/plain", 415,
        "unsupported_media_type"));
    rows.add(row("with a read-only key", "POST", "/v1/import", q("{'memories': [{'content': 'a'}]}"), JSON,
        Credentials.READ_ONLY, 403, "insufficient_scope"));
    rows.add(row("without credentials", "POST", "/v1/import", q("{'memories': [{'content': 'a'}]}"), JSON,
        Credentials.NONE, 401, "missing_credentials"));

    // POST /v1/project-context/scan
    String scan = "/v1/project-context/scan";
    rows.add(json("project missing", "POST", scan, q("{'files': []}"), 400, "missing_field"));
    rows.add(json("files missing", "POST", scan, q("{'project': 'p'}"), 400, "missing_field"));
    rows.add(json("blank project", "POST", scan, q("{'project': '  ', 'files': []}"), 400, "invalid_field"));
    rows.add(json("project too long", "POST", scan, q("{'project': '" + "p".repeat(57) + "', 'files': []}"), 400,
        "invalid_field"));
    rows.add(json("project is a number", "POST", scan, q("{'project': 7, 'files': []}"), 400, "invalid_field"));
    rows.add(json("files is an object", "POST", scan, q("{'project': 'p', 'files': {}}"), 400, "invalid_field"));
    rows.add(json("a file is a string", "POST", scan, q("{'project': 'p', 'files': ['CLAUDE.md']}"), 400,
        "invalid_field"));
    rows.add(json("content missing", "POST", scan, q("{'project': 'p', 'files': [{'path': 'CLAUDE.md'}]}"), 400,
        "missing_field"));
    rows.add(json("unknown file field", "POST", scan,
        q("{'project': 'p', 'files': [{'path': 'a.md', 'content': 'x', 'mode': 420}]}"), 400, "unknown_field"));
    for (String path : List.of("../CLAUDE.md", "docs/../../x", "/etc/passwd", "C:/x.md", "a\\\\b.md", "a//b.md",
        "./CLAUDE.md", "", "x".repeat(513))) {
      rows.add(json("path '" + (path.length() > 20 ? path.substring(0, 20) + "..." : path) + "'", "POST", scan,
          q("{'project': 'p', 'files': [{'path': '" + path + "', 'content': '# A\\n\\nb'}]}"), 400, "invalid_path"));
    }
    rows.add(json("the same path twice", "POST", scan, q("{'project': 'p', 'files': [{'path': 'a.md', 'content': 'x'},"
        + " {'path': 'a.md', 'content': 'y'}]}"), 400, "invalid_field"));
    rows.add(json("51 files", "POST", scan, new JsonObject().put("project", "p").put("files", new JsonArray(
        IntStream.range(0, 51).mapToObj(i -> new JsonObject().put("path", i + ".md").put("content", "x")).toList()))
        .encode(), 400, "invalid_field"));
    rows.add(json("over 8 MiB in all", "POST", scan, new JsonObject().put("project", "p").put("files", new JsonArray()
        .add(new JsonObject().put("path", "CLAUDE.md").put("content", "x".repeat(8 * 1024 * 1024 + 1)))).encode(),
        400, "scan_too_large"));
    rows.add(json("bad workspace", "POST", scan, q("{'project': 'p', 'workspace': '_x', 'files': []}"), 400,
        "invalid_workspace"));
    rows.add(json("unknown field", "POST", scan, q("{'project': 'p', 'files': [], 'path': '.'}"), 400, "unknown_field"));
    rows.add(raw("text/plain body", "POST", scan, q("{'project': 'p', 'files': []}"), "text/plain", 415,
        "unsupported_media_type"));
    rows.add(row("with a read-only key", "POST", scan, q("{'project': 'p', 'files': []}"), JSON, Credentials.READ_ONLY,
        403, "insufficient_scope"));
    rows.add(row("without credentials", "POST", scan, q("{'project': 'p', 'files': []}"), JSON, Credentials.NONE, 401,
        "missing_credentials"));

    // GET /v1/project-context
    rows.add(json("project missing", "GET", "/v1/project-context", null, 400, "missing_parameter"));
    rows.add(json("blank project", "GET", "/v1/project-context?project=%20", null, 400, "invalid_parameter"));
    rows.add(json("include_sections maybe", "GET", "/v1/project-context?project=p&include_sections=maybe", null, 400,
        "invalid_parameter"));
    rows.add(json("unknown file type", "GET", "/v1/project-context?project=p&file_types=poem", null, 400,
        "invalid_parameter"));
    rows.add(json("unknown parameter", "GET", "/v1/project-context?project=p&path=.", null, 400, "unknown_parameter"));
    rows.add(row("without credentials", "GET", "/v1/project-context?project=p", null, JSON, Credentials.NONE, 401,
        "missing_credentials"));

    // POST /v1/search with a project
    rows.add(json("blank project", "POST", "/v1/search", q("{'query': 'tabs', 'project': ''}"), 400, "invalid_field"));
    rows.add(json("project is a list", "POST", "/v1/search", q("{'query': 'tabs', 'project': ['p']}"), 400,
        "invalid_field"));

    // POST /v1/signup
    rows.add(json("bad email", "POST", "/v1/signup",
        q("{'email': 'not-an-email', 'password': 'long enough pw', 'tenant_name': 'Acme'}"), 400, "invalid_field"));
    rows.add(json("short password", "POST", "/v1/signup",
        q("{'email': 'a@example.com', 'password': 'short', 'tenant_name': 'Acme'}"), 400, "invalid_field"));
    rows.add(json("tenant_name missing", "POST", "/v1/signup",
        q("{'email': 'a@example.com', 'password': 'long enough pw'}"), 400, "missing_field"));
    rows.add(json("blank tenant_name", "POST", "/v1/signup",
        q("{'email': 'a@example.com', 'password': 'long enough pw', 'tenant_name': '  '}"), 400, "invalid_field"));
    rows.add(json("unknown field", "POST", "/v1/signup",
        q("{'email': 'a@example.com', 'password': 'long enough pw', 'tenant_name': 'Acme', 'plan': 'pro'}"), 400,
        "unknown_field"));
    rows.add(json("JSON array instead of object", "POST", "/v1/signup", "[]", 400, "invalid_json"));

    // POST /v1/auth/token
    rows.add(json("password missing", "POST", "/v1/auth/token", q("{'email': 'a@example.com'}"), 400, "missing_field"));
    rows.add(json("email is a number", "POST", "/v1/auth/token", q("{'email': 1, 'password': 'long enough pw'}"), 400,
        "invalid_field"));
    rows.add(json("invalid JSON", "POST", "/v1/auth/token", "{", 400, "invalid_json"));
    rows.add(json("unknown email", "POST", "/v1/auth/token",
        q("{'email': 'nobody@example.com', 'password': 'long enough pw'}"), 401, "invalid_login"));

    // POST /v1/api-keys
    rows.add(json("unknown scope", "POST", "/v1/api-keys", q("{'name': 'ci', 'scopes': ['memories:admin']}"), 400,
        "invalid_field"));
    rows.add(json("empty scopes list", "POST", "/v1/api-keys", q("{'name': 'ci', 'scopes': []}"), 400,
        "invalid_field"));
    rows.add(json("scopes is a string", "POST", "/v1/api-keys", q("{'name': 'ci', 'scopes': 'admin'}"), 400,
        "invalid_field"));
    rows.add(json("blank name", "POST", "/v1/api-keys", q("{'name': ' '}"), 400, "invalid_field"));
    rows.add(json("unknown field", "POST", "/v1/api-keys", q("{'name': 'ci', 'ttl': 60}"), 400, "unknown_field"));
    rows.add(row("with a read-only key", "POST", "/v1/api-keys", q("{'name': 'ci'}"), JSON, Credentials.READ_ONLY,
        403, "insufficient_scope"));

    // DELETE /v1/api-keys/{id}
    rows.add(json("malformed key id", "DELETE", "/v1/api-keys/abc", null, 400, "invalid_id"));
    rows.add(json("key id in upper case", "DELETE", "/v1/api-keys/key_ABCDEFGHIJKLMNOPQRST", null, 400, "invalid_id"));
    rows.add(json("unknown key id", "DELETE", "/v1/api-keys/key_aaaaaaaaaaaaaaaaaaaa", null, 404, "not_found"));

    // GET /v1/usage
    rows.add(json("from after to", "GET", "/v1/usage?from=2026-02-10&to=2026-02-01", null, 400, "invalid_parameter"));
    rows.add(json("bad date", "GET", "/v1/usage?from=yesterday", null, 400, "invalid_parameter"));
    rows.add(json("impossible date", "GET", "/v1/usage?to=2026-02-30", null, 400, "invalid_parameter"));
    rows.add(json("to before year 0000", "GET", "/v1/usage?to=-999999999-01-01", null, 400, "invalid_parameter"));
    rows.add(json("from after year 9999", "GET", "/v1/usage?from=%2B10000-01-01&to=%2B10000-01-02", null, 400,
        "invalid_parameter"));
    rows.add(json("range over 366 days", "GET", "/v1/usage?from=2024-01-01&to=2026-01-01", null, 400,
        "invalid_parameter"));
    rows.add(row("with a read-only key", "GET", "/v1/usage", null, JSON, Credentials.READ_ONLY, 403,
        "insufficient_scope"));

    return rows;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void is_rejected_with_a_problem_and_changes_nothing(BadRequest row) {
    String id = Long.toString(permanentId);
    Api.Response r = api.send(row.method(), row.path().replace(ID, id), headers(row),
        row.body() == null ? null : row.body().replace(ID, id), row.contentType());
    assertProblem(row, r);
    assertEquals(before, snapshot(), "the tenant's data changed after: " + row);
  }

  /**
   * Rows whose input cannot be the same over MCP, and why (the README's "Two doors" lists these differences).
   * Transport rows (no credentials, media types, malformed JSON, body size, methods) are recognized by their shape.
   */
  static final Map<String, String> REST_ONLY = Map.ofEntries(
      Map.entry("duplicated query parameter", "tool arguments are a JSON object: a name cannot repeat"),
      Map.entry("both a body and query parameters", "a tool has one set of arguments"),
      Map.entry("no link named", "memory_unlink takes the body form: missing from_id is missing_field there"),
      Map.entry("unknown query parameter /v1/activity", "include_types is recent_activity's Engram alias of types"),
      Map.entry("unknown query parameter /v1/memories/{id}/related", "depth is memory_related's Engram argument"),
      Map.entry("unknown field /v1/links", "pinned is an Engram argument memory_link accepts and ignores"),
      Map.entry("from_id abc /v1/links", "memory_unlink takes the body form: from_id is a field there"),
      Map.entry("unknown edge_type /v1/links", "memory_unlink takes the body form: edge_type is a field there"));

  /** REST operation (method and path pattern) → the MCP tool of the same operation. */
  static final Map<String, String> TOOLS = Map.ofEntries(
      Map.entry("POST /v1/memories", "memory_create"), Map.entry("GET /v1/memories", "memory_list"),
      Map.entry("GET /v1/memories/{id}", "memory_get"), Map.entry("PATCH /v1/memories/{id}", "memory_update"),
      Map.entry("DELETE /v1/memories/{id}", "memory_delete"), Map.entry("POST /v1/search", "memory_search"),
      Map.entry("POST /v1/search/suggest", "memory_search_suggest"), Map.entry("GET /v1/stats", "memory_stats"),
      Map.entry("GET /v1/tags", "memory_tags"), Map.entry("GET /v1/memories/{id}/versions", "memory_versions"),
      Map.entry("GET /v1/activity", "recent_activity"), Map.entry("GET /v1/workspaces", "workspace_list"),
      Map.entry("GET /v1/workspaces/{name}", "workspace_stats"),
      Map.entry("POST /v1/memories/{id}/move", "workspace_move"), Map.entry("POST /v1/links", "memory_link"),
      Map.entry("DELETE /v1/links", "memory_unlink"), Map.entry("GET /v1/memories/{id}/related", "memory_related"),
      Map.entry("GET /v1/export", "memory_export"), Map.entry("POST /v1/import", "memory_import"),
      Map.entry("POST /v1/project-context/scan", "memory_scan_project"),
      Map.entry("GET /v1/project-context", "memory_get_project_context"));

  /** The rows that run through MCP too. */
  static List<BadRequest> overMcp() {
    return badRequests().stream().filter(row -> mcpTwin(row, "1") != null).toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("overMcp")
  void gets_the_same_code_over_mcp_and_changes_nothing(BadRequest row) {
    String id = Long.toString(permanentId);
    JsonObject call = mcpTwin(row, id);
    String key = row.credentials() == Credentials.READ_ONLY ? readOnlyKey : account.apiKey();
    Api.Response r = api.send("POST", "/v1/mcp", Map.of("Authorization", "Bearer " + key), new JsonObject()
        .put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call").put("params", call).encode(), JSON);
    assertEquals(200, r.status(), () -> row + " over MCP: " + r.body());
    JsonObject result = r.json().getJsonObject("result");
    assertNotNull(result, () -> row + " over MCP: " + r.body());
    assertEquals(Boolean.TRUE, result.getBoolean("isError"), () -> row + " over MCP: " + r.body());
    JsonObject problem = result.getJsonObject("structuredContent");
    assertAll(row + " over MCP: " + r.body(),
        () -> assertEquals(row.code(), problem.getString("code")),
        () -> assertEquals(row.status(), problem.getInteger("status")),
        () -> assertEquals(r.header("X-Request-Id"), problem.getString("request_id")));
    assertEquals(before, snapshot(), "the tenant's data changed after, over MCP: " + row);
  }

  /**
   * The tools/call params that send the row's input to its operation's tool: the body's members and the path and
   * query parameters (typed as openapi.yaml types them) as arguments; null when the row has no MCP equivalent.
   */
  static JsonObject mcpTwin(BadRequest row, String id) {
    String path = row.path().replace(ID, "{id}");
    String query = path.contains("?") ? path.substring(path.indexOf('?') + 1) : null;
    String route = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    String pattern = route.replaceAll("^/v1/memories/[^/]+", "/v1/memories/{id}")
        .replaceAll("^/v1/workspaces/.+", "/v1/workspaces/{name}");
    String tool = TOOLS.get(row.method() + " " + pattern);
    if (tool == null || row.credentials() == Credentials.NONE || row.status() == 405 || row.status() == 413
        || row.status() == 415 || REST_ONLY.containsKey(row.what())
        || REST_ONLY.containsKey(row.what() + " " + pattern)) {
      return null;
    }
    JsonObject args = new JsonObject();
    if (row.body() != null && row.body().length() > 1_000_000) return null; // over MCP's body limit: a 413
    if (row.body() != null && !row.body().isEmpty()) {
      Object body;
      try {
        body = io.vertx.core.json.Json.decodeValue(row.body().replace(ID, id));
      } catch (io.vertx.core.json.DecodeException e) {
        return null; // malformed JSON is the transport's
      }
      if (!(body instanceof JsonObject members)) return null;
      if (tool.equals("memory_import")) args.put("data", members);
      else args.mergeIn(members);
    } else if (row.body() != null) {
      return null; // an empty body is the transport's
    }
    if (pattern.contains("{id}")) args.put("id", typed(route.split("/")[3].replace("{id}", id)));
    if (pattern.endsWith("{name}")) args.put("workspace", route.substring("/v1/workspaces/".length()));
    if (query != null) {
      for (String pair : query.split("&")) {
        String[] kv = pair.split("=", 2);
        String value = java.net.URLDecoder.decode(kv[1], java.nio.charset.StandardCharsets.UTF_8);
        if (Set.of("tags", "types", "file_types").contains(kv[0])) {
          args.put(kv[0], new JsonArray(List.of(value.split(",", -1))));
        } else {
          args.put(kv[0], typed(value));
        }
      }
    }
    return new JsonObject().put("name", tool).put("arguments", args);
  }

  /** A parameter's text as the JSON value an agent would send: integers, numbers and booleans as such. */
  private static Object typed(String value) {
    if (value.matches("-?[0-9]{1,18}")) return Long.parseLong(value);
    if (value.matches("-?[0-9]+")) return new java.math.BigInteger(value);
    if (value.matches("-?[0-9]+\\.[0-9]+")) return Double.parseDouble(value);
    if (value.equals("true") || value.equals("false")) return Boolean.parseBoolean(value);
    return value;
  }

  /** The response is the expected 4xx as problem+json, naming itself by the response's request id. */
  private static void assertProblem(BadRequest row, Api.Response r) {
    assertEquals(row.status(), r.status(), () -> row + ": got " + r.status() + " " + r.body());
    String contentType = r.header("Content-Type");
    assertTrue(contentType != null && contentType.startsWith("application/problem+json"),
        () -> row + ": Content-Type was " + contentType);
    JsonObject problem = r.json();
    String requestId = r.header("X-Request-Id");
    assertAll(row + ": " + r.body(),
        () -> assertInstanceOf(Integer.class, problem.getValue("status"), "status is an integer"),
        () -> assertEquals(r.status(), problem.getValue("status")),
        () -> assertEquals(row.code(), problem.getValue("code")),
        () -> assertNonEmptyString(problem, "title"),
        () -> assertNonEmptyString(problem, "detail"),
        () -> assertNotNull(requestId, "X-Request-Id header"),
        () -> assertEquals(requestId, problem.getValue("request_id")));
  }

  private static void assertNonEmptyString(JsonObject json, String field) {
    Object value = json.getValue(field);
    assertInstanceOf(String.class, value, field + " is a string");
    assertTrue(!((String) value).isBlank(), field + " is not blank");
  }

  private static Snapshot snapshot() {
    String key = account.apiKey();
    Api.Response stats = ok(api.get("/v1/stats", key));
    JsonObject counts = new JsonObject().put("total_memories", stats.json().getValue("total_memories"));
    stats.json().fieldNames().stream().filter(f -> f.startsWith("by_")).sorted()
        .forEach(f -> counts.put(f, stats.json().getValue(f)));
    JsonObject list = ok(api.get("/v1/memories?limit=100", key)).json();
    List<JsonObject> links = list.getJsonArray("data").stream()
        .map(m -> ok(api.get("/v1/memories/" + ((JsonObject) m).getLong("id") + "/related", key)).json())
        .toList();
    int keys = ok(api.get("/v1/api-keys", key)).json().getJsonArray("data").size();
    return new Snapshot(counts, list, links, keys);
  }

  private static Api.Response ok(Api.Response r) {
    assertEquals(200, r.status(), r.body());
    return r;
  }

  private static Map<String, String> headers(BadRequest row) {
    return switch (row.credentials()) {
      case ADMIN -> Map.of("Authorization", "Bearer " + account.apiKey());
      case READ_ONLY -> Map.of("Authorization", "Bearer " + readOnlyKey);
      case NONE -> Map.of();
    };
  }

  /** A row with a JSON content type (when there is a body), authenticated as the admin unless the route is public. */
  private static BadRequest json(String what, String method, String path, String body, int status, String code) {
    Credentials credentials = path.startsWith("/v1/signup") || path.startsWith("/v1/auth/") ? Credentials.NONE
        : Credentials.ADMIN;
    return row(what, method, path, body, JSON, credentials, status, code);
  }

  private static BadRequest raw(String what, String method, String path, String body, String contentType, int status,
                                String code) {
    return row(what, method, path, body, contentType, Credentials.ADMIN, status, code);
  }

  private static BadRequest row(String what, String method, String path, String body, String contentType,
                                Credentials credentials, int status, String code) {
    return new BadRequest(what, method, path, body, contentType, credentials, status, code);
  }

  /** JSON written with single quotes, for readability. */
  private static String q(String singleQuoted) {
    return singleQuoted.replace('\'', '"');
  }
}
