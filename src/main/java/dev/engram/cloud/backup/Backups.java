package dev.engram.cloud.backup;

import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.engine.ChangeLogSink;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Backups of one node: the target, the keys, the change log the engines append to, snapshots on schedule and on
 * request, shipping, retention, and the figures {@code /metrics} shows. Blocking throughout: the server calls it
 * from its backup worker pool (see {@link BackupVerticle}), the command line directly.
 */
public final class Backups {

  private static final Logger log = LoggerFactory.getLogger(Backups.class);
  /** The owner name of the control plane's snapshots. */
  public static final String CONTROL = "control";
  private static final Pattern TENANT_ID = Pattern.compile("tn_[a-z0-9]{20}");

  private final EngramConfig.Backup config;
  private final Path dataDir;
  private final BackupTarget target;
  private final DataKeys keys;
  private final Snapshots snapshots;
  private final ChangeLogs changeLogs;
  /** The latest snapshot of each owner: when taken and of which generation. */
  private final Map<String, Instant> lastSnapshot = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> snapshotGenerations = new ConcurrentHashMap<>();
  private final Set<String> requested = ConcurrentHashMap.newKeySet();
  private final Map<String, Counter> failures = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final Instant started = Instant.now();
  private long controlStamp = -1;

  private Backups(EngramConfig.Backup config, Path dataDir, BackupTarget target, MasterKey master,
                  MeterRegistry registry) {
    this.config = config;
    this.dataDir = dataDir;
    this.target = target;
    this.registry = registry;
    this.keys = new DataKeys(target, master);
    this.snapshots = new Snapshots(target, keys, dataDir.resolve("backup-tmp"));
    Path logRoot = target.liveLogRoot() != null ? target.liveLogRoot() : dataDir.resolve("changelog");
    this.changeLogs = new ChangeLogs(logRoot, keys, new ChangeLogs.Owner() {
      @Override
      public boolean hasSnapshot(String tenantId, String generation) {
        return snapshotGenerations.getOrDefault(tenantId, Set.of()).contains(generation);
      }

      @Override
      public void requestSnapshot(String tenantId) {
        requested.add(tenantId);
      }

      @Override
      public void failed(String kind) {
        Backups.this.failed(kind);
      }
    });
  }

  /** The target the configuration names: S3 when {@code S3_BUCKET} is set, else the local directory. */
  static BackupTarget target(EngramConfig.Backup config, Path dataDir) {
    if (config.s3Bucket() != null) {
      return new S3Target(config.s3Bucket(), config.s3Endpoint(), config.s3Region(), config.s3Prefix());
    }
    return new LocalTarget(config.localDir() != null ? config.localDir() : dataDir.resolve("backups"));
  }

  /** Opens backups for a server: reads what the target holds and recovers change logs left by a crash. */
  public static Backups open(EngramConfig config, Map<String, String> env, MeterRegistry registry) throws IOException {
    EngramConfig.Backup backup = config.backup();
    if (backup.s3Bucket() != null && (env.get(MasterKey.ENV) == null || env.get(MasterKey.ENV).isBlank())) {
      throw new BackupException(MasterKey.ENV + " must be set when backups go to S3 (S3_BUCKET): a key generated on"
          + " this disk would be lost with it");
    }
    MasterKey master = MasterKey.fromEnvironment(env.get(MasterKey.ENV), config.dataDir(), true);
    BackupTarget target = target(backup, config.dataDir());
    Backups backups = new Backups(backup, config.dataDir(), target, master, registry);
    backups.clearScratch();
    backups.keys.forOwner(CONTROL); // fails at start, clearly, when the key does not match the target's
    backups.loadCatalog();
    backups.changeLogs.recover();
    backups.registerMetrics();
    log.info("backups to {} (master key {}), change log shipped every {} s, snapshots every {} h",
        target.describe(), master.id(), backup.shipSeconds(), backup.snapshotHours());
    return backups;
  }

  /**
   * For the command line ({@code backup now}): the target, keys and snapshots, leaving the change logs to the
   * server that may be running on the same data directory.
   */
  static Backups forCommand(EngramConfig config, Map<String, String> env) throws IOException {
    MasterKey master = MasterKey.fromEnvironment(env.get(MasterKey.ENV), config.dataDir(), true);
    Backups backups = new Backups(config.backup(), config.dataDir(), target(config.backup(), config.dataDir()), master,
        null);
    backups.keys.forOwner(CONTROL);
    backups.loadCatalog();
    return backups;
  }

