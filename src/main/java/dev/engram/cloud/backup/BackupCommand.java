package dev.engram.cloud.backup;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.sqlite.PrivateFiles;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The backup subcommands of the jar:
 * <pre>
 * restore --from TARGET --at RFC3339|latest [--tenant ID] --data-dir NEW_DIR
 * backup now [--data-dir DIR] [--config FILE]
 * backup rotate-key [--data-dir DIR] [--config FILE]     (ENGRAM_BACKUP_KEY_OLD → ENGRAM_BACKUP_KEY)
 * </pre>
 * Exit codes: 0 done and verified, 1 failed (the output says what), 2 usage error.
 */
public final class BackupCommand {

  public static final String USAGE_TEXT = """
      usage: java -jar engram-cloud.jar restore --from TARGET --at RFC3339|latest [--tenant ID] --data-dir NEW_DIR
             java -jar engram-cloud.jar backup now [--data-dir DIR] [--config FILE]
             java -jar engram-cloud.jar backup rotate-key [--data-dir DIR] [--config FILE]
        restore      restores every tenant (and the embedded control plane), or one --tenant, as it was at --at
                     (the latest when 'latest') into NEW_DIR, a new data directory, verifying each; TARGET is a
                     directory (data/backups) or s3://BUCKET[/PREFIX] (with S3_ENDPOINT, S3_REGION and AWS_*
                     credentials); the master key is ENGRAM_BACKUP_KEY (for a local TARGET without it, the
                     backup-master.key beside TARGET)
        backup now   snapshots every tenant and the control plane of DIR now (a server may be running on it)
        backup rotate-key  re-wraps every data key in the target from ENGRAM_BACKUP_KEY_OLD to ENGRAM_BACKUP_KEY""";

  private BackupCommand() {}

  public static int restore(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
    Map<String, String> flags = flags(args);
    if (flags == null || !flags.containsKey("from") || !flags.containsKey("at") || !flags.containsKey("data-dir")) {
      err.println(USAGE_TEXT);
      return 2;
    }
    Instant at;
    try {
      at = flags.get("at").equals("latest") ? null : OffsetDateTime.parse(flags.get("at")).toInstant();
    } catch (DateTimeParseException e) {
      err.println("restore: --at must be an RFC 3339 instant (2026-05-01T12:00:00Z) or 'latest'");
      return 2;
    }
    Path newDir = Path.of(flags.get("data-dir")).toAbsolutePath().normalize();
    String tenant = flags.get("tenant");
    try (BackupTarget target = target(flags.get("from"), env)) {
      MasterKey master = master(flags.get("from"), env);
      Restorer restorer = Backups.forRestore(target, master, newDir).restorer();
      PrivateFiles.createDirectories(newDir);
      int failures = 0;
      if (tenant == null && !target.list("control/snapshots/").isEmpty()) {
        Path control = newDir.resolve("control.db");
        if (Files.exists(control)) {
          err.println("restore: " + control + " exists: restore into a new data directory");
          return 1;
        }
        Restorer.Restored r = restorer.restoreControl(control);
        out.println("restored control plane from snapshot " + r.snapshotId() + ": verified");
      }
      List<String> tenants = tenant != null ? List.of(tenant) : restorer.tenants();
      for (String id : tenants) {
        try {
          Restorer.Restored r = restorer.restoreTenant(id, at, newDir.resolve("tenants").resolve(id).resolve("engram.db"));
          out.println("restored " + id + " to " + r.upTo() + ": " + r.memories() + " memories (snapshot "
              + r.snapshotId() + " + " + r.records() + " change records), verified");
        } catch (Restorer.NoSnapshot e) {
          if (tenant != null) {
            err.println("restore: " + e.getMessage());
            failures++;
          } else {
            out.println("skipped " + id + ": " + e.getMessage());
          }
        } catch (Exception e) {
          err.println("restore of " + id + " FAILED: " + e.getMessage());
          failures++;
        }
      }
      if (failures > 0) {
        err.println("restore: " + failures + " failed; do not start a server on " + newDir + " before fixing them");
        return 1;
      }
      out.println("restore complete: " + tenants.size() + " tenant(s) into " + newDir);
      return 0;
    } catch (Exception e) {
      err.println("restore FAILED: " + e.getMessage());
      return 1;
    }
  }

