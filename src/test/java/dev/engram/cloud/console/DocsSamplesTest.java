package dev.engram.cloud.console;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.Node;
import org.commonmark.parser.Parser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every code sample in the user guides works as written: each guide's {@code bash} blocks run in order, in one
 * shell ({@code set -euo pipefail}, curl with {@code --fail-with-body}), against a test server, with
 * {@code ENGRAM_URL} and {@code ENGRAM_API_KEY} set as the guides say; {@code json} blocks must parse. A block in
 * any other language fails the test, except {@code text}: commands for other programs (an MCP client's CLI,
 * {@code scripts/run}) that a test cannot run here. The operator's pages (deploy, slo, mcp-conformance) hold
 * commands for Fly.io and Neon and are not run.
 */
@Timeout(120)
class DocsSamplesTest {

  static final List<String> USER_GUIDES = List.of("quickstart", "mcp", "search", "project-context", "keys",
      "teams", "import-export", "self-hosting");
  private static final Set<String> LANGUAGES = Set.of("bash", "json", "text");

  /** The free plan admits 3 members here, as a team plan would, so that the teams guide's invite runs. */
  @RegisterExtension
  static final RunningServer server = RunningServer.with(ConfigLoader.deepMerge(TestServer.withoutRateLimits(),
      new JsonObject().put("plans", new JsonObject().put("free", new JsonObject().put("members", 3)))));

  @Test
  void every_sample_in_the_guides_runs() throws Exception {
    Api.Account account = server.api().signup();
    int run = 0;
    for (String guide : USER_GUIDES) {
      List<FencedCodeBlock> blocks = new ArrayList<>();
      Node doc = Parser.builder().build().parse(DocsSite.markdown(guide));
      doc.accept(new AbstractVisitor() {
        @Override
        public void visit(FencedCodeBlock block) {
          blocks.add(block);
        }
      });
      StringBuilder script = new StringBuilder("set -euo pipefail\n");
      for (FencedCodeBlock block : blocks) {
        String language = block.getInfo().trim();
        assertTrue(LANGUAGES.contains(language), guide + ": a sample in '" + language + "' that no test runs");
        if (language.equals("json")) new JsonObject(block.getLiteral());
        if (language.equals("bash")) {
          script.append("echo '>>> sample ").append(++run).append("' >&2\n").append(block.getLiteral()).append('\n');
        }
      }
      Path dir = Files.createTempDirectory("engram-docs-" + guide);
      ProcessBuilder bash = new ProcessBuilder("bash", "-c", script.toString()).directory(dir.toFile())
          .redirectErrorStream(true);
      bash.environment().put("ENGRAM_URL", "http://127.0.0.1:" + server.get().config().port());
      bash.environment().put("ENGRAM_API_KEY", account.apiKey());
      Process process = bash.start();
      String output = new String(process.getInputStream().readAllBytes());
      if (!process.waitFor(60, TimeUnit.SECONDS)) fail(guide + ": its samples did not finish");
      assertEquals(0, process.exitValue(), guide + "'s samples failed:\n" + output);
      assertFalse(output.contains("\"status\":4") || output.contains("\"status\":5"), guide + ": " + output);
    }
    assertTrue(run >= 12, "the guides hold the samples they promise (" + run + " run)");
  }
}
