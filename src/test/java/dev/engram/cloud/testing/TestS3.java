package dev.engram.cloud.testing;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * An S3 server for tests: S3Proxy (its jar-with-dependencies, copied to {@code target/tools} by the build) as a child
 * process on a free port, storing in a temporary directory, and checking AWS SigV4 signatures with a fixed identity.
 * Buckets are directories of {@link #root()}.
 */
public final class TestS3 implements AutoCloseable {

  public static final String ACCESS_KEY = "engram-test-access";
  public static final String SECRET_KEY = "engram-test-secret-key";

  private final Process process;
  private final Path root;
  private final int port;

  private TestS3(Process process, Path root, int port) {
    this.process = process;
    this.root = root;
    this.port = port;
  }

  public static TestS3 start() throws Exception {
    Path jar = Path.of("target", "tools", "s3proxy.jar");
    if (!Files.exists(jar)) throw new IllegalStateException(jar + " is missing: run the build (mvn test-compile)");
    Path root = Files.createTempDirectory("engram-s3-");
    Path data = Files.createDirectories(root.resolve("data"));
    int port = TestServer.freePort();
    Path properties = root.resolve("s3proxy.properties");
    Files.writeString(properties, String.join("\n", List.of(
        "s3proxy.endpoint=http://127.0.0.1:" + port,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + ACCESS_KEY,
        "s3proxy.credential=" + SECRET_KEY,
        "jclouds.provider=filesystem",
        "jclouds.filesystem.basedir=" + data,
        "")));
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar.toString(), "--properties", properties.toString())
        .redirectErrorStream(true).redirectOutput(root.resolve("s3proxy.log").toFile()).start();
    TestS3 s3 = new TestS3(process, data, port);
    Eventually.until(Duration.ofSeconds(60), "S3Proxy listens on " + port, () -> {
      if (!process.isAlive()) throw new IllegalStateException("S3Proxy exited: see " + root.resolve("s3proxy.log"));
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        return true;
      } catch (IOException e) {
        return false;
      }
    });
    return s3;
  }

  /** Makes a bucket (a directory of the filesystem store). */
  public String bucket(String name) throws IOException {
    Files.createDirectories(root.resolve(name));
    return name;
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** Where the objects are stored, to look at their bytes. */
  public Path root() {
    return root;
  }

  @Override
  public void close() {
    process.destroyForcibly();
    TestServer.deleteRecursively(root.getParent());
  }
}
