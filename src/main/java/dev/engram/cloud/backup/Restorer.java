package dev.engram.cloud.backup;

import dev.engram.cloud.engine.ChangeRecords.ChangeRecord;
import dev.engram.cloud.engine.ChangeReplay;
import dev.engram.cloud.sqlite.PrivateFiles;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Restores owners (tenants, the control plane) from a target into a data directory: the latest snapshot whose
 * content is at or before the instant, then the change log of its generation up to that instant, through the
 * engine's own write code. Verified at each step: the object's SHA-256, the snapshot database against its manifest,
 * the replayed database's integrity and memory count against the last record applied. A restored tenant starts a
 * new generation, so what it writes next never mixes with the timeline it was restored from.
 */
final class Restorer {

  /** The tenant has no snapshot at or before the instant (it had no data yet, or it is not in this target). */
  static final class NoSnapshot extends BackupException {
    NoSnapshot(String tenantId, Instant at, String target) {
      super("tenant " + tenantId + " has no snapshot " + (at == null ? "" : "at or before " + at + " ") + "in " + target);
    }
  }

  /** What one restore did. */
  record Restored(String owner, String snapshotId, long records, long memories, Instant upTo) {}

  private final BackupTarget target;
  private final DataKeys keys;
  private final Snapshots snapshots;

  Restorer(BackupTarget target, DataKeys keys, Snapshots snapshots) {
    this.target = target;
    this.keys = keys;
    this.snapshots = snapshots;
  }

  /** Tenants that have a snapshot in the target. */
  List<String> tenants() throws IOException {
    java.util.SortedSet<String> ids = new java.util.TreeSet<>();
    for (String key : target.list("tenants/")) {
      String[] parts = key.split("/");
      if (parts.length > 3 && parts[2].equals("snapshots") && key.endsWith("/" + Snapshots.MANIFEST)) ids.add(parts[1]);
    }
    return new ArrayList<>(ids);
  }

  /** Restores the control plane's latest snapshot into {@code file} (which must not exist). */
  Restored restoreControl(Path file) throws IOException, SQLException {
    List<JsonObject> all = snapshots.list(Backups.CONTROL);
    if (all.isEmpty()) throw new BackupException("the target has no snapshot of the control plane");
    JsonObject manifest = all.get(all.size() - 1);
    Path partial = partial(file);
    snapshots.restore(manifest, partial);
    Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
    return new Restored(Backups.CONTROL, manifest.getString("id"), 0,
        manifest.getJsonObject("database").getLong("memory_count"), Instant.parse(manifest.getString("taken_at")));
  }

  /**
   * Restores a tenant as it was at {@code at} (null: everything the target holds) into {@code file}, which must not
   * exist; the file appears only once the restore has been verified.
   */
  Restored restoreTenant(String tenantId, Instant at, Path file) throws IOException, SQLException {
    if (Files.exists(file)) throw new BackupException(file + " exists: restore into a new data directory");
    JsonObject manifest = choose(tenantId, at);
    Path partial = partial(file);
    Files.deleteIfExists(partial);
    try {
      DatabaseSummary snapshot = snapshots.restore(manifest, partial);
      String generation = snapshot.position() == null ? null : snapshot.position().generation();
      long fromSeq = snapshot.position() == null ? 0 : snapshot.position().seq();
      long applied = 0;
      long expectedMemories = snapshot.memoryCount();
      Instant upTo = snapshot.position() == null ? Instant.parse(manifest.getString("taken_at")) : snapshot.position().at();
      try (ChangeReplay replay = ChangeReplay.open(partial)) {
        if (generation != null) {
          for (ChangeRecord record : records(tenantId, generation, fromSeq)) {
            if (at != null && record.at().isAfter(at)) break;
            if (record.seq() <= replay.position().seq()) continue; // already in (a segment shipped twice)
            if (record.seq() != replay.position().seq() + 1) {
              throw new BackupException("the change log of " + tenantId + " misses records "
                  + (replay.position().seq() + 1) + ".." + (record.seq() - 1) + " of generation " + generation
                  + (at == null ? "" : ": restore to an instant before them, or after a later snapshot"));
            }
            replay.apply(record);
            applied++;
            expectedMemories = record.memories();
            upTo = record.at();
          }
        }
        long count = replay.memoryCount();
        if (count != expectedMemories) {
          throw new BackupException("verification of " + tenantId + " failed: " + count
              + " memories after replay, the log says " + expectedMemories);
        }
        replay.startGeneration();
      }
      DatabaseSummary restored = DatabaseSummary.of(partial);
      if (restored.memoryCount() != expectedMemories) {
        throw new BackupException("verification of " + tenantId + " failed after the restore");
      }
      Files.deleteIfExists(partial.resolveSibling(partial.getFileName() + "-wal"));
      Files.deleteIfExists(partial.resolveSibling(partial.getFileName() + "-shm"));
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
      return new Restored(tenantId, manifest.getString("id"), applied, expectedMemories, upTo);
    } catch (IOException | SQLException | RuntimeException e) {
      Files.deleteIfExists(partial);
      Files.deleteIfExists(partial.resolveSibling(partial.getFileName() + "-wal"));
      Files.deleteIfExists(partial.resolveSibling(partial.getFileName() + "-shm"));
      throw e;
    }
  }

  private static Path partial(Path file) throws IOException {
    PrivateFiles.createDirectories(file.getParent());
    return file.resolveSibling(file.getFileName() + ".restoring");
  }

  /** The latest snapshot whose content is at or before {@code at} (the latest of all when null). */
  private JsonObject choose(String tenantId, Instant at) throws IOException {
    JsonObject best = null;
    for (JsonObject m : snapshots.list(tenantId)) {
      Instant contentAt = contentAt(m);
      if (at != null && contentAt.isAfter(at)) continue;
      if (best == null || !contentAt.isBefore(contentAt(best))) best = m;
    }
    if (best == null) throw new NoSnapshot(tenantId, at, target.describe());
    return best;
  }

  /** When the snapshot's content was committed: its change position's instant, else when it was taken. */
  private static Instant contentAt(JsonObject manifest) {
    JsonObject position = manifest.getJsonObject("database").getJsonObject("position");
    if (position != null && position.getLong("seq") > 0) return Instant.parse(position.getString("at"));
    return Instant.parse(manifest.getString("taken_at"));
  }

  /** The generation's records after {@code fromSeq}, in order, from every segment (sealed or live) in the target. */
  private List<ChangeRecord> records(String tenantId, String generation, long fromSeq) throws IOException {
    String dir = ChangeLogs.logDir(tenantId) + generation + "/";
    byte[] key = null;
    List<ChangeRecord> records = new ArrayList<>();
    for (String name : target.list(dir)) {
      if (!name.endsWith(".seg")) continue;
      String file = name.substring(name.lastIndexOf('/') + 1);
      if (!file.equals(ChangeLogs.LIVE)) {
        long last = Long.parseLong(file.substring(file.indexOf('-') + 1, file.indexOf('.')));
        if (last <= fromSeq) continue;
      }
      byte[] bytes = target.get(name);
      if (bytes == null) continue;
      if (key == null) key = keys.existing(tenantId);
      for (ChangeRecord r : ChangeLogs.decode(key, tenantId, generation, bytes)) {
        if (r.seq() > fromSeq) records.add(r);
      }
    }
    records.sort(Comparator.comparingLong(ChangeRecord::seq));
    return records;
  }
}
