package dev.engram.cloud.backup;

import dev.engram.cloud.engine.ChangeRecords.ChangeRecord;
import dev.engram.cloud.engine.ChangeReplay;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import dev.engram.cloud.testing.Eventually;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Benchmark (not a test; run by {@code scripts/bench-backups}): snapshot and restore throughput of one tenant of N
 * memories (default 100,000), replay throughput of the change log, and how long a tenant's writes wait while its
 * snapshot is taken. Prints one line per figure.
 */
public final class BackupThroughput {

  private static final String TENANT = "tn_benchbenchbenchbench";
  private static final String[] WORDS = ("async await rust tokio thread pool memory vector index search keyword "
      + "deploy tuesday release review database schema migration backup restore snapshot tenant agent note "
      + "decision fact context project style tabs spaces latency throughput cache budget").split(" ");

  public static void main(String[] args) throws Exception {
    int memories = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    Path root = Files.createTempDirectory("engram-backup-bench-");
    try {
      run(root, memories);
    } finally {
      dev.engram.cloud.testing.TestServer.deleteRecursively(root);
    }
  }

  private static JsonObject create(Random random) {
    StringBuilder content = new StringBuilder();
    for (int w = 0; w < 30; w++) content.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
    return new JsonObject().put("op", "create").put("content", content.toString().trim()).put("memory_type", "note")
        .put("tags", new JsonArray().add(WORDS[random.nextInt(WORDS.length)])).put("metadata", new JsonObject())
        .put("importance", 0.5).put("workspace", "default").put("tier", "permanent");
  }

  private static void run(Path root, int memories) throws Exception {
    Random random = new Random(42);
    Path db = root.resolve("data/tenants/" + TENANT + "/engram.db");
    Files.createDirectories(db.getParent());
    int perRecord = 100;
    long start = System.nanoTime();
    try (ChangeReplay replay = ChangeReplay.open(db)) {
      for (int done = 0; done < memories; done += perRecord) {
        JsonArray ops = new JsonArray();
        for (int i = 0; i < perRecord; i++) ops.add(create(random));
        replay.apply(new ChangeRecord(replay.position().seq() + 1, replay.position().generation(), Instant.now(),
            done + perRecord, ops));
      }
    }
    double buildSeconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("replay (the log's restore path): %d memories in %d records of %d: %.1f s, %.0f memories/s%n",
        memories, memories / perRecord, perRecord, buildSeconds, memories / buildSeconds);

    LocalTarget target = new LocalTarget(root.resolve("backups"));
    DataKeys keys = new DataKeys(target, MasterKey.parse(Base64.getEncoder().encodeToString(new byte[32]), "bench"));
    Snapshots snapshots = new Snapshots(target, keys, root.resolve("scratch"));

    // Writes during a snapshot: a writer applies one-create records back to back, before and while it is taken.
    List<Long> before = Collections.synchronizedList(new ArrayList<>());
    List<Long> during = new ArrayList<>();
    AtomicBoolean snapshotting = new AtomicBoolean();
    AtomicBoolean stop = new AtomicBoolean();
    Thread writer = new Thread(() -> {
      try (ChangeReplay replay = ChangeReplay.open(db)) {
        Random r = new Random(7);
        long count = memories;
        while (!stop.get()) {
          long t = System.nanoTime();
          replay.apply(new ChangeRecord(replay.position().seq() + 1, replay.position().generation(), Instant.now(),
              ++count, new JsonArray().add(create(r))));
          long took = System.nanoTime() - t;
          (snapshotting.get() ? during : before).add(took);
        }
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    writer.start();
    Eventually.until(Duration.ofMinutes(1), "1,000 writes timed before the snapshot", () -> before.size() >= 1000);
    snapshotting.set(true);
    start = System.nanoTime();
    JsonObject manifest = snapshots.take(TENANT, db);
    double snapSeconds = (System.nanoTime() - start) / 1e9;
    snapshotting.set(false);
    stop.set(true);
    writer.join();
    long plain = manifest.getLong("plain_bytes");
    long stored = manifest.getJsonObject("object").getLong("bytes");
    long inSnapshot = manifest.getJsonObject("database").getLong("memory_count");
    System.out.printf("snapshot: %d memories, %.1f MB database -> %.1f MB stored (gzip + AES-GCM), %.2f s: %.1f MB/s,"
        + " %.0f memories/s (verification included)%n", inSnapshot, plain / 1e6, stored / 1e6, snapSeconds,
        plain / 1e6 / snapSeconds, inSnapshot / snapSeconds);
    System.out.printf("a write (one create, commit) while no snapshot runs: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d)%n",
        pct(before, 50), pct(before, 99), pct(before, 100), before.size());
    System.out.printf("a write while the snapshot runs:                      p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d)%n",
        pct(during, 50), pct(during, 99), pct(during, 100), during.size());

    Restorer restorer = new Restorer(target, keys, snapshots);
    start = System.nanoTime();
    Restorer.Restored restored = restorer.restoreTenant(TENANT, null, root.resolve("restored/tenants/" + TENANT
        + "/engram.db"));
    double restoreSeconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("restore (download, SHA-256, decrypt, gunzip, verify twice): %d memories, %.2f s: %.1f MB/s,"
        + " %.0f memories/s%n", restored.memories(), restoreSeconds, plain / 1e6 / restoreSeconds,
        restored.memories() / restoreSeconds);
  }

  private static double pct(List<Long> nanos, int p) {
    if (nanos.isEmpty()) return Double.NaN;
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    int i = Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1);
    return sorted.get(Math.max(0, i)) / 1e6;
  }
}
