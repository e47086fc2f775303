package dev.engram.cloud.backup;

import dev.engram.cloud.engine.ChangeLogSink;
import dev.engram.cloud.engine.ChangePosition;
import dev.engram.cloud.engine.ChangeRecords.ChangeRecord;
import dev.engram.cloud.sqlite.PrivateFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The change log: each tenant's committed groups of writes, appended on the engine's thread after the commit and
 * before the answer, one encrypted frame ({@code length ‖ AES-GCM}) and one {@code fsync} per group (so per batch
 * of the group commit, not per write). A tenant appends to {@code tenants/<id>/log/<generation>/live.seg}; at each
 * shipping interval the live segment is sealed (renamed {@code <first>-<last>.seg}, sequence numbers of its first
 * and last record) and, for an object store, uploaded under the same name and then deleted. Names are derived from
 * the records, so an upload retried after a crash writes the same object again: nothing is lost or doubled, and a
 * restore skips any record it has already applied. For the local target the live segment is inside the target, so
 * an acknowledged write is in the backup (RPO zero).
 */
final class ChangeLogs implements ChangeLogSink {

  private static final Logger log = LoggerFactory.getLogger(ChangeLogs.class);
  static final String LIVE = "live.seg";
  private static final String LAST = "last";

  /** What the log needs from the rest of backups. */
  interface Owner {
    boolean hasSnapshot(String tenantId, String generation);

    void requestSnapshot(String tenantId);

    void failed(String kind);
  }

  private final Path root;
  private final DataKeys keys;
  private final Owner owner;
  private final Map<String, TenantLog> logs = new ConcurrentHashMap<>();

  ChangeLogs(Path root, DataKeys keys, Owner owner) {
    this.root = root;
    this.keys = keys;
    this.owner = owner;
  }

  static String logDir(String tenantId) {
    return "tenants/" + tenantId + "/log/";
  }

  static String segmentName(long first, long last) {
    return String.format("%020d-%020d.seg", first, last);
  }

  /** One tenant's log; its monitor serializes the engine's appends with sealing. */
  private static final class TenantLog {
    String generation;
    FileChannel channel;
    Path file;
    long first = -1;
    long last = -1;
    /** The last record written (any generation), or null when unknown. */
    ChangePosition position;
    Instant oldestUnsealed;
    Instant oldestUnshipped;
  }

  @Override
  public boolean continues(String tenantId, ChangePosition position) {
    TenantLog t = load(tenantId);
    synchronized (t) {
      return t.position != null && t.position.generation().equals(position.generation())
          && t.position.seq() == position.seq();
    }
  }

