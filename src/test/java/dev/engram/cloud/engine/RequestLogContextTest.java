package dev.engram.cloud.engine;

import dev.engram.cloud.engine.EngineMessages.Create;
import dev.engram.cloud.engine.EngineMessages.Stats;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.LogCapture;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With tracing off (no OTLP endpoint), the lines a request leaves in the log — the engine's, written on its worker
 * thread, the HTTP layer's and the access log's — carry the same trace, request and tenant ids, and never the caller's
 * credentials.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RequestLogContextTest {

  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CALLER_SPAN = "00f067aa0ba902b7";
  private static TestServer server;
  private static Api api;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    api = server.api();
  }

  @AfterEach
  void removeTheInjectedFailure() {
    TenantEngineVerticle.afterWork = cmd -> {};
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void a_write_batch_and_the_http_layer_log_with_the_same_ids_in_the_callers_trace() {
    Api.Account account = api.signup();
    try (LogCapture logs = LogCapture.start()) {
      TenantEngineVerticle.afterWork = cmd -> {
        if (RequestLogContextTest.is(cmd, Create.class)) throw new IllegalStateException("injected");
      };
      Api.Response r = api.send("POST", "/v1/memories", Map.of("Authorization", "Bearer " + account.apiKey(),
          "X-Request-Id", "req-log-write", "traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-01"),
          new JsonObject().put("content", "a note").encode(), "application/json");
      assertEquals(500, r.status());

      JsonObject engine = logs.await("the engine's line", l -> l.getString("message", "").startsWith("engine command")
          && "req-log-write".equals(l.getString("request_id")));
      JsonObject http = logs.await("the HTTP layer's line", l -> l.getString("message", "").startsWith("unhandled")
          && "req-log-write".equals(l.getString("request_id")));
      JsonObject access = logs.await("the access-log line", l -> "request".equals(l.getString("message"))
          && "req-log-write".equals(l.getString("request_id")));
      assertTrue(engine.getString("thread_name").contains("engram-engines"), engine.encode());
      for (JsonObject line : new JsonObject[] {engine, http, access}) {
        assertEquals(TRACE, line.getString("trace_id"), line.encode());
        assertEquals(account.tenantId(), line.getString("tenant_id"), line.encode());
        assertTrue(line.getString("span_id").matches("[0-9a-f]{16}"), line.encode());
        assertNotEquals(CALLER_SPAN, line.getString("span_id"), "our span is a child of the caller's");
      }
      assertEquals(http.getString("span_id"), engine.getString("span_id"));
      assertEquals(http.getString("span_id"), access.getString("span_id"));
      assertNoSecret(logs, account);
    }
  }

  @Test
  void a_read_on_a_reader_thread_logs_with_the_ids_of_its_request_and_a_new_trace() {
    Api.Account account = api.signup();
    try (LogCapture logs = LogCapture.start()) {
      TenantEngineVerticle.afterWork = cmd -> {
        if (RequestLogContextTest.is(cmd, Stats.class)) throw new IllegalStateException("injected");
      };
      Api.Response r = api.send("GET", "/v1/stats", Map.of("X-API-Key", account.apiKey(), "X-Request-Id",
          "req-log-read", "traceparent", "not a traceparent"), null, null);
      assertEquals(500, r.status());

      JsonObject engine = logs.await("the engine's line", l -> l.getString("message", "").startsWith("engine command")
          && "req-log-read".equals(l.getString("request_id")));
      JsonObject access = logs.await("the access-log line", l -> "request".equals(l.getString("message"))
          && "req-log-read".equals(l.getString("request_id")));
      assertTrue(engine.getString("trace_id").matches("[0-9a-f]{32}"), "a new W3C trace id: " + engine.encode());
      assertEquals(access.getString("trace_id"), engine.getString("trace_id"));
      assertEquals(access.getString("span_id"), engine.getString("span_id"));
      assertEquals(account.tenantId(), engine.getString("tenant_id"));
      assertNoSecret(logs, account);
    }
  }

  @Test
  void a_line_written_outside_any_request_carries_no_request_ids() {
    Api.Account account = api.signup();
    try (LogCapture logs = LogCapture.start()) {
      api.get("/v1/stats", account.apiKey());
      org.slf4j.LoggerFactory.getLogger("engram.test").info("outside any request");
      JsonObject outside = logs.await("the line", l -> "outside any request".equals(l.getString("message")));
      assertFalse(outside.containsKey("request_id"), outside.encode());
      assertFalse(outside.containsKey("trace_id"), outside.encode());
    }
  }

  private static void assertNoSecret(LogCapture logs, Api.Account account) {
    for (JsonObject line : logs.all()) {
      String text = line.encode();
      assertFalse(text.contains(account.apiKey()), "the API key is in a log line: " + text);
      assertFalse(text.contains(account.password()), "the password is in a log line: " + text);
    }
  }

  private static boolean is(EngineMessages.EngineCommand cmd, Class<?> type) {
    return type.isInstance(cmd instanceof EngineMessages.Scoped s ? s.command() : cmd);
  }
}