  static Backups forRestore(BackupTarget target, MasterKey master, Path dataDir) {
    return new Backups(null, dataDir, target, master, null);
  }

  public ChangeLogSink changeLog() {
    return changeLogs;
  }

  BackupTarget target() {
    return target;
  }

  Restorer restorer() {
    return new Restorer(target, keys, snapshots);
  }

  DataKeys keys() {
    return keys;
  }

  /** Copies a crash left behind in {@code data/backup-tmp} (a snapshot in the making is never resumed). */
  private void clearScratch() throws IOException {
    Path scratch = dataDir.resolve("backup-tmp");
    if (!Files.isDirectory(scratch)) return;
    try (Stream<Path> files = Files.list(scratch)) {
      for (Path file : files.toList()) Files.deleteIfExists(file);
    }
  }

  private void loadCatalog() throws IOException {
    for (String key : target.list("")) {
      if (!key.endsWith("/" + Snapshots.MANIFEST)) continue;
      String[] parts = key.split("/");
      String owner = parts[0].equals("control") ? CONTROL : parts.length > 1 ? parts[1] : null;
      if (owner == null) continue;
      String id = parts[parts.length - 2];
      noteSnapshot(owner, id);
    }
  }

  private void noteSnapshot(String owner, String id) {
    String[] idParts = id.split("-");
    try {
      Instant at = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSSX")
          .parse(idParts[0], Instant::from);
      lastSnapshot.merge(owner, at, (a, b) -> a.isAfter(b) ? a : b);
    } catch (RuntimeException ignored) {
      lastSnapshot.putIfAbsent(owner, Instant.EPOCH);
    }
    if (idParts.length >= 3) snapshotGenerations.computeIfAbsent(owner, o -> ConcurrentHashMap.newKeySet()).add(idParts[1]);
  }

  private void registerMetrics() {
    if (registry == null) return;
    Gauge.builder("engram_backup_last_snapshot_age_seconds", this, Backups::oldestSnapshotAgeSeconds)
        .description("Age of the oldest 'latest successful snapshot' over all tenants (the tenant furthest behind)")
        .register(registry);
    Gauge.builder("engram_backup_shipping_lag_seconds", this,
            b -> b.changeLogs.lagSeconds(b.target.liveLogRoot() == null))
        .description("Age of the oldest committed change not yet in the backup target").register(registry);
    for (String kind : List.of("snapshot", "ship", "log", "verify", "retention")) failed(kind, 0);
  }

  void failed(String kind) {
    failed(kind, 1);
  }

  private void failed(String kind, int n) {
    if (registry == null) return;
    failures.computeIfAbsent(kind, k -> Counter.builder("engram_backup_failures_total").tag("kind", k)
        .description("Backup operations that failed (snapshot, ship, log, verify, retention)").register(registry))
        .increment(n);
  }

  /** Max over the tenants with a database of the time since their last successful snapshot. */
  double oldestSnapshotAgeSeconds() {
    Instant now = Instant.now();
    double max = 0;
    for (String tenant : tenantsOnDisk()) {
      Instant last = lastSnapshot.getOrDefault(tenant, started);
      max = Math.max(max, Duration.between(last, now).toMillis() / 1000.0);
    }
    return max;
  }

