package dev.engram.cloud.backup;

import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.TestS3;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Backups to an S3 bucket (S3Proxy, checking SigV4 signatures, through the AWS SDK and its URL-connection client):
 * snapshots and shipped change-log segments land in the bucket encrypted, shipping catches up, and a node whose disk
 * is lost comes back from the bucket alone.
 */
@Timeout(120)
class S3BackupTest {

  private static final String KEY = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
  private static TestS3 s3;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = TestS3.start();
    // The SDK's standard credential chain reads these first (the environment cannot be set from a test).
    System.setProperty("aws.accessKeyId", TestS3.ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", TestS3.SECRET_KEY);
  }

  @AfterAll
  static void stopS3() {
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
    if (s3 != null) s3.close();
  }

  private static List<Path> objects(Path root) throws IOException {
    if (!Files.isDirectory(root)) return List.of();
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).toList();
    }
  }

  private static boolean any(Path root, String suffix) {
    try {
      return objects(root).stream().anyMatch(p -> p.toString().endsWith(suffix));
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void aNodeComesBackFromItsBucketAloneAndTheBucketHoldsNoPlaintext() throws Exception {
    String bucket = s3.bucket("engram-backups");
    Path data = Files.createTempDirectory("engram-s3-data-");
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put(MasterKey.ENV, KEY);
    TestServer server = TestServer.start(TestServer.withoutRateLimits().put("data_dir", data.toString())
        .put("backup", new JsonObject().put("s3_bucket", bucket).put("s3_endpoint", s3.endpoint())
            .put("s3_region", "us-east-1").put("ship_seconds", 1)), env);
    Api api = server.api();
    Account account = api.signup();
    Set<String> expected = new HashSet<>();
    for (String content : List.of("the walrus sings at midnight", "a second walrus fact")) {
      api.createMemory(account.apiKey(), new JsonObject().put("content", content));
      expected.add(content);
    }
    Path tenantObjects = s3.root().resolve(bucket).resolve("tenants").resolve(account.tenantId());
    Eventually.until(Duration.ofSeconds(30), "a snapshot in the bucket", () -> any(tenantObjects, Snapshots.MANIFEST));
    api.createMemory(account.apiKey(), new JsonObject().put("content", "a late walrus note, in the log only"));
    expected.add("a late walrus note, in the log only");
    Eventually.until(Duration.ofSeconds(30), "a log segment in the bucket and no shipping lag",
        () -> any(tenantObjects.resolve("log"), ".seg") && server.metric("engram_backup_shipping_lag_seconds") == 0);
    server.stop();
    TestServer.deleteRecursively(data); // the disk is lost

    for (Path object : objects(s3.root())) {
      assertFalse(new String(Files.readAllBytes(object), StandardCharsets.ISO_8859_1).contains("walrus"),
          object + " holds plaintext");
    }

    Map<String, String> restoreEnv = new HashMap<>(env);
    restoreEnv.put("S3_ENDPOINT", s3.endpoint());
    restoreEnv.put("S3_REGION", "us-east-1");
    Path restored = Files.createTempDirectory("engram-s3-restored-");
    Path unused = Files.createTempDirectory("engram-s3-unused-");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = BackupCommand.restore(List.of("--from", "s3://" + bucket, "--at", "latest", "--data-dir",
        restored.toString()), restoreEnv, new PrintStream(out, true), new PrintStream(out, true));
    assertEquals(0, code, out.toString());
    assertTrue(out.toString().contains("verified"), out.toString());

    TestServer again = TestServer.start(TestServer.withoutRateLimits().put("data_dir", restored.toString())
        .put("backup", new JsonObject().put("local_dir", unused.toString())), env);
    try {
      Set<String> found = new HashSet<>();
      for (Object o : again.api().get("/v1/memories?limit=100", account.apiKey()).json().getJsonArray("data")) {
        found.add(((JsonObject) o).getString("content"));
      }
      assertEquals(expected, found);
    } finally {
      again.close();
      TestServer.deleteRecursively(unused);
    }
  }
}
