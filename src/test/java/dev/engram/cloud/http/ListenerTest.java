package dev.engram.cloud.http;

import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The API listens on the configured address only, and /metrics can be moved off it to a port of its own. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ListenerTest {

  // HTTP/1.1, as Prometheus scrapes (and no h2c upgrade, which the JDK client does not always complete)
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void the_api_listens_on_the_configured_address_only() throws Exception {
    try (TestServer server = TestServer.start(new JsonObject().put("host", "127.0.0.2"))) {
      int port = server.config().port();
      assertEquals(200, get("http://127.0.0.2:" + port + "/health/live").statusCode());
      assertThrows(ConnectException.class, () -> get("http://127.0.0.1:" + port + "/health/live"));
    }
  }

  @Test
  void with_a_metrics_port_metrics_are_served_there_and_not_on_the_public_listener() throws Exception {
    int metricsPort = TestServer.freePort();
    try (TestServer server = TestServer.start(new JsonObject().put("metrics", new JsonObject().put("port", metricsPort)))) {
      int port = server.config().port();
      assertEquals(404, get("http://127.0.0.1:" + port + "/metrics").statusCode());
      HttpResponse<String> metrics = get("http://127.0.0.1:" + metricsPort + "/metrics");
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.body().contains("engram_engines_active"), metrics.body());
      assertEquals(404, get("http://127.0.0.1:" + metricsPort + "/v1/stats").statusCode(), "only metrics there");
    }
  }

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}
