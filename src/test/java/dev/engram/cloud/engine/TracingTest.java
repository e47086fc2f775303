package dev.engram.cloud.engine;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.engine.EngineMessages.Stats;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.LogCapture;
import dev.engram.cloud.testing.OtlpReceiver;
import dev.engram.cloud.testing.OtlpReceiver.ReceivedSpan;
import dev.engram.cloud.testing.TestIssuer;
import dev.engram.cloud.testing.TestIssuer.Alg;
import dev.engram.cloud.testing.TestRedis;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server with tracing on (the production profile: PostgreSQL control plane, Redis limits, an external issuer)
 * exports its spans to a real OTLP/HTTP receiver: one trace per request, from the HTTP server span (a child of the
 * caller's {@code traceparent}) across the event-bus hops to auth, quota and the tenant's engine, the engine command
 * (tenant, command, batch size, rows) and its SQLite commit, the PostgreSQL and Redis calls, and the JWKS download
 * (which carries the trace out); and the request's log lines carry the same trace id and the span they were
 * written in.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TracingTest {

  private static final String CALLER_SPAN = "00f067aa0ba902b7";
  private static OtlpReceiver receiver;
  private static TestIssuer issuer;
  private static TestServer server;
  private static Api api;

  @BeforeAll
  static void start() {
    receiver = OtlpReceiver.start();
    issuer = TestIssuer.start();
    JsonObject otel = new JsonObject().put("otel", new JsonObject()
        .put("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
        .put("OTEL_BSP_SCHEDULE_DELAY", "50"));
    server = TestServer.start(merge(TestServer.withPostgres(), TestServer.withRedis(TestRedis.get().url()),
        issuer.serverConfig(), otel));
    api = server.api();
  }

  @AfterEach
  void removeTheInjectedFailure() {
    TenantEngineVerticle.afterWork = cmd -> {};
  }

  @AfterAll
  static void stop() {
    server.close();
    issuer.close();
    receiver.close();
  }

  @Test
  void a_create_is_one_trace_across_the_event_bus_the_engine_and_the_clients() {
    Api.Account account = api.signup();
    String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    try (LogCapture logs = LogCapture.start()) {
      Api.Response r = api.send("POST", "/v1/memories", Map.of("Authorization", "Bearer " + account.apiKey(),
          "X-Request-Id", "req-traced-create", "traceparent", "00-" + trace + "-" + CALLER_SPAN + "-01"),
          new JsonObject().put("content", "a traced note").encode(), "application/json");
      assertEquals(201, r.status(), r.body());

      List<ReceivedSpan> spans = awaitTrace(trace, s -> s.name().equals("engine Create"),
          s -> "/v1/memories".equals(s.attribute("url.path")));
      ReceivedSpan http = only(spans, s -> s.kind().equals("SPAN_KIND_SERVER") && s.attribute("url.path") != null);
      assertEquals(CALLER_SPAN, http.parentSpanId(), "the server span is a child of the caller's");
      assertEquals("engram-cloud", http.service());
      assertEquals("201", http.attribute("http.response.status_code"));
      assertLinked(spans, http);

      for (String address : new String[] {"engram.auth.resolve", "engram.quota.check",
          "engram.engine." + account.tenantId()}) {
        ReceivedSpan consumer = only(spans, s -> s.kind().equals("SPAN_KIND_SERVER")
            && address.equals(s.attribute("messaging.destination.name")));
        assertTrue(descends(spans, consumer, http), address + " is reached from the request's span");
      }
      ReceivedSpan engine = only(spans, s -> s.name().equals("engine Create"));
      ReceivedSpan delivery = byId(spans, engine.parentSpanId());
      assertEquals("engram.engine." + account.tenantId(), delivery.attribute("messaging.destination.name"),
          "the command's span is a child of the event-bus delivery to the engine");
      assertEquals(account.tenantId(), engine.attribute("engram.tenant_id"));
      assertEquals("Create", engine.attribute("engram.command"));
      assertTrue(Long.parseLong(engine.attribute("engram.batch_size")) >= 1);
      assertEquals("1", engine.attribute("engram.rows"));
      ReceivedSpan commit = only(spans, s -> s.name().equals("sqlite commit"));
      assertEquals(engine.spanId(), commit.parentSpanId(), "the SQLite commit is inside the command's span");

      assertTrue(spans.stream().anyMatch(s -> "postgresql".equals(s.attribute("db.system"))), "a PostgreSQL span");
      assertTrue(spans.stream().anyMatch(s -> "redis".equals(s.attribute("db.system"))), "a Redis span");

      JsonObject access = logs.await("the access-log line", l -> "req-traced-create".equals(l.getString("request_id")));
      assertEquals(trace, access.getString("trace_id"));
      assertEquals(http.spanId(), access.getString("span_id"));
      assertEquals(account.tenantId(), access.getString("tenant_id"));
    }
  }

  @Test
  void each_request_is_its_own_trace_and_an_engine_log_line_names_the_commands_span() {
    Api.Account account = api.signup();
    TenantEngineVerticle.afterWork = cmd -> {
      if (cmd instanceof Stats || cmd instanceof EngineMessages.Scoped s && s.command() instanceof Stats) {
        throw new IllegalStateException("injected");
      }
    };
    try (LogCapture logs = LogCapture.start()) {
      Api.Response first = api.send("GET", "/v1/stats", Map.of("X-API-Key", account.apiKey(), "X-Request-Id",
          "req-traced-1"), null, null);
      Api.Response second = api.send("GET", "/v1/stats", Map.of("X-API-Key", account.apiKey(), "X-Request-Id",
          "req-traced-2"), null, null);
      assertEquals(500, first.status());
      assertEquals(500, second.status());
      JsonObject one = logs.await("the engine's line", l -> "req-traced-1".equals(l.getString("request_id"))
          && l.getString("message", "").startsWith("engine command"));
      JsonObject two = logs.await("the engine's line", l -> "req-traced-2".equals(l.getString("request_id"))
          && l.getString("message", "").startsWith("engine command"));
      assertNotEquals(one.getString("trace_id"), two.getString("trace_id"), "one trace per request");

      List<ReceivedSpan> spans = awaitTrace(one.getString("trace_id"), s -> s.name().equals("engine Stats"),
          s -> "/v1/stats".equals(s.attribute("url.path")));
      ReceivedSpan engine = only(spans, s -> s.name().equals("engine Stats"));
      assertEquals(engine.spanId(), one.getString("span_id"), "the engine's line names the command's span");
      assertEquals(account.tenantId(), one.getString("tenant_id"));
      ReceivedSpan http = only(spans, s -> "/v1/stats".equals(s.attribute("url.path")));
      assertEquals("", http.parentSpanId(), "no traceparent: a new trace");
      assertLinked(spans, http);
    }
  }

  @Test
  void the_jwks_download_carries_the_trace_of_the_request_that_needed_it() {
    TestIssuer.SigningKey key = issuer.publish(TestIssuer.newKey(Alg.EdDSA, "traced-key"));
    String trace = "0af7651916cd43dd8448eb211c80319c";
    Api.Response r = api.send("POST", "/v1/signup", Map.of("Authorization", "Bearer "
        + TestIssuer.sign(key, issuer.claims("traced-user")), "traceparent", "00-" + trace + "-" + CALLER_SPAN + "-01"),
        new JsonObject().put("tenant_name", "Traced").encode(), "application/json");
    assertEquals(201, r.status(), r.body());
    assertFalse(issuer.jwksTraceparents().isEmpty(), "the download sent a traceparent");
    assertTrue(issuer.jwksTraceparents().get(0).startsWith("00-" + trace + "-"), issuer.jwksTraceparents().toString());
    List<ReceivedSpan> spans = awaitTrace(trace, s -> s.kind().equals("SPAN_KIND_CLIENT")
        && "GET".equals(s.attribute("http.request.method")), s -> "/v1/signup".equals(s.attribute("url.path")));
    assertLinked(spans, only(spans, s -> "/v1/signup".equals(s.attribute("url.path"))));
  }

  /** Every span of the trace descends from the request's span, through parents that are all in the trace. */
  private static void assertLinked(List<ReceivedSpan> spans, ReceivedSpan root) {
    for (ReceivedSpan span : spans) {
      assertEquals(root.traceId(), span.traceId());
      assertTrue(descends(spans, span, root), "span " + span + " does not descend from the request's span");
    }
  }

  private static boolean descends(List<ReceivedSpan> spans, ReceivedSpan span, ReceivedSpan root) {
    ReceivedSpan at = span;
    for (int depth = 0; depth < 50 && at != null; depth++) {
      if (at.spanId().equals(root.spanId())) return true;
      at = byIdOrNull(spans, at.parentSpanId());
    }
    return false;
  }

  /**
   * The spans of {@code trace}, once those matching {@code expected} and the request's own span (ended last, after
   * the answer) have arrived, and every span they name as parent too.
   */
  @SafeVarargs
  private static List<ReceivedSpan> awaitTrace(String trace, Predicate<ReceivedSpan>... expected) {
    Eventually.until(Duration.ofSeconds(10), "the spans of trace " + trace, () -> {
      List<ReceivedSpan> spans = inTrace(trace);
      Set<String> ids = spans.stream().map(ReceivedSpan::spanId).collect(Collectors.toSet());
      boolean parentsIn = spans.stream().allMatch(s -> s.parentSpanId().isEmpty() || s.parentSpanId().equals(CALLER_SPAN)
          || ids.contains(s.parentSpanId()));
      return parentsIn && java.util.Arrays.stream(expected).allMatch(p -> spans.stream().anyMatch(p));
    });
    return inTrace(trace);
  }

  private static List<ReceivedSpan> inTrace(String trace) {
    return receiver.spans().stream().filter(s -> s.traceId().equals(trace)).toList();
  }

  private static ReceivedSpan only(List<ReceivedSpan> spans, Predicate<ReceivedSpan> which) {
    List<ReceivedSpan> found = spans.stream().filter(which).toList();
    assertEquals(1, found.size(), "exactly one such span: " + found);
    return found.get(0);
  }

  private static ReceivedSpan byId(List<ReceivedSpan> spans, String id) {
    ReceivedSpan span = byIdOrNull(spans, id);
    assertNotNull(span, "span " + id + " in the trace");
    return span;
  }

  private static ReceivedSpan byIdOrNull(List<ReceivedSpan> spans, String id) {
    return spans.stream().filter(s -> s.spanId().equals(id)).findFirst().orElse(null);
  }

  private static JsonObject merge(JsonObject... parts) {
    JsonObject out = new JsonObject();
    for (JsonObject part : parts) out = ConfigLoader.deepMerge(out, part);
    return out;
  }
}
