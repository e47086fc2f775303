package dev.engram.cloud.projectcontext;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code scan} command of the jar, run in-process against a real server. */
@Timeout(60)
class ScanCommandTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.with(TestServer.withoutRateLimits());
  static Api api;
  static String url;

  @BeforeAll
  static void start() {
    api = server.api();
    url = "http://127.0.0.1:" + server.config().port();
  }

  record Run(int status, String out, String err) {}

  static Run scan(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ScanCommand.run(List.of(args), env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void finds_the_instruction_files_uploads_them_and_prints_the_summary(@TempDir Path dir) throws IOException {
    Path project = Files.createDirectory(dir.resolve("my-app"));
    Files.writeString(project.resolve("CLAUDE.md"), "# Build\n\nmvn verify\n\n# Style\n\nrecords\n");
    Files.createDirectories(project.resolve(".github"));
    Files.writeString(project.resolve(".github/copilot-instructions.md"), "# Tone\n\nterse\n");
    Files.writeString(project.resolve("README.md"), "# not an instruction file\n\nignored\n");
    String key = api.signup().apiKey();

    Run first = scan(Map.of(), project.toString(), "--url", url, "--key", key);
    assertEquals(0, first.status(), first.err());
    assertTrue(first.out().contains("project 'my-app'"), first.out());
    assertTrue(first.out().contains("5 created, 0 updated, 0 retired"), first.out());
    assertTrue(first.out().contains("CLAUDE.md, .github/copilot-instructions.md"), first.out());

    Run again = scan(Map.of("ENGRAM_API_KEY", key), project.toString(), "--url", url + "/");
    assertEquals(0, again.status(), again.err());
    assertTrue(again.out().contains("0 created, 0 updated, 0 retired"), again.out());

    Files.delete(project.resolve(".github/copilot-instructions.md"));
    Run removed = scan(Map.of(), project.toString(), "--url", url, "--key", key, "--project", "my-app");
    assertTrue(removed.out().contains("0 created, 0 updated, 2 retired"), removed.out());
    assertEquals(3, api.get("/v1/project-context?project=my-app", key).json().getInteger("count"));
  }

  @Test
  void usage_errors_exit_2_and_server_errors_exit_1(@TempDir Path dir) throws IOException {
    assertEquals(2, scan(Map.of()).status());
    assertEquals(2, scan(Map.of(), dir.toString(), "--key", "k").status(), "no --url");
    assertEquals(2, scan(Map.of(), dir.toString(), "--url", url).status(), "no key");
    assertEquals(2, scan(Map.of(), dir.toString(), "--url", url, "--key", "k", "--colour", "red").status());
    assertEquals(2, scan(Map.of(), dir.resolve("missing").toString(), "--url", url, "--key", "k").status());
    Run empty = scan(Map.of(), dir.toString(), "--url", url, "--key", "k");
    assertEquals(2, empty.status());
    assertTrue(empty.err().contains("no instruction files"), empty.err());

    Files.writeString(dir.resolve("AGENTS.md"), "# A\n\nb\n");
    Run badKey = scan(Map.of(), dir.toString(), "--url", url, "--key", "ek_live_nope");
    assertEquals(1, badKey.status());
    assertTrue(badKey.err().contains("401"), badKey.err());
    Run unreachable = scan(Map.of(), dir.toString(), "--url", "http://127.0.0.1:" + TestServer.freePort(), "--key", "k");
    assertEquals(1, unreachable.status());
  }
}
