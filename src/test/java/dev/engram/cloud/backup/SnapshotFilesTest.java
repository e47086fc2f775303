package dev.engram.cloud.backup;

import dev.engram.cloud.engine.ChangeRecords.ChangeRecord;
import dev.engram.cloud.engine.ChangeReplay;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a crash or a damaged target leaves behind is never restored as if it were whole: a snapshot without its
 * manifest (killed between the upload and the manifest) is not used, a snapshot whose object was altered fails its
 * SHA-256 check and leaves no file; and, through the command line, {@code backup now} then rotating the master key
 * re-wraps the data keys so that only the new key restores.
 */
class SnapshotFilesTest {

  private static final String TENANT = "tn_aaaaaaaaaaaaaaaaaaaa";
  private static final String OLD = Base64.getEncoder().encodeToString("old-master-key-0123456789abcdef!".getBytes());
  private static final String NEW = Base64.getEncoder().encodeToString("new-master-key-0123456789abcdef!".getBytes());
  private Path root;

  @AfterEach
  void cleanUp() {
    if (root != null) TestServer.deleteRecursively(root);
  }

  /** A tenant database with {@code n} memories, written through the engine's replay (the engine's write code). */
  private Path tenantDatabase(int n) throws Exception {
    Path file = root.resolve("data/tenants/" + TENANT + "/engram.db");
    Files.createDirectories(file.getParent());
    try (ChangeReplay replay = ChangeReplay.open(file)) {
      for (int i = 1; i <= n; i++) {
        JsonArray ops = new JsonArray().add(new JsonObject().put("op", "create").put("content", "memory " + i)
            .put("memory_type", "note").put("tags", new JsonArray()).put("metadata", new JsonObject())
            .put("importance", 0.5).put("workspace", "default").put("tier", "permanent"));
        replay.apply(new ChangeRecord(replay.position().seq() + 1, replay.position().generation(), Instant.now(), i, ops));
      }
    }
    return file;
  }

  @Test
  void aPartialSnapshotIsNeverUsedAndAnAlteredOneFailsLoudly() throws Exception {
    root = Files.createTempDirectory("engram-snapshot-files-");
    Path db = tenantDatabase(5);
    LocalTarget target = new LocalTarget(root.resolve("backups"));
    DataKeys keys = new DataKeys(target, MasterKey.parse(OLD, "test"));
    Snapshots snapshots = new Snapshots(target, keys, root.resolve("scratch"));
    JsonObject manifest = snapshots.take(TENANT, db);
    assertEquals(5, manifest.getJsonObject("database").getLong("memory_count"));

    // A later snapshot whose process died before its manifest: its object is there, its manifest is not.
    String partial = Snapshots.snapshotsOf(TENANT) + "29991231T235959.999Z-ffff-99/" + Snapshots.DATA;
    target.put(partial, "half of an object".getBytes());
    Restorer restorer = new Restorer(target, keys, snapshots);
    Path out = root.resolve("restored/tenants/" + TENANT + "/engram.db");
    Restorer.Restored restored = restorer.restoreTenant(TENANT, null, out);
    assertEquals(manifest.getString("id"), restored.snapshotId());
    assertEquals(5, restored.memories());

    // The object altered in the target: refused by its checksum, and nothing is left in the data directory.
    Path object = root.resolve("backups").resolve(manifest.getJsonObject("object").getString("key"));
    byte[] bytes = Files.readAllBytes(object);
    bytes[bytes.length / 2] ^= 1;
    Files.write(object, bytes);
    Path again = root.resolve("again/tenants/" + TENANT + "/engram.db");
    BackupException e = assertThrows(BackupException.class, () -> restorer.restoreTenant(TENANT, null, again));
    assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    assertFalse(Files.exists(again));
    try (var left = Files.list(again.getParent())) {
      assertEquals(List.of(), left.toList());
    }
  }

  @Test
  void rotatingTheMasterKeyRewrapsTheDataKeysAndOnlyTheNewKeyRestores() throws Exception {
    root = Files.createTempDirectory("engram-rotate-");
    Path db = tenantDatabase(3);
    Path backups = root.resolve("backups");
    Path config = root.resolve("config.json");
    Files.writeString(config, new JsonObject().put("backup", new JsonObject().put("local_dir", backups.toString()))
        .encode());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = BackupCommand.backup(List.of("now", "--data-dir", root.resolve("data").toString(), "--config",
        config.toString()), Map.of("ENGRAM_BACKUP_KEY", OLD), new PrintStream(out, true), new PrintStream(out, true));
    assertEquals(0, code, out.toString());
    assertTrue(out.toString().contains("1 tenant(s) and the control plane snapshotted and verified"), out.toString());

    out.reset();
    code = BackupCommand.backup(List.of("rotate-key", "--data-dir", root.resolve("data").toString(), "--config",
        config.toString()), Map.of("ENGRAM_BACKUP_KEY", NEW, "ENGRAM_BACKUP_KEY_OLD", OLD), new PrintStream(out, true),
        new PrintStream(out, true));
    assertEquals(0, code, out.toString());
    assertTrue(out.toString().contains("2 data key(s) re-wrapped"), out.toString());

    out.reset();
    code = BackupCommand.restore(List.of("--from", backups.toString(), "--at", "latest", "--data-dir",
        root.resolve("with-old").toString()), Map.of("ENGRAM_BACKUP_KEY", OLD), new PrintStream(out, true),
        new PrintStream(out, true));
    assertEquals(1, code, out.toString());
    assertTrue(out.toString().contains("wrong backup master key"), out.toString());

    out.reset();
    code = BackupCommand.restore(List.of("--from", backups.toString(), "--at", "latest", "--data-dir",
        root.resolve("with-new").toString()), Map.of("ENGRAM_BACKUP_KEY", NEW), new PrintStream(out, true),
        new PrintStream(out, true));
    assertEquals(0, code, out.toString());
    assertTrue(out.toString().contains("3 memories"), out.toString());
  }
}
