package dev.engram.cloud;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What can be checked of the Fly.io deployment without Docker or flyctl: {@code fly/fly.toml} parses, and the ports,
 * checks, metrics and volume it names are the ones a server configured by its environment really serves and uses;
 * its kill timeout covers the drain; and {@code fly/Dockerfile} builds and starts exactly as the README says.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeploymentFilesTest {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void fly_toml_names_the_ports_checks_metrics_and_volume_the_server_serves() throws Exception {
    TomlParseResult toml = Toml.parse(Path.of("fly/fly.toml"));
    assertTrue(toml.errors().isEmpty(), "fly.toml parses: " + toml.errors());
    Map<String, String> env = new HashMap<>();
    TomlTable envTable = toml.getTable("env");
    for (String key : envTable.keySet()) env.put(key, envTable.getString(key));

    // The server configured by that environment, as the container runs it.
    EngramConfig config = EngramConfig.fromJson(ConfigLoader.load(new String[0], env));
    long internalPort = toml.getLong("http_service.internal_port");
    assertEquals(internalPort, config.port(), "the HTTP service forwards to the server's port");
    assertEquals("0.0.0.0", config.server().host(), "the proxy reaches the server from outside the container");
    assertEquals(toml.getLong("metrics.port"), config.server().metricsPort(), "Fly scrapes the metrics port");
    TomlArray mounts = toml.getArray("mounts");
    assertEquals(config.dataDir().toString(), mounts.getTable(0).getString("destination"), "data on the volume");
    assertEquals("SIGTERM", toml.getString("kill_signal"));
    assertTrue(toml.getLong("kill_timeout") >= config.server().shutdownGraceSeconds() + GracefulShutdown.MARGIN_SECONDS,
        "Fly waits for the whole drain before it kills the machine");

    // Served for real, on free ports (the same configuration otherwise).
    int port = TestServer.freePort();
    int metricsPort = TestServer.freePort();
    JsonObject overrides = new JsonObject().put("port", port).put("host", "127.0.0.1")
        .put("metrics", new JsonObject().put("port", metricsPort));
    try (TestServer server = TestServer.start(overrides)) {
      TomlArray checks = toml.getArray("http_service.checks");
      assertEquals(2, checks.size());
      List<String> paths = new ArrayList<>();
      for (int i = 0; i < checks.size(); i++) {
        TomlTable check = checks.getTable(i);
        paths.add(check.getString("path"));
        HttpResponse<String> r = get(port, check.getString("method"), check.getString("path"));
        assertEquals(200, r.statusCode(), check.getString("path") + ": " + r.body());
      }
      assertEquals(List.of("/health/live", "/health/ready"), paths);
      HttpResponse<String> metrics = get(metricsPort, "GET", toml.getString("metrics.path"));
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.body().contains("engram_engines_active"));
      assertEquals(404, get(port, "GET", toml.getString("metrics.path")).statusCode(),
          "metrics are not on the public service");
    }
  }

  @Test
  void the_dockerfile_builds_and_starts_exactly_as_the_readme_says() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    Matcher run = Pattern.compile("`scripts/run` is `(.+?) && (.+?)`").matcher(readme);
    assertTrue(run.find(), "the README states the build and start commands");
    String build = run.group(1);
    String start = run.group(2);
    assertEquals("mvn -B -q package -DskipTests", build);

    String dockerfile = Files.readString(Path.of("fly/Dockerfile"));
    List<String> runs = new ArrayList<>();
    for (String line : dockerfile.split("\n")) {
      if (line.startsWith("RUN ") && line.contains("mvn ") && line.contains(" package")) runs.add(line.substring(4));
    }
    assertEquals(List.of(build), runs, "the image is built with the README's build command");
    Matcher cmd = Pattern.compile("(?m)^CMD \\[(.*)]$").matcher(dockerfile);
    assertTrue(cmd.find(), "the Dockerfile has an exec-form CMD");
    String command = String.join(" ", new JsonObject("{\"c\":[" + cmd.group(1) + "]}").getJsonArray("c")
        .stream().map(Object::toString).toList());
    assertEquals(start, command, "the image starts the server with the README's start command");

    String script = Files.readString(Path.of("scripts/run"));
    assertTrue(script.contains(build) && script.contains("jar=target/engram-cloud.jar")
        && script.contains("exec java -jar \"$jar\""), "scripts/run runs the same two commands");

    // The image's environment is the one fly.toml gives (the TOML may add to it, not contradict it).
    TomlTable env = Toml.parse(Path.of("fly/fly.toml")).getTable("env");
    for (String key : List.of("HOST", "PORT", "METRICS_PORT", "ENGRAM_DATA_DIR")) {
      assertTrue(Pattern.compile("\\b" + key + "=" + Pattern.quote(env.getString(key)) + "\\b").matcher(dockerfile).find(),
          "the Dockerfile sets " + key + "=" + env.getString(key));
    }
    assertFalse(dockerfile.contains("USER root"));
    assertTrue(Files.readString(Path.of("fly/entrypoint.sh")).contains("setpriv --reuid=engram"),
        "the server runs as the unprivileged engram user");
  }

  private static HttpResponse<String> get(int port, String method, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }
}
