package dev.engram.cloud.backup;

import dev.engram.cloud.sqlite.PrivateFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The backup master key ({@code ENGRAM_BACKUP_KEY}: 32 random bytes, base64, e.g. {@code openssl rand -base64 32}).
 * It only wraps the per-tenant data keys, so rotating it re-wraps keys, never data. Its id (a hash of it, not the
 * key) is written beside each wrapped key, so that a wrong key is named as such instead of failing as corruption.
 */
public final class MasterKey {

  private static final Logger log = LoggerFactory.getLogger(MasterKey.class);
  public static final String ENV = "ENGRAM_BACKUP_KEY";
  /** Where the embedded default keeps a generated key when the environment names none. */
  public static final String GENERATED_FILE = "backup-master.key";

  private final byte[] key;
  private final String id;

  private MasterKey(byte[] key) {
    this.key = key;
    this.id = idOf(key);
  }

  byte[] bytes() {
    return key;
  }

  /** A short public fingerprint of the key (never the key). */
  public String id() {
    return id;
  }

  public static MasterKey parse(String base64, String source) {
    byte[] key;
    try {
      key = Base64.getDecoder().decode(base64.trim());
    } catch (IllegalArgumentException e) {
      throw new BackupException(source + " must be 32 bytes in base64 (openssl rand -base64 32)");
    }
    if (key.length != BackupCrypto.KEY_BYTES) {
      throw new BackupException(source + " must be 32 bytes in base64 (openssl rand -base64 32), got " + key.length
          + " bytes");
    }
    return new MasterKey(key);
  }

  /**
   * The key from the environment; without one, the key in {@code dataDir/backup-master.key}, made (0600) on first
   * use. A generated key lives with the data it protects: an operator must copy it elsewhere (the README says so),
   * or set {@code ENGRAM_BACKUP_KEY}; a server whose backups go to S3 requires the variable.
   */
  public static MasterKey fromEnvironment(String value, Path dataDir, boolean generate) {
    if (value != null && !value.isBlank()) return parse(value, ENV);
    Path file = dataDir.resolve(GENERATED_FILE);
    try {
      if (Files.exists(file)) return parse(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
      if (!generate) throw new BackupException(ENV + " is not set and there is no " + file);
      PrivateFiles.createDirectories(dataDir);
      Path tmp = file.resolveSibling(GENERATED_FILE + ".tmp");
      Files.deleteIfExists(tmp);
      PrivateFiles.createFile(tmp);
      Files.writeString(tmp, Base64.getEncoder().encodeToString(BackupCrypto.randomKey()) + "\n",
          StandardCharsets.US_ASCII);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      log.warn("{} is not set: backups are encrypted with a key generated in {}. Copy it somewhere safe (or set {}):"
          + " without it the backups cannot be restored", ENV, file, ENV);
      return parse(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
    } catch (IOException e) {
      throw new BackupException("cannot read or create the backup master key " + file + ": " + e.getMessage(), e);
    }
  }

  private static String idOf(byte[] key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("engram-backup-master-key-id".getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(sha.digest(key), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
