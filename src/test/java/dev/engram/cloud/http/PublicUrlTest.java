package dev.engram.cloud.http;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.testing.RawHttp;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OAuth protected-resource metadata and the {@code WWW-Authenticate} challenge name this server's own URL: the
 * configured public URL, or (embedded, none configured) a loopback one; never a name a request put in {@code Host}.
 * In production the public URL is required.
 */
class PublicUrlTest {

  private static RawHttp.Response get(int port, String path, String host) {
    try (RawHttp http = RawHttp.connect(port)) {
      return http.head("GET", path, Map.of("Host", host)).response(Duration.ofSeconds(10));
    }
  }

  private static RawHttp.Response unauthenticatedMcp(int port, String host) {
    try (RawHttp http = RawHttp.connect(port)) {
      String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
      http.head("POST", "/v1/mcp", Map.of("Host", host, "Content-Type", "application/json",
          "Content-Length", Integer.toString(body.length())));
      http.send(body.getBytes());
      return http.response(Duration.ofSeconds(10));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"evil.example", "evil.example:8080", "10.0.0.7", "[2001:db8::1]", "localhost.evil.example"})
  void a_foreign_host_header_never_reaches_the_metadata_or_the_challenge(String host) {
    try (TestServer server = TestServer.start()) {
      int port = server.config().port();
      String expected = "http://localhost:" + port;
      for (String path : new String[] {"/.well-known/oauth-protected-resource",
          "/.well-known/oauth-protected-resource/v1/mcp"}) {
        RawHttp.Response r = get(port, path, host);
        assertEquals(200, r.status());
        JsonObject doc = new JsonObject(r.body());
        assertFalse(r.body().contains(host.replaceAll("[\\[\\]]", "")), r.body());
        assertEquals(expected, doc.getJsonArray("authorization_servers").getString(0));
        assertEquals(expected + "/v1/mcp", doc.getString("resource"));
      }
      RawHttp.Response challenge = unauthenticatedMcp(port, host);
      assertEquals(401, challenge.status());
      String header = challenge.header("WWW-Authenticate");
      assertFalse(header.contains(host.replaceAll("[\\[\\]]", "")), header);
      assertTrue(header.contains("resource_metadata=\"" + expected + "/.well-known/oauth-protected-resource/v1/mcp\""),
          header);
    }
  }

  @Test
  void a_loopback_host_is_used_as_given_and_a_configured_public_url_wins_over_any_host() {
    try (TestServer server = TestServer.start()) {
      int port = server.config().port();
      RawHttp.Response r = get(port, "/.well-known/oauth-protected-resource", "127.0.0.1:" + port);
      assertEquals("http://127.0.0.1:" + port + "/v1/mcp", new JsonObject(r.body()).getString("resource"));
    }
    try (TestServer server = TestServer.start(new JsonObject().put("mcp",
        new JsonObject().put("public_url", "https://engram.example.com/")))) {
      int port = server.config().port();
      for (String host : new String[] {"evil.example", "localhost:" + port}) {
        JsonObject doc = new JsonObject(get(port, "/.well-known/oauth-protected-resource", host).body());
        assertEquals("https://engram.example.com", doc.getJsonArray("authorization_servers").getString(0));
        assertEquals("https://engram.example.com/v1/mcp", doc.getString("resource"));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"DATABASE_URL", "REDIS_URL", "JWKS_URL", "S3_BUCKET", "STRIPE_SECRET_KEY"})
  void production_without_a_public_url_refuses_to_start(String setting) {
    Map<String, String> env = new java.util.HashMap<>(Map.of(setting, value(setting)));
    if (setting.equals("JWKS_URL")) env.putAll(Map.of("JWT_ISSUER", "https://auth.example.com", "JWT_AUDIENCE", "x"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EngramConfig.fromJson(ConfigLoader.load(new String[0], env)));
    assertTrue(e.getMessage().contains("ENGRAM_PUBLIC_URL") && e.getMessage().contains(setting), e.getMessage());

    env.put("ENGRAM_PUBLIC_URL", "https://engram.example.com");
    assertEquals("https://engram.example.com", EngramConfig.fromJson(ConfigLoader.load(new String[0], env))
        .mcp().publicUrl());
  }

  private static String value(String setting) {
    return switch (setting) {
      case "DATABASE_URL" -> "postgresql://app:secret@db.internal:5432/engram";
      case "REDIS_URL" -> "redis://cache.internal:6379";
      case "JWKS_URL" -> "https://auth.example.com/jwks";
      case "S3_BUCKET" -> "engram-backups";
      default -> "sk_live_example";
    };
  }
}
