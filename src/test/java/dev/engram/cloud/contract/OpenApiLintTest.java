package dev.engram.cloud.contract;

import dev.engram.cloud.testing.Npm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * openapi.yaml passes a real linter: Redocly's CLI ({@code @redocly/cli} from npm, on Node 22) with its recommended
 * rules, with no error and no warning.
 */
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class OpenApiLintTest {

  private static final Path TOOLS = Path.of("target", "redocly").toAbsolutePath();
  private static final String CLI = "@redocly/cli@2.77.0";

  @Test
  void the_document_is_clean_under_the_recommended_rules() throws Exception {
    Path node = Npm.anyNode(TOOLS);
    Path cli = TOOLS.resolve("node_modules/@redocly/cli/bin/cli.js");
    Npm.install(TOOLS, List.of(CLI), cli);
    Process lint = new ProcessBuilder(node.toString(), cli.toString(), "lint", "--extends=recommended",
        "--format=stylish", Path.of("src/main/resources/openapi.yaml").toAbsolutePath().toString())
        .redirectErrorStream(true).start();
    String out = new String(lint.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(lint.waitFor(2, TimeUnit.MINUTES), "redocly did not finish");
    assertEquals(0, lint.exitValue(), out);
    assertTrue(!out.contains("warning") && !out.contains("error"), "the linter has remarks:\n" + out);
  }
}