  List<String> tenantsOnDisk() {
    Path dir = dataDir.resolve("tenants");
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> dirs = Files.list(dir)) {
      return dirs.filter(d -> TENANT_ID.matcher(d.getFileName().toString()).matches())
          .filter(d -> Files.exists(d.resolve("engram.db")))
          .map(d -> d.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /** Seals the live change logs and, for an object store, uploads what is sealed. */
  public void ship() {
    changeLogs.sealAll();
    if (target.liveLogRoot() != null) return;
    try {
      changeLogs.ship(target);
    } catch (IOException | RuntimeException e) {
      log.error("shipping change logs to {} failed; retried at the next interval", target.describe(), e);
      failed("ship");
    }
  }

  /**
   * Snapshots the tenants whose log asked for one (new, restored, or after a log failure), and the control plane
   * when it changed: it has no change log, so its snapshots follow its changes at the shipping interval (accounts
   * and keys are what let users reach their restored data).
   */
  public void snapshotRequested() {
    for (String tenant : List.copyOf(requested)) {
      requested.remove(tenant);
      snapshotTenant(tenant);
    }
    snapshotControl(false);
  }

  /** Snapshots every tenant due by the schedule, and the control plane when it changed. */
  public void snapshotDue() {
    Instant now = Instant.now();
    Duration interval = Duration.ofHours(config.snapshotHours());
    boolean any = false;
    for (String tenant : tenantsOnDisk()) {
      Instant last = lastSnapshot.get(tenant);
      if (last == null || !last.plus(interval).isAfter(now)) {
        any |= snapshotTenant(tenant);
      }
    }
    snapshotControl(any);
    prune();
  }

  /** {@code backup now}: every tenant and the control plane. Returns the failures. */
  public List<String> snapshotAll() {
    List<String> failed = new ArrayList<>();
    for (String tenant : tenantsOnDisk()) {
      if (!snapshotTenant(tenant)) failed.add(tenant);
    }
    if (!snapshotControl(true)) failed.add(CONTROL);
    prune();
    return failed;
  }

  boolean snapshotTenant(String tenant) {
    try {
      JsonObject manifest = snapshots.take(tenant, dataDir.resolve("tenants").resolve(tenant).resolve("engram.db"));
      noteSnapshot(tenant, manifest.getString("id"));
      log.info("snapshot {} of tenant {}: {} memories, {} bytes, verified", manifest.getString("id"), tenant,
          manifest.getJsonObject("database").getLong("memory_count"), manifest.getJsonObject("object").getLong("bytes"));
      return true;
    } catch (IOException | SQLException | RuntimeException e) {
      log.error("snapshot of tenant {} failed", tenant, e);
      failed(e instanceof BackupException ? "verify" : "snapshot");
      return false;
    }
  }

  /** The embedded control plane (SQLite), when it changed since its last snapshot or when {@code force}d. */
  boolean snapshotControl(boolean force) {
    Path file = dataDir.resolve("control.db");
    if (!Files.exists(file)) return true; // PostgreSQL: backed up by its own means (see the README)
    try {
      long stamp = Files.getLastModifiedTime(file).toMillis() + Files.size(file)
          + (Files.exists(dataDir.resolve("control.db-wal"))
          ? Files.getLastModifiedTime(dataDir.resolve("control.db-wal")).toMillis() : 0);
      if (!force && stamp == controlStamp && lastSnapshot.containsKey(CONTROL)) return true;
      JsonObject manifest = snapshots.take(CONTROL, file);
      noteSnapshot(CONTROL, manifest.getString("id"));
      controlStamp = stamp;
      return true;
    } catch (IOException | SQLException | RuntimeException e) {
      log.error("snapshot of the control plane failed", e);
      failed(e instanceof BackupException ? "verify" : "snapshot");
      return false;
    }
  }

  /** Applies retention to every owner in the target. */
  public void prune() {
    try {
      new Retention(target, config.keepDaily(), config.keepWeekly()).apply(Instant.now());
    } catch (IOException | RuntimeException e) {
      log.error("applying backup retention failed", e);
      failed("retention");
    }
  }

  /** A tenant's snapshots for {@code GET /v1/backups}, newest first. */
  public JsonArray list(String tenantId) throws IOException {
    List<JsonObject> all = snapshots.list(tenantId);
    JsonArray out = new JsonArray();
    for (int i = all.size() - 1; i >= 0; i--) {
      JsonObject m = all.get(i);
      JsonObject db = m.getJsonObject("database");
      JsonObject position = db.getJsonObject("position");
      out.add(new JsonObject().put("id", m.getString("id")).put("taken_at", m.getString("taken_at"))
          .put("memory_count", db.getLong("memory_count")).put("bytes", m.getJsonObject("object").getLong("bytes"))
          .put("schema_version", db.getInteger("schema_version")).put("verified", m.getBoolean("verified", false))
          .put("covers_until", position != null && position.getLong("seq") > 0 ? position.getString("at")
              : m.getString("taken_at")));
    }
    return out;
  }

  public void close() {
    changeLogs.sealAll();
    target.close();
  }
}
