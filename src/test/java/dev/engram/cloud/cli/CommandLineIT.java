package dev.engram.cloud.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shaded jar explains itself: {@code --help}/{@code -h} list everything it takes, {@code --version} its version. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CommandLineIT {

  record Run(int exit, String out) {}

  @Test
  void help_lists_every_flag_environment_variable_and_subcommand_and_exits_0() throws Exception {
    for (String flag : List.of("--help", "-h")) {
      Run run = jar(flag);
      assertEquals(0, run.exit(), run.out());
      for (String expected : List.of("--port", "--host", "--metrics-port", "--data-dir", "--config", "--version",
          "scan DIR", "--url", "--key", "--project", "--workspace", "PORT", "HOST", "METRICS_PORT", "OTEL_",
          "ENGRAM_DATA_DIR", "ENGRAM_CONFIG", "ENGRAM_PUBLIC_URL", "DATABASE_URL",
          "DATABASE_MIGRATION_URL", "REDIS_URL", "JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE", "S3_BUCKET",
          "STRIPE_SECRET_KEY", "ENGRAM_LOG_LEVEL", "ENGRAM_ACCESS_LOG", "ENGRAM_API_KEY", "/openapi.json",
          "audit verify", "admin COMMAND", "set-plan REF PLAN", "suspend REF", "ENGRAM_OPERATOR_TOKEN")) {
        assertTrue(run.out().contains(expected), flag + " does not mention " + expected + ":\n" + run.out());
      }
    }
  }

  @Test
  void version_prints_the_project_version() throws Exception {
    Run run = jar("--version");
    assertEquals(0, run.exit(), run.out());
    assertEquals("engram-cloud " + System.getProperty("engram.version"), run.out().trim());
  }

  private static Run jar(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", System.getProperty("engram.jar")));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(1, TimeUnit.MINUTES), "the jar did not exit");
    return new Run(process.exitValue(), out);
  }
}