  public static int backup(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
    if (args.isEmpty() || !(args.get(0).equals("now") || args.get(0).equals("rotate-key"))) {
      err.println(USAGE_TEXT);
      return 2;
    }
    EngramConfig config;
    try {
      config = EngramConfig.fromJson(ConfigLoader.load(args.subList(1, args.size()).toArray(String[]::new), env));
    } catch (IllegalArgumentException e) {
      err.println("backup: " + e.getMessage());
      return 2;
    }
    try {
      if (args.get(0).equals("now")) {
        Backups backups = Backups.forCommand(config, env);
        try {
          List<String> failed = backups.snapshotAll();
          if (!failed.isEmpty()) {
            err.println("backup now FAILED for " + failed + " (see the log above)");
            return 1;
          }
          out.println("backup now: " + backups.tenantsOnDisk().size() + " tenant(s) and the control plane"
              + " snapshotted and verified into " + backups.target().describe());
          return 0;
        } finally {
          backups.target().close();
        }
      }
      String old = env.get(MasterKey.ENV + "_OLD");
      if (old == null || old.isBlank() || env.get(MasterKey.ENV) == null) {
        err.println("backup rotate-key: set ENGRAM_BACKUP_KEY_OLD (the current key) and ENGRAM_BACKUP_KEY (the new)");
        return 2;
      }
      MasterKey from = MasterKey.parse(old, MasterKey.ENV + "_OLD");
      MasterKey to = MasterKey.parse(env.get(MasterKey.ENV), MasterKey.ENV);
      try (BackupTarget target = Backups.target(config.backup(), config.dataDir())) {
        int rewrapped = 0;
        int already = 0;
        for (String key : target.list("keys/")) {
          if (!key.endsWith(".json")) continue;
          byte[] stored = target.get(key);
          String owner = key.substring("keys/".length(), key.length() - ".json".length());
          if (to.id().equals(DataKeys.masterKeyId(stored))) {
            already++;
            continue;
          }
          byte[] dataKey = DataKeys.unwrap(from, owner, stored);
          target.put(key, DataKeys.wrap(to, owner, dataKey));
          rewrapped++;
        }
        out.println("backup rotate-key: " + rewrapped + " data key(s) re-wrapped from master key " + from.id()
            + " to " + to.id() + (already > 0 ? " (" + already + " already were)" : "")
            + "; restart the servers with the new ENGRAM_BACKUP_KEY");
        return 0;
      }
    } catch (Exception e) {
      err.println("backup " + args.get(0) + " FAILED: " + e.getMessage());
      return 1;
    }
  }

  static BackupTarget target(String from, Map<String, String> env) {
    if (from.startsWith("s3://")) {
      String rest = from.substring("s3://".length());
      int slash = rest.indexOf('/');
      String bucket = slash < 0 ? rest : rest.substring(0, slash);
      String prefix = slash < 0 ? null : rest.substring(slash + 1);
      return new S3Target(bucket, env.get("S3_ENDPOINT"), env.get("S3_REGION"), prefix);
    }
    Path dir = Path.of(from).toAbsolutePath().normalize();
    if (!Files.isDirectory(dir)) throw new BackupException("no backup directory " + dir);
    return new LocalTarget(dir);
  }

  private static MasterKey master(String from, Map<String, String> env) throws IOException {
    String value = env.get(MasterKey.ENV);
    if (value != null && !value.isBlank()) return MasterKey.parse(value, MasterKey.ENV);
    if (!from.startsWith("s3://")) {
      Path beside = Path.of(from).toAbsolutePath().normalize().resolveSibling(MasterKey.GENERATED_FILE);
      if (Files.exists(beside)) return MasterKey.parse(Files.readString(beside, StandardCharsets.US_ASCII),
          beside.toString());
    }
    throw new BackupException(MasterKey.ENV + " is not set (the master key the backups were written under)");
  }

  /** {@code --name value} or {@code --name=value}; null on anything else. */
  private static Map<String, String> flags(List<String> args) {
    Map<String, String> flags = new HashMap<>();
    List<String> rest = new ArrayList<>(args);
    for (int i = 0; i < rest.size(); i++) {
      String arg = rest.get(i);
      if (!arg.startsWith("--")) return null;
      int eq = arg.indexOf('=');
      if (eq > 0) {
        flags.put(arg.substring(2, eq), arg.substring(eq + 1));
      } else if (i + 1 < rest.size()) {
        flags.put(arg.substring(2), rest.get(++i));
      } else {
        return null;
      }
    }
    return flags;
  }
}
