package dev.engram.cloud.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The shaded jar run as a child process (built by {@code mvn verify} before the failsafe tests), with everything it
 * prints kept, so a test can signal it, restart it on the same data, and read its log.
 */
public final class ChildServer implements AutoCloseable {

  private final Process process;
  private final List<String> output;
  private final Thread reader;

  private ChildServer(Process process, List<String> output, Thread reader) {
    this.process = process;
    this.output = output;
    this.reader = reader;
  }

  /** Starts the jar on {@code port} with {@code config} (a JSON file's content) and returns once it listens. */
  public static ChildServer start(Path dataDir, int port, String config, Map<String, String> env) throws Exception {
    String jar = System.getProperty("engram.jar", "target/engram-cloud.jar");
    Path file = dataDir.resolveSibling(dataDir.getFileName() + "-config.json");
    Files.writeString(file, config);
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar, "--port", Integer.toString(port), "--data-dir", dataDir.toString(), "--config", file.toString())
        .redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    List<String> output = new ArrayList<>();
    CompletableFuture<Void> listening = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = out.readLine()) != null; ) {
          synchronized (output) {
            output.add(line);
          }
          if (line.contains("engram-cloud listening")) listening.complete(null);
        }
        listening.completeExceptionally(new IllegalStateException("server exited before listening"));
      } catch (Exception e) {
        listening.completeExceptionally(e);
      }
    }, "engram-child-output");
    reader.setDaemon(true);
    reader.start();
    listening.get(60, TimeUnit.SECONDS);
    return new ChildServer(p, output, reader);
  }

  public Process process() {
    return process;
  }

  /** Every line printed so far. */
  public List<String> output() {
    synchronized (output) {
      return List.copyOf(output);
    }
  }

  /** Everything the process printed, once it has exited and its output has been read to the end. */
  public List<String> outputAfterExit() throws InterruptedException {
    reader.join(TimeUnit.SECONDS.toMillis(30));
    return output();
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
