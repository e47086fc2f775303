package dev.engram.cloud.http;

import dev.engram.cloud.testing.AccessLogCapture;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.RawHttp;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A body that is not JSON where JSON is expected (what {@code curl -d} sends: a form) is 415 before anything parses
 * it, at any size, with or without credentials; and the access log records the status the client got, including
 * answers written by error handlers and failures while reading a body.
 */
@Timeout(120)
class NonJsonBodyTest {

  static TestServer server;
  static Api api;
  static Account account;
  static AccessLogCapture log;
  static long memoryId;

  record Case(String method, String path, String contentType, int size, boolean credentials) {
    @Override
    public String toString() {
      return method + " " + path + " " + contentType + " " + size + " B" + (credentials ? " with a key" : "");
    }
  }

  @BeforeAll
  static void start() {
    server = TestServer.start(TestServer.withoutRateLimits());
    api = server.api();
    account = api.signup();
    memoryId = api.createMemory(account.apiKey(), new JsonObject().put("content", "kept")).getLong("id");
    log = AccessLogCapture.start();
  }

  @AfterAll
  static void stop() {
    log.close();
    server.close();
  }

  static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    String[][] routes = {{"POST", "/v1/memories"}, {"PATCH", "/v1/memories/ID"}, {"POST", "/v1/search"},
        {"POST", "/v1/import"}, {"POST", "/v1/project-context/scan"}, {"POST", "/v1/signup"},
        {"POST", "/v1/auth/token"}, {"POST", "/v1/api-keys"}, {"POST", "/v1/mcp"}, {"POST", "/mcp"}};
    for (String[] route : routes) {
      for (String type : new String[] {"application/x-www-form-urlencoded", "text/plain", "application/xml"}) {
        for (int size : new int[] {20, 3000, 20000}) {
          for (boolean credentials : new boolean[] {false, true}) {
            cases.add(new Case(route[0], route[1], type, size, credentials));
          }
        }
      }
    }
    return cases;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void a_non_json_body_is_415_and_logged_as_415(Case c) {
    String requestId = "req_" + UUID.randomUUID().toString().replace("-", "");
    Map<String, String> headers = new HashMap<>(Map.of("X-Request-Id", requestId));
    if (c.credentials()) headers.put("Authorization", "Bearer " + account.apiKey());
    // What `curl -d '{"content": …}'` sends: JSON text labelled as a form.
    String body = "{\"content\":\"" + "a".repeat(c.size() - 14) + "\"}";
    Api.Response r = api.send(c.method(), c.path().replace("ID", Long.toString(memoryId)), headers, body,
        c.contentType());
    assertEquals(415, r.status(), r.body());
    assertTrue(r.header("Content-Type").startsWith("application/problem+json"), r.header("Content-Type"));
    assertEquals("unsupported_media_type", r.json().getString("code"));
    assertEquals(415, log.line(requestId).getInteger("status"), "the access log says what the client got");
  }

  @Test
  void a_huge_form_body_is_415_before_it_is_read_and_the_connection_is_closed() {
    String requestId = "req_huge_form";
    try (RawHttp http = RawHttp.connect(server.config().port())) {
      http.head("POST", "/v1/memories", Map.of("Authorization", "Bearer " + account.apiKey(),
          "Content-Type", "application/x-www-form-urlencoded", "Content-Length", Long.toString(40L << 20),
          "X-Request-Id", requestId));
      http.send("content=".concat("a".repeat(60_000)).getBytes());
      RawHttp.Response r = http.response(Duration.ofSeconds(10));
      assertEquals(415, r.status(), "not 413: the media type is wrong whatever the size");
      assertTrue(http.closedByServer(Duration.ofSeconds(10)), "the unread body is not waited for");
    }
    assertEquals(415, log.line(requestId).getInteger("status"));
  }

  @Test
  void a_multipart_body_on_a_json_route_is_415() {
    String boundary = "b" + UUID.randomUUID();
    Api.Response r = api.send("POST", "/v1/memories", Map.of("Authorization", "Bearer " + account.apiKey()),
        "--" + boundary + "\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\nx\r\n--" + boundary + "--\r\n",
        "multipart/form-data; boundary=" + boundary);
    assertEquals(415, r.status(), r.body());
  }

  @Test
  void a_json_body_with_a_charset_is_accepted() {
    Api.Response utf8 = api.send("POST", "/v1/memories", Map.of("Authorization", "Bearer " + account.apiKey()),
        new JsonObject().put("content", "with charset").encode(), "application/json; charset=utf-8");
    assertEquals(201, utf8.status(), utf8.body());
  }

  @Test
  void an_over_long_multipart_form_field_on_import_is_400_and_logged_as_400() {
    String boundary = "b" + UUID.randomUUID();
    String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"skip_duplicates\"\r\n\r\n"
        + "t".repeat(100_000) + "\r\n--" + boundary + "--\r\n";
    String requestId = "req_long_field";
    try (RawHttp http = RawHttp.connect(server.config().port())) {
      http.head("POST", "/v1/import", Map.of("Authorization", "Bearer " + account.apiKey(), "X-Request-Id", requestId,
          "Content-Type", "multipart/form-data; boundary=" + boundary, "Content-Length", Integer.toString(body.length())));
      http.send(body.getBytes());
      RawHttp.Response r = http.response(Duration.ofSeconds(10));
      assertEquals(400, r.status(), r.body());
      assertEquals("invalid_form", new JsonObject(r.body()).getString("code"));
    }
    assertEquals(400, log.line(requestId).getInteger("status"));
  }

  @Test
  void answers_from_error_handlers_are_logged_with_their_status() {
    Map<String, Integer> expected = new HashMap<>();
    String notFound = "req_unmatched";
    expected.put(notFound, api.send("GET", "/no/such/route", Map.of("X-Request-Id", notFound), null, null).status());
    String tooLarge = "req_too_large";
    try (RawHttp http = RawHttp.connect(server.config().port())) {
      http.head("POST", "/v1/memories", Map.of("Authorization", "Bearer " + account.apiKey(), "X-Request-Id", tooLarge,
          "Content-Type", "application/json", "Content-Length", Integer.toString(2 << 20)));
      http.send("{\"content\":\"".getBytes());
      expected.put(tooLarge, http.response(Duration.ofSeconds(10)).status());
    }
    String unauthenticated = "req_no_key";
    expected.put(unauthenticated, api.send("POST", "/v1/memories", Map.of("X-Request-Id", unauthenticated),
        new JsonObject().put("content", "x").encode(), "application/json").status());
    assertEquals(404, expected.get(notFound));
    assertEquals(413, expected.get(tooLarge));
    assertEquals(401, expected.get(unauthenticated));
    expected.forEach((id, status) -> assertEquals(status, log.line(id).getInteger("status"), id));
  }
}
