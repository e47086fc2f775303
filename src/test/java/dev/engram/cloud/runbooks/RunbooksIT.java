package dev.engram.cloud.runbooks;

import dev.engram.cloud.testing.TestPostgres;
import dev.engram.cloud.testing.TestRedis;
import dev.engram.cloud.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every runbook in {@code docs/runbooks/} runs: its script ({@code scripts/runbooks/<name>.sh}) drives the built jar
 * through the runbook's commands and checks the outcome, and every command of the runbook's {@code bash} blocks is
 * in that script, so a runbook that drifts from the code fails here.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RunbooksIT {

  private Path work;

  @AfterEach
  void cleanUp() throws Exception {
    if (work == null) return;
    // A step that failed may have left its server running.
    Path pid = work.resolve("server.pid");
    if (Files.exists(pid)) {
      ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).ifPresent(ProcessHandle::destroyForcibly);
    }
    TestServer.deleteRecursively(work);
  }

  @ParameterizedTest
  @ValueSource(strings = {"restore-tenant", "restore-node", "rotate-backup-key", "rotate-jwt-key", "disk-full"})
  void theRunbookRunsAgainstARealServer(String name) throws Exception {
    everyCommandIsInTheScript(name);
    work = Files.createTempDirectory("engram-runbook-" + name + "-");
    String output = run(name, work, Map.of());
    assertTrue(output.contains(name + ": OK"), output);
  }

  @Test
  void redisDownRunsWhileRedisIsStoppedAndStartedAgain() throws Exception {
    everyCommandIsInTheScript("redis-down");
    work = Files.createTempDirectory("engram-runbook-redis-");
    TestRedis redis = TestRedis.get();
    Map<String, String> env = Map.of("REDIS_URL", redis.url(), "PORT", Integer.toString(TestServer.freePort()));
    run("redis-down", work, env, "start");
    redis.stop();
    try {
      run("redis-down", work, env, "outage");
    } finally {
      redis.start();
    }
    assertTrue(run("redis-down", work, env, "recovered").contains("redis-down: OK"));
  }

  @Test
  void postgresFailoverRunsWhileTheDatabaseDropsAndRefusesConnections() throws Exception {
    everyCommandIsInTheScript("postgres-failover");
    work = Files.createTempDirectory("engram-runbook-pg-");
    TestPostgres.Database db = TestPostgres.newDatabase();
    Map<String, String> env = Map.of("DATABASE_URL", db.appUrl(), "DATABASE_MIGRATION_URL", db.ownerUrl(),
        "PORT", Integer.toString(TestServer.freePort()));
    run("postgres-failover", work, env, "start");
    TestPostgres.asSuperuser("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS false");
    try {
      TestPostgres.asSuperuser("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
          + db.name() + "'");
      run("postgres-failover", work, env, "outage");
    } finally {
      TestPostgres.asSuperuser("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS true");
    }
    assertTrue(run("postgres-failover", work, env, "recovered").contains("postgres-failover: OK"));
  }

  /**
   * Runs a runbook script (one step of it, when {@code args} name one) with the built jar in {@code work}; returns
   * what it printed, failing the test on a non-zero exit. A server a step leaves running is the next step's.
   */
  static String run(String name, Path work, Map<String, String> env, String... args) throws Exception {
    Path jar = Path.of(System.getProperty("engram.jar", "target/engram-cloud.jar")).toAbsolutePath();
    Path log = work.resolve("script-" + System.nanoTime() + ".log");
    List<String> command = new ArrayList<>(List.of("bash",
        Path.of("scripts", "runbooks", name + ".sh").toAbsolutePath().toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("PORT", Integer.toString(TestServer.freePort()));
    pb.environment().putAll(env);
    pb.environment().put("ENGRAM_JAR", jar.toString());
    pb.environment().put("WORK", work.toString());
    pb.environment().put("ENGRAM_ACCESS_LOG", "OFF");
    Process process = pb.start();
    try {
      boolean exited = process.waitFor(4, TimeUnit.MINUTES);
      String output = Files.readString(log, StandardCharsets.UTF_8);
      assertTrue(exited, name + " did not finish:\n" + output);
      assertEquals(0, process.exitValue(), name + " failed:\n" + output + "\nserver log:\n" + serverLog(work));
      return output;
    } finally {
      process.destroyForcibly();
    }
  }

  private static String serverLog(Path work) {
    try {
      List<String> lines = Files.readAllLines(work.resolve("server.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (Exception e) {
      return "(none)";
    }
  }

  /** Each command line of the runbook's {@code bash} blocks begins a line of its script. */
  static void everyCommandIsInTheScript(String name) throws Exception {
    List<String> runbook = Files.readAllLines(Path.of("docs", "runbooks", name + ".md"));
    List<String> script = Files.readAllLines(Path.of("scripts", "runbooks", name + ".sh")).stream()
        .map(String::strip).toList();
    List<String> commands = new ArrayList<>();
    boolean inBash = false;
    for (String line : runbook) {
      if (line.startsWith("```")) {
        inBash = !inBash && line.equals("```bash");
        continue;
      }
      if (inBash && !line.isBlank() && !line.strip().startsWith("#")) commands.add(line.strip());
    }
    assertTrue(!commands.isEmpty(), name + ".md has no bash commands");
    for (String command : commands) {
      assertTrue(script.stream().anyMatch(l -> l.startsWith(command)),
          "docs/runbooks/" + name + ".md runs a command its script does not: " + command);
    }
  }
}