  @Override
  public void append(String tenantId, ChangeRecord record) {
    TenantLog t = load(tenantId);
    synchronized (t) {
      long before = -1;
      try {
        if (t.generation != null && !t.generation.equals(record.generation())) seal(tenantId, t);
        if (t.channel == null) openLive(tenantId, t, record.generation());
        byte[] frame = BackupCrypto.seal(keys.forOwner(tenantId), record.toBytes(), context(tenantId, record.generation()));
        ByteBuffer buffer = ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).flip();
        before = t.channel.size();
        while (buffer.hasRemaining()) t.channel.write(buffer);
        t.channel.force(false);
        if (t.first < 0) t.first = record.seq();
        t.last = record.seq();
        t.position = new ChangePosition(record.generation(), record.seq(), record.at());
        if (t.oldestUnsealed == null) t.oldestUnsealed = Instant.now();
      } catch (Throwable e) {
        log.error("appending change record {} of tenant {} failed; a snapshot will cover it", record.seq(), tenantId, e);
        owner.failed("log");
        abandonLive(tenantId, t, before);
        owner.requestSnapshot(tenantId);
        return;
      }
    }
    if (!owner.hasSnapshot(tenantId, record.generation())) owner.requestSnapshot(tenantId);
  }

  private static String context(String tenantId, String generation) {
    return "log:" + tenantId + ":" + generation;
  }

  private void openLive(String tenantId, TenantLog t, String generation) throws IOException {
    Path dir = PrivateFiles.createDirectories(root.resolve(logDir(tenantId) + generation));
    t.file = dir.resolve(LIVE);
    PrivateFiles.createFile(t.file);
    t.channel = FileChannel.open(t.file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    t.generation = generation;
  }

  /** After a failed append: cut the torn frame off (when possible) and close the segment as it was. */
  private void abandonLive(String tenantId, TenantLog t, long size) {
    try {
      if (t.channel != null && size >= 0) t.channel.truncate(size);
    } catch (IOException ignored) {
      // reading stops at a torn frame in any case
    }
    try {
      seal(tenantId, t);
    } catch (IOException e) {
      log.error("closing the change log of tenant {} failed", tenantId, e);
      t.channel = null;
      t.generation = null;
    }
  }

  /** Closes the live segment and names it by its records; the caller holds the tenant's monitor. */
  private Path seal(String tenantId, TenantLog t) throws IOException {
    if (t.channel == null) return null;
    try {
      t.channel.force(false);
    } finally {
      t.channel.close();
      t.channel = null;
    }
    Path sealed = null;
    if (t.first >= 0) {
      sealed = t.file.resolveSibling(segmentName(t.first, t.last));
      Files.move(t.file, sealed, StandardCopyOption.ATOMIC_MOVE);
      Path last = root.resolve(logDir(tenantId) + LAST);
      PrivateFiles.createFile(last);
      Files.writeString(last, t.generation + " " + t.last);
    } else {
      Files.deleteIfExists(t.file);
    }
    t.first = -1;
    t.last = -1;
    t.generation = null;
    if (t.oldestUnsealed != null && t.oldestUnshipped == null) t.oldestUnshipped = t.oldestUnsealed;
    t.oldestUnsealed = null;
    return sealed;
  }

  /**
   * The tenant's log as the files say: a live segment left by an earlier process is read (its torn last frame, from
   * a crash during an append, cut off: that write was never acknowledged) and sealed.
   */
  private TenantLog load(String tenantId) {
    return logs.computeIfAbsent(tenantId, id -> {
      TenantLog t = new TenantLog();
      try {
        Path dir = root.resolve(logDir(id));
        Path last = dir.resolve(LAST);
        if (Files.exists(last)) {
          String[] parts = Files.readString(last).trim().split(" ");
          t.position = new ChangePosition(parts[0], Long.parseLong(parts[1]), Instant.EPOCH);
        }
        if (Files.isDirectory(dir)) {
          try (Stream<Path> lives = Files.list(dir)) {
            for (Path live : lives.map(g -> g.resolve(LIVE)).filter(Files::exists).toList()) {
              String generation = live.getParent().getFileName().toString();
              List<ChangeRecord> records = readFrames(keys.forOwner(id), id, generation, live, true);
              if (records.isEmpty()) {
                Files.delete(live);
                continue;
              }
              t.file = live;
              t.generation = generation;
              t.first = records.get(0).seq();
              t.last = records.get(records.size() - 1).seq();
              t.channel = FileChannel.open(live, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
              t.oldestUnsealed = Instant.now();
              seal(id, t);
              t.position = new ChangePosition(generation, records.get(records.size() - 1).seq(), Instant.EPOCH);
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        log.error("reading the change log of tenant {} failed; its next writes start a new lineage", id, e);
        owner.failed("log");
        t.position = null;
      }
      return t;
    });
  }

  /** Reads leftover live segments of every tenant (after a crash) and seals them; called once at start. */
  void recover() throws IOException {
    Path tenants = root.resolve("tenants");
    if (!Files.isDirectory(tenants)) return;
    try (Stream<Path> dirs = Files.list(tenants)) {
      for (Path dir : dirs.toList()) load(dir.getFileName().toString());
    }
  }

  /** Seals every live segment that holds records; returns the tenants whose logs it sealed. */
  List<String> sealAll() {
    List<String> sealed = new ArrayList<>();
    for (Map.Entry<String, TenantLog> e : logs.entrySet()) {
      TenantLog t = e.getValue();
      synchronized (t) {
        try {
          if (seal(e.getKey(), t) != null) sealed.add(e.getKey());
        } catch (IOException ex) {
          log.error("sealing the change log of tenant {} failed", e.getKey(), ex);
          owner.failed("ship");
        }
      }
    }
    return sealed;
  }

  /** Uploads every sealed segment to an object store and deletes it here once stored. */
  void ship(BackupTarget target) throws IOException {
    Path tenants = root.resolve("tenants");
    if (!Files.isDirectory(tenants)) return;
    List<Path> segments;
    try (Stream<Path> files = Files.walk(tenants)) {
      segments = files.filter(p -> p.getFileName().toString().endsWith(".seg") && !p.getFileName().toString().equals(LIVE))
          .sorted().toList();
    }
    for (Path segment : segments) {
      String key = root.relativize(segment).toString().replace('\\', '/');
      target.put(key, segment);
      Files.delete(segment);
    }
    for (TenantLog t : logs.values()) {
      synchronized (t) {
        t.oldestUnshipped = null;
      }
    }
  }

  /** Seconds since the oldest record not yet in the target was appended (0 when everything is there). */
  double lagSeconds(boolean uploads) {
    Instant now = Instant.now();
    double lag = 0;
    for (TenantLog t : logs.values()) {
      Instant oldest = uploads ? min(t.oldestUnsealed, t.oldestUnshipped) : null;
      if (oldest != null) lag = Math.max(lag, (now.toEpochMilli() - oldest.toEpochMilli()) / 1000.0);
    }
    return lag;
  }

  private static Instant min(Instant a, Instant b) {
    if (a == null) return b;
    if (b == null) return a;
    return a.isBefore(b) ? a : b;
  }

  /**
   * The records of one segment, in order. A torn last frame (a crash during an append) ends it; with
   * {@code truncate}, the file is cut back to its last whole frame.
   */
  static List<ChangeRecord> readFrames(byte[] key, String tenantId, String generation, Path file, boolean truncate)
      throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int whole = wholeFrames(bytes);
    if (truncate && whole < bytes.length) {
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
        channel.truncate(whole);
      }
    }
    return decode(key, tenantId, generation, bytes, whole);
  }

  static List<ChangeRecord> decode(byte[] key, String tenantId, String generation, byte[] bytes) {
    return decode(key, tenantId, generation, bytes, wholeFrames(bytes));
  }

  private static List<ChangeRecord> decode(byte[] key, String tenantId, String generation, byte[] bytes, int length) {
    List<ChangeRecord> records = new ArrayList<>();
    ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, length);
    while (buffer.remaining() >= 4) {
      byte[] frame = new byte[buffer.getInt()];
      buffer.get(frame);
      records.add(ChangeRecord.fromBytes(BackupCrypto.open(key, frame, context(tenantId, generation))));
    }
    return records;
  }

  private static int wholeFrames(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    int whole = 0;
    while (buffer.remaining() >= 4) {
      int length = buffer.getInt();
      if (length < 0 || length > buffer.remaining()) break;
      buffer.position(buffer.position() + length);
      whole = buffer.position();
    }
    return whole;
  }
}
