package dev.engram.cloud.durability;

import dev.engram.cloud.backup.BackupCommand;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.ChildServer;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.TestS3;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The jar as a child process backing up to S3 (S3Proxy) every second under a steady stream of writes, killed with
 * SIGKILL three times (while it appends, seals, uploads and snapshots: the log asks for a snapshot after each
 * restart whose log does not continue), restarted each time. Then a restore from the bucket alone holds exactly
 * the memories the last server held: every acknowledged write, nothing shipped lost, nothing applied twice.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class BackupCrashIT {

  private static final String KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
  private TestS3 s3;
  private ChildServer child;
  private Path root;

  @AfterEach
  void cleanUp() {
    if (child != null) child.close();
    if (s3 != null) s3.close();
    if (root != null) TestServer.deleteRecursively(root);
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
  }

  @Test
  void killedWhileShippingAndSnapshottingItLosesAndDoublesNothing() throws Exception {
    s3 = TestS3.start();
    String bucket = s3.bucket("crash-backups");
    root = Files.createTempDirectory("engram-backup-crash-");
    Path data = root.resolve("data");
    int port = TestServer.freePort();
    Map<String, String> env = new HashMap<>();
    env.put("ENGRAM_ACCESS_LOG", "OFF");
    env.put("ENGRAM_BACKUP_KEY", KEY);
    env.put("ENGRAM_PUBLIC_URL", "http://localhost:" + port);
    env.put("S3_BUCKET", bucket);
    env.put("S3_ENDPOINT", s3.endpoint());
    env.put("S3_REGION", "us-east-1");
    env.put("AWS_ACCESS_KEY_ID", TestS3.ACCESS_KEY);
    env.put("AWS_SECRET_ACCESS_KEY", TestS3.SECRET_KEY);
    String config = TestServer.withoutRateLimits().put("backup", new JsonObject().put("ship_seconds", 1)).encode();
    Files.createDirectories(data);

    child = ChildServer.start(data, port, config, env);
    Api api = new Api(port);
    Account account = api.signup();
    Map<Long, String> acknowledged = new ConcurrentHashMap<>();
    AtomicInteger sequence = new AtomicInteger();
    for (int round = 0; round < 3; round++) {
      writeUntilKilled(api, account, acknowledged, sequence, 60 + 60 * round);
      child = ChildServer.start(data, port, config, env);
    }
    // The last server ships everything and snapshots its new lineage; then it stops gracefully.
    for (int i = 0; i < 20; i++) {
      api.createMemory(account.apiKey(), new JsonObject().put("content", "after the crashes " + i));
    }
    Eventually.until(Duration.ofSeconds(60), "the change log is shipped",
        () -> metric(api, "engram_backup_shipping_lag_seconds") == 0
            && metric(api, "engram_backup_failures_total") >= 0);
    long total = api.get("/v1/stats", account.apiKey()).json().getLong("total_memories");
    child.process().destroy(); // SIGTERM
    assertTrue(child.process().waitFor(60, TimeUnit.SECONDS));
    assertTrue(total >= acknowledged.size() + 20);

    System.setProperty("aws.accessKeyId", TestS3.ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", TestS3.SECRET_KEY);
    Path restored = root.resolve("restored");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = BackupCommand.restore(List.of("--from", "s3://" + bucket, "--at", "latest", "--data-dir",
        restored.toString()), env, new PrintStream(out, true), new PrintStream(out, true));
    assertEquals(0, code, out.toString());

    try (TestServer again = TestServer.start(TestServer.withoutRateLimits().put("data_dir", restored.toString())
        .put("backup", new JsonObject().put("local_dir", root.resolve("unused").toString())),
        Map.of("ENGRAM_BACKUP_KEY", KEY))) {
      Api restoredApi = again.api();
      assertEquals(total, restoredApi.get("/v1/stats", account.apiKey()).json().getLong("total_memories"),
          "the restore holds exactly what the last server held: " + out);
      for (Map.Entry<Long, String> e : acknowledged.entrySet()) {
        Api.Response r = restoredApi.get("/v1/memories/" + e.getKey(), account.apiKey());
        assertEquals(200, r.status(), "acknowledged memory " + e.getKey() + " was restored");
        assertEquals(e.getValue(), r.json().getString("content"));
      }
    }
  }

  /** Writes from 8 threads until {@code acks} more are acknowledged, then kills the server (SIGKILL). */
  private void writeUntilKilled(Api api, Account account, Map<Long, String> acknowledged, AtomicInteger sequence,
                                int acks) throws Exception {
    CountDownLatch enough = new CountDownLatch(acks);
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService writers = Executors.newFixedThreadPool(8);
    for (int t = 0; t < 8; t++) {
      writers.submit(() -> {
        while (!stop.get()) {
          String content = "crash write " + sequence.incrementAndGet();
          Api.Response r;
          try {
            r = api.post("/v1/memories", account.apiKey(), new JsonObject().put("content", content));
          } catch (RuntimeException connectionLost) {
            return;
          }
          if (r.status() == 201) {
            acknowledged.put(r.json().getLong("id"), content);
            enough.countDown();
          }
        }
      });
    }
    assertTrue(enough.await(90, TimeUnit.SECONDS), "the server acknowledged " + acks + " writes");
    child.process().destroyForcibly(); // SIGKILL, with writers still sending and shipping running every second
    assertTrue(child.process().waitFor(30, TimeUnit.SECONDS));
    stop.set(true);
    writers.shutdown();
    assertTrue(writers.awaitTermination(60, TimeUnit.SECONDS));
  }

  private static double metric(Api api, String name) {
    for (String line : api.get("/metrics", null).body().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Double.NaN;
  }
}
