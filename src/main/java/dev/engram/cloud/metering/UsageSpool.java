package dev.engram.cloud.metering;

import dev.engram.cloud.controlplane.UsageDay;
import dev.engram.cloud.sqlite.PrivateFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * This node's durable record of usage that is not folded into the control plane yet: append-only segment files under
 * {@code <data_dir>/spool}, one line per request ({@code at-millis, tenant, request id, calls, created, searches}).
 *
 * <p>{@link #append} runs on the HTTP event loop as a response's headers go out, so a reply the client sees implies its
 * line is in the file. It is one {@code write} of about a hundred bytes into the page cache (no fsync, no read,
 * bounded), which survives a process crash ({@code kill -9}); {@link #sync} (a worker, on a short timer) makes it survive an OS
 * crash too, the same window the tenant databases' {@code synchronous=NORMAL} has. Handing the line to another thread
 * and waiting for it would cost every request two thread hops for the same guarantee.
 *
 * <p>Metering folds sealed segments into the control plane, each in one transaction keyed by the segment's id (a
 * segment folded twice adds nothing), and deletes a segment's file only after its fold committed. Segments found at
 * start (a crash, or a stop whose last fold failed) are read back and folded like sealed ones. Each segment keeps its
 * counts per tenant and day in memory, so that usage queries see spooled counts without reading files.
 */
public final class UsageSpool {

  private static final Logger log = LoggerFactory.getLogger(UsageSpool.class);
  static final String SUFFIX = ".spool";

  private record DayKey(String tenantId, LocalDate day) {}

  /** One segment file and the counts it holds. Its counts and channel are guarded by the spool. */
  public static final class Segment {
    private final String id;
    private final Path file;
    private final FileChannel channel;
    private final Map<DayKey, UsageDay> counts = new HashMap<>();
    private long events;
    private long oldestMillis = Long.MAX_VALUE;

    private Segment(String id, Path file, FileChannel channel) {
      this.id = id;
      this.file = file;
      this.channel = channel;
    }

    /** Unique across nodes and restarts: the file name. */
    public String id() {
      return id;
    }

    private void count(long atMillis, String tenantId, long calls, long created, long searches) {
      LocalDate day = Instant.ofEpochMilli(atMillis).atZone(ZoneOffset.UTC).toLocalDate();
      counts.merge(new DayKey(tenantId, day), new UsageDay(tenantId, day, calls, created, searches), UsageDay::plus);
      events++;
      oldestMillis = Math.min(oldestMillis, atMillis);
    }
  }

  private final Path dir;
  private Segment open;
  /** Sealed (or recovered at start) and not folded yet, oldest first. */
  private final List<Segment> sealed = new ArrayList<>();
  private boolean dirty;
  private final AtomicLong writeErrors = new AtomicLong();

  private UsageSpool(Path dir) {
    this.dir = dir;
  }

  /** Opens the spool directory, reading back the segments a previous run left. Blocking: call from a worker. */
  public static UsageSpool open(Path dir) throws IOException {
    PrivateFiles.createDirectories(dir);
    UsageSpool spool = new UsageSpool(dir);
    List<Path> found;
    try (Stream<Path> files = Files.list(dir)) {
      found = files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
    }
    for (Path file : found) {
      Segment recovered = read(file);
      if (recovered.events == 0) {
        Files.delete(file);
      } else {
        log.info("usage spool: recovered {} event(s) from {}", recovered.events, file.getFileName());
        spool.sealed.add(recovered);
      }
    }
    spool.open = spool.newSegment();
    return spool;
  }

  /**
   * Appends one request's usage. Never throws: a failed write is logged and counted, and the usage is still counted
   * in memory (folded unless the process dies first).
   */
  public void append(String tenantId, String requestId, long calls, long created, long searches) {
    long now = System.currentTimeMillis();
    byte[] line = (now + "\t" + tenantId + "\t" + requestId + "\t" + calls + "\t" + created + "\t" + searches + "\n")
        .getBytes(StandardCharsets.UTF_8);
    synchronized (this) {
      open.count(now, tenantId, calls, created, searches);
      dirty = true;
      try {
        ByteBuffer buffer = ByteBuffer.wrap(line);
        while (buffer.hasRemaining()) open.channel.write(buffer);
      } catch (IOException | RuntimeException e) {
        if (writeErrors.getAndIncrement() % 1000 == 0) {
          log.error("usage spool: cannot write {} (usage is still counted in memory): {}", open.file, e.toString());
        }
      }
    }
  }

  /** Makes what was appended survive an OS crash. Blocking: call from a worker. */
  public void sync() throws IOException {
    FileChannel channel;
    synchronized (this) {
      if (!dirty) return;
      dirty = false;
      channel = open.channel;
    }
    try {
      channel.force(false);
    } catch (ClosedChannelException sealedMeanwhile) {
      // the fold forces a segment when it seals it
    }
  }

  /**
   * Seals the open segment if it holds anything (a new one takes the appends) and returns every segment awaiting its
   * fold, oldest first, each forced to disk. Blocking: call from a worker.
   */
  public List<Segment> seal() throws IOException {
    boolean any;
    synchronized (this) {
      any = open.events > 0;
    }
    if (any) {
      Segment next = newSegment(); // made outside the lock: appends wait for the swap only
      Segment full;
      synchronized (this) {
        full = open;
        sealed.add(full);
        open = next;
      }
      full.channel.force(false);
      full.channel.close();
    }
    synchronized (this) {
      return List.copyOf(sealed);
    }
  }

  /** The segment's usage, one entry per tenant and day, for its fold. */
  public List<UsageDay> counts(Segment segment) {
    synchronized (this) {
      return List.copyOf(segment.counts.values());
    }
  }

  /** After the segment's fold committed: it stops counting as spooled and its file goes. Blocking: a worker. */
  public void folded(Segment segment) throws IOException {
    synchronized (this) {
      sealed.remove(segment);
    }
    Files.deleteIfExists(segment.file);
  }

  /** The tenant's spooled usage per day in {@code [from, to]}. */
  public synchronized List<UsageDay> unfolded(String tenantId, LocalDate from, LocalDate to) {
    Map<LocalDate, UsageDay> days = new HashMap<>();
    for (Segment s : sealed) add(days, s, tenantId, from, to);
    add(days, open, tenantId, from, to);
    return List.copyOf(days.values());
  }

  private static void add(Map<LocalDate, UsageDay> days, Segment s, String tenantId, LocalDate from, LocalDate to) {
    s.counts.forEach((k, v) -> {
      if (k.tenantId().equals(tenantId) && !k.day().isBefore(from) && !k.day().isAfter(to)) {
        days.merge(k.day(), v, UsageDay::plus);
      }
    });
  }

  /** Requests whose usage is spooled and not folded yet. */
  public synchronized long depth() {
    long n = open.events;
    for (Segment s : sealed) n += s.events;
    return n;
  }

  /** When the oldest unfolded request was spooled; empty spool: none. */
  public synchronized long oldestMillis() {
    long oldest = open.oldestMillis;
    for (Segment s : sealed) oldest = Math.min(oldest, s.oldestMillis);
    return oldest;
  }

  public long writeErrors() {
    return writeErrors.get();
  }

  /** Forces and closes the open segment; an empty one is removed. Blocking: a worker, after the last append. */
  public void close() throws IOException {
    Segment last;
    synchronized (this) {
      last = open;
    }
    last.channel.force(false);
    last.channel.close();
    if (last.events == 0) Files.deleteIfExists(last.file);
  }

  private Segment newSegment() throws IOException {
    // Time first, so that a listing reads oldest first; the random part makes the id unique across nodes.
    String id = String.format("%013d-%s", System.currentTimeMillis(), UUID.randomUUID().toString().replace("-", ""));
    Path file = dir.resolve(id + SUFFIX);
    PrivateFiles.createFile(file);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    return new Segment(id, file, channel);
  }

  /** A segment left by an earlier run; a torn or unreadable last line (an OS crash mid-write) is skipped. */
  private static Segment read(Path file) throws IOException {
    String name = file.getFileName().toString();
    Segment segment = new Segment(name.substring(0, name.length() - SUFFIX.length()), file, null);
    String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    int skipped = 0;
    int start = 0;
    for (int end; (end = text.indexOf('\n', start)) >= 0; start = end + 1) {
      String[] f = text.substring(start, end).split("\t", -1);
      try {
        if (f.length != 6) throw new IllegalArgumentException("fields: " + f.length);
        segment.count(Long.parseLong(f[0]), f[1], Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]));
      } catch (IllegalArgumentException e) {
        skipped++;
      }
    }
    if (skipped > 0 || start < text.length()) {
      log.warn("usage spool: {} unreadable line(s) in {} skipped", skipped + (start < text.length() ? 1 : 0), name);
    }
    return segment;
  }
}
