package dev.engram.cloud.backup;

import dev.engram.cloud.sqlite.PrivateFiles;
import io.vertx.core.json.JsonObject;
import org.sqlite.SQLiteConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Takes and reads snapshots. A snapshot is {@code VACUUM INTO} a temporary file on a read-only connection of its
 * own: one read transaction, so a consistent copy whatever the engine writes meanwhile (WAL: it never blocks the
 * writer), holding the change log position it covers (written in the database with every group of writes). The copy
 * is verified, compressed, encrypted under its owner's data key, uploaded, and only then is its manifest written:
 * a snapshot without a manifest (a crash in between) is never listed, so never used, and retention removes it.
 */
final class Snapshots {

  static final String MANIFEST = "manifest.json";
  static final String DATA = "data.db.gz.enc";
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
      .withZone(ZoneOffset.UTC);

  private final BackupTarget target;
  private final DataKeys keys;
  private final Path scratch;

  Snapshots(BackupTarget target, DataKeys keys, Path scratch) {
    this.target = target;
    this.keys = keys;
    this.scratch = scratch;
  }

  /** {@code tenants/<id>/snapshots/} or {@code control/snapshots/}. */
  static String snapshotsOf(String owner) {
    return owner.equals(Backups.CONTROL) ? "control/snapshots/" : "tenants/" + owner + "/snapshots/";
  }

  /** Snapshots the database {@code file} of {@code owner}; returns its manifest. */
  JsonObject take(String owner, Path file) throws IOException, SQLException {
    PrivateFiles.createDirectories(scratch);
    Instant takenAt = Instant.now();
    Path copy = LocalTarget.privateEmpty(scratch.resolve(owner + "-" + System.nanoTime() + ".db"));
    Path gz = LocalTarget.privateEmpty(copy.resolveSibling(copy.getFileName() + ".gz"));
    Path sealed = LocalTarget.privateEmpty(copy.resolveSibling(copy.getFileName() + ".enc"));
    try {
      SQLiteConfig readOnly = new SQLiteConfig();
      readOnly.setReadOnly(true);
      readOnly.setBusyTimeout(5000);
      try (Connection conn = readOnly.createConnection("jdbc:sqlite:" + file);
           PreparedStatement vacuum = conn.prepareStatement("VACUUM INTO ?")) {
        vacuum.setString(1, copy.toString());
        vacuum.execute();
      }
      DatabaseSummary summary = DatabaseSummary.of(copy);
      String id = STAMP.format(takenAt) + (summary.position() == null ? ""
          : "-" + summary.position().generation() + "-" + summary.position().seq());
      String prefix = snapshotsOf(owner) + id + "/";
      String context = "snapshot:" + owner + ":" + id;
      byte[] key = keys.forOwner(owner);
      try (InputStream in = Files.newInputStream(copy);
           OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz), 1 << 16)) {
        in.transferTo(out);
      }
      MessageDigest sha = sha256();
      try (InputStream in = Files.newInputStream(gz);
           OutputStream out = new DigestOutputStream(Files.newOutputStream(sealed), sha)) {
        BackupCrypto.encrypt(key, in, out, context);
      }
      target.put(prefix + DATA, sealed);
      JsonObject manifest = new JsonObject()
          .put("format", 1)
          .put("id", id)
          .put("owner", owner)
          .put("taken_at", takenAt.toString())
          .put("object", new JsonObject().put("key", prefix + DATA).put("sha256", HexFormat.of().formatHex(sha.digest()))
              .put("bytes", Files.size(sealed)))
          .put("plain_bytes", Files.size(copy))
          .put("encryption", "AES-256-GCM, data key keys/" + owner + ".json")
          .put("compression", "gzip")
          .put("verified", true)
          .put("database", summary.toJson());
      target.put(prefix + MANIFEST, manifest.encodePrettily().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return manifest;
    } finally {
      Files.deleteIfExists(copy);
      Files.deleteIfExists(gz);
      Files.deleteIfExists(sealed);
    }
  }

  /** Every complete snapshot of {@code owner} (those with a manifest), oldest first. */
  List<JsonObject> list(String owner) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    for (String key : target.list(snapshotsOf(owner))) {
      if (!key.endsWith("/" + MANIFEST)) continue;
      byte[] bytes = target.get(key);
      if (bytes != null) out.add(new JsonObject(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)));
    }
    out.sort(java.util.Comparator.comparing(m -> m.getString("taken_at")));
    return out;
  }

  /**
   * Downloads a snapshot into {@code file} (which must not exist): checks the object's SHA-256 against the
   * manifest, decrypts, decompresses, and verifies the database against the manifest.
   */
  DatabaseSummary restore(JsonObject manifest, Path file) throws IOException, SQLException {
    String owner = manifest.getString("owner");
    JsonObject object = manifest.getJsonObject("object");
    PrivateFiles.createDirectories(scratch);
    Path sealed = scratch.resolve(owner + "-" + System.nanoTime() + ".enc");
    Path gz = LocalTarget.privateEmpty(sealed.resolveSibling(sealed.getFileName() + ".gz"));
    try {
      if (!target.download(object.getString("key"), sealed)) {
        throw new BackupException("snapshot object " + object.getString("key") + " is missing");
      }
      String actual = HexFormat.of().formatHex(sha256(sealed));
      if (!actual.equals(object.getString("sha256"))) {
        throw new BackupException("snapshot object " + object.getString("key") + " is corrupt: its SHA-256 is "
            + actual + ", the manifest says " + object.getString("sha256"));
      }
      byte[] key = keys.existing(owner);
      PrivateFiles.createDirectories(file.getParent());
      PrivateFiles.createFile(file);
      try (InputStream in = Files.newInputStream(sealed); OutputStream out = Files.newOutputStream(gz)) {
        BackupCrypto.decrypt(key, in, out, "snapshot:" + owner + ":" + manifest.getString("id"));
      }
      try (InputStream in = new GZIPInputStream(Files.newInputStream(gz), 1 << 16);
           OutputStream out = Files.newOutputStream(file)) {
        in.transferTo(out);
      }
      DatabaseSummary summary = DatabaseSummary.of(file);
      summary.mustMatch(manifest, "snapshot " + manifest.getString("id") + " of " + owner);
      return summary;
    } finally {
      Files.deleteIfExists(sealed);
      Files.deleteIfExists(gz);
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] sha256(Path file) throws IOException {
    MessageDigest sha = sha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) sha.update(buffer, 0, n);
    }
    return sha.digest();
  }
}
