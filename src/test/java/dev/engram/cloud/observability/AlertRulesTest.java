package dev.engram.cloud.observability;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code fly/alerts.yml} is valid Prometheus rules and its unit tests ({@code fly/alerts.test.yml}) pass, by
 * Prometheus' own {@code promtool} (Debian package {@code prometheus}; {@code scripts/test} installs it). Fails, never
 * skips, when promtool is missing: CI must not pass without having checked the rules.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AlertRulesTest {

  @Test
  void the_rules_are_valid() throws Exception {
    String out = promtool("check", "rules", "alerts.yml");
    assertTrue(out.contains("SUCCESS"), out);
  }

  @Test
  void the_rules_unit_tests_pass() throws Exception {
    String out = promtool("test", "rules", "alerts.test.yml");
    assertTrue(out.contains("SUCCESS"), out);
  }

  /** Runs promtool in fly/ (the tests name their rule file relative to themselves); asserts exit 0. */
  private static String promtool(String... args) throws IOException, InterruptedException {
    Path promtool = onPath("promtool");
    if (promtool == null) {
      fail("promtool is not on the PATH: install Debian's prometheus package (apt-get install prometheus), as "
          + "scripts/test does; the alert rules cannot be checked without it");
    }
    List<String> command = new java.util.ArrayList<>(List.of(promtool.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(Path.of("fly").toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "promtool finished");
    assertEquals(0, p.exitValue(), String.join(" ", args) + ":\n" + out);
    return out;
  }

  private static Path onPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) return candidate;
    }
    return null;
  }
}
