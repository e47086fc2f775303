package dev.engram.cloud.auth;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.JwksEndpoint;
import dev.engram.cloud.testing.JwksEndpoint.Mode;
import dev.engram.cloud.testing.TestIssuer;
import dev.engram.cloud.testing.TestIssuer.Alg;
import dev.engram.cloud.testing.TestIssuer.SigningKey;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The external issuer's JWKS is fetched within bounds whatever its endpoint does: a body over the size limit is cut
 * at the limit, a slow one at the timeout, and either way the connection is closed (counted on the endpoint's side),
 * the next fetch works once the endpoint recovers, and API keys keep answering meanwhile.
 */
@Timeout(120)
class JwksFetchLimitsTest {

  private static final String ISSUER = "https://issuer.jwks-limits.test";

  JwksEndpoint jwks;
  TestServer server;
  Api api;
  ListAppender<ILoggingEvent> log = new ListAppender<>();
  Logger externalLog = (Logger) LoggerFactory.getLogger(ExternalJwt.class);

  @BeforeEach
  void start() {
    jwks = JwksEndpoint.start();
    log.start();
    externalLog.addAppender(log);
  }

  @AfterEach
  void stop() {
    externalLog.detachAppender(log);
    if (server != null) server.close();
    jwks.close();
  }

  /** A server trusting {@link #jwks}, refetching on every unknown kid (no minimum interval), with these overrides. */
  private void startServer(JsonObject external) {
    JsonObject config = new JsonObject().put("auth", new JsonObject().put("external", new JsonObject()
        .put("jwks_url", jwks.url()).put("issuer", ISSUER).put("audience", TestIssuer.AUDIENCE)
        .put("jwks_min_refetch_seconds", 0).mergeIn(external)));
    server = TestServer.start(ConfigLoader.deepMerge(TestServer.withoutRateLimits(), config));
    api = server.api();
  }

  private static String token(SigningKey key) {
    long now = System.currentTimeMillis() / 1000;
    return TestIssuer.sign(key, new JsonObject().put("iss", ISSUER).put("aud", TestIssuer.AUDIENCE)
        .put("sub", "user-" + UUID.randomUUID()).put("iat", now).put("exp", now + 300));
  }

  private static SigningKey newKey() {
    return TestIssuer.newKey(Alg.EdDSA, "kid-" + UUID.randomUUID());
  }

  private static JsonObject keySet(SigningKey... keys) {
    JsonArray list = new JsonArray();
    for (SigningKey k : keys) list.add(k.publicJwk());
    return new JsonObject().put("keys", list);
  }

  private static void assertCode(Api.Response r, int status, String code) {
    assertEquals(status, r.status(), r.body());
    assertEquals(code, r.json().getString("code"), r.body());
  }

  private void assertConnectionsClosed(String why) {
    Eventually.until(Duration.ofSeconds(5), why + ": the JWKS connection is closed (open: " + jwks.openConnections()
        + ")", () -> jwks.openConnections() == 0);
  }

  private long lines(String containing) {
    return log.list.stream().filter(e -> e.getFormattedMessage().contains(containing)).count();
  }

  @Test
  void a_jwks_over_the_size_limit_is_cut_at_the_limit_and_its_connection_closed() {
    startServer(new JsonObject().put("jwks_timeout_ms", 20_000));
    SigningKey key = newKey();

    jwks.mode(Mode.ENDLESS);
    assertCode(api.get("/v1/stats", token(key)), 503, "issuer_unavailable");
    assertTrue(jwks.bytesSent() < 16L << 20,
        "the download stopped near the 1 MiB limit, not after " + jwks.bytesSent() + " bytes");
    assertConnectionsClosed("an endless body");

    long before = jwks.bytesSent();
    jwks.mode(Mode.DECLARED_HUGE);
    assertCode(api.get("/v1/stats", token(key)), 503, "issuer_unavailable");
    assertTrue(jwks.bytesSent() - before < 16L << 20,
        "a body declared over the limit is refused on its headers; sent: " + (jwks.bytesSent() - before));
    assertConnectionsClosed("a body declared too large");
    assertEquals(1, lines("300000000"), "the refusal names the declared length");

    jwks.serve(keySet(key));
    assertCode(api.get("/v1/stats", token(key)), 401, "unknown_identity");
  }

  @Test
  void a_trickling_jwks_is_cut_at_the_timeout_while_api_keys_keep_answering() throws Exception {
    startServer(new JsonObject().put("jwks_timeout_ms", 1500));
    Api.Account account = api.signup();
    SigningKey key = newKey();

    jwks.mode(Mode.TRICKLE);
    ExecutorService clients = Executors.newFixedThreadPool(5);
    try {
      List<CompletableFuture<Api.Response>> waiting = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String token = token(key);
        waiting.add(CompletableFuture.supplyAsync(() -> api.get("/v1/stats", token), clients));
      }
      Eventually.until(Duration.ofSeconds(5), "the fetch started", () -> jwks.requests() == 1);
      assertEquals(200, api.get("/v1/stats", account.apiKey()).status(), "an API key answers during the fetch");
      for (CompletableFuture<Api.Response> r : waiting) assertCode(r.get(), 503, "issuer_unavailable");
    } finally {
      clients.shutdownNow();
    }
    assertEquals(1, jwks.requests(), "the five tokens shared one fetch");
    assertConnectionsClosed("the fetch timed out");

    assertCode(api.get("/v1/stats", token(key)), 503, "issuer_unavailable");
    assertEquals(2, jwks.requests());
    assertConnectionsClosed("the second fetch timed out");

    jwks.serve(keySet(key));
    assertCode(api.get("/v1/stats", token(key)), 401, "unknown_identity");
    assertEquals(200, api.get("/v1/stats", account.apiKey()).status());
  }

  @Test
  void a_jwks_with_too_many_keys_or_no_usable_key_is_refused_with_its_reason() {
    startServer(new JsonObject().put("jwks_max_keys", 5));
    SigningKey key = newKey();

    List<SigningKey> six = new ArrayList<>(List.of(key));
    for (int i = 0; i < 5; i++) six.add(newKey());
    jwks.serve(keySet(six.toArray(new SigningKey[0])));
    assertCode(api.get("/v1/stats", token(key)), 503, "issuer_unavailable");
    assertEquals(1, lines("6 keys, more than auth.external.jwks_max_keys (5)"), "the reason is logged");

    jwks.serve(new JsonObject().put("keys", new JsonArray()
        .add(new JsonObject().put("kty", "oct").put("kid", key.kid()).put("k", "c2VjcmV0"))));
    assertCode(api.get("/v1/stats", token(key)), 503, "issuer_unavailable");
    assertEquals(1, lines("no usable RS256, ES256 or EdDSA key"), "the intended message");
    assertEquals(0, log.list.stream().filter(e -> e.getFormattedMessage().contains("NullPointerException")
        || e.getThrowableProxy() != null).count(), "no stray exception");

    jwks.serve(keySet(key));
    assertCode(api.get("/v1/stats", token(key)), 401, "unknown_identity");
  }
}
