package dev.engram.cloud.backup;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One data key per owner (a tenant, or the control plane), random, kept in the target wrapped by the master key
 * ({@code keys/<owner>.json}). Everything of an owner is encrypted with its data key; rotating the master key
 * re-wraps these small files and leaves the data alone.
 */
final class DataKeys {

  private final BackupTarget target;
  private final MasterKey master;
  private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

  DataKeys(BackupTarget target, MasterKey master) {
    this.target = target;
    this.master = master;
  }

  static String keyOf(String owner) {
    return "keys/" + owner + ".json";
  }

  /** The owner's data key, made and stored on first use. */
  byte[] forOwner(String owner) throws IOException {
    byte[] known = cache.get(owner);
    if (known != null) return known;
    synchronized (this) {
      known = cache.get(owner);
      if (known != null) return known;
      byte[] stored = target.get(keyOf(owner));
      byte[] key;
      if (stored == null) {
        key = BackupCrypto.randomKey();
        target.put(keyOf(owner), wrap(master, owner, key));
      } else {
        key = unwrap(master, owner, stored);
      }
      cache.put(owner, key);
      return key;
    }
  }

  /** The owner's data key, which must exist (a restore). */
  byte[] existing(String owner) throws IOException {
    byte[] stored = target.get(keyOf(owner));
    if (stored == null) throw new BackupException("the backup target has no data key for " + owner);
    return unwrap(master, owner, stored);
  }

  static byte[] wrap(MasterKey master, String owner, byte[] key) {
    byte[] sealed = BackupCrypto.seal(master.bytes(), key, "data-key:" + owner);
    return new JsonObject().put("owner", owner).put("master_key_id", master.id())
        .put("wrapped", Base64.getEncoder().encodeToString(sealed)).encodePrettily().getBytes(StandardCharsets.UTF_8);
  }

  static String masterKeyId(byte[] stored) {
    return new JsonObject(new String(stored, StandardCharsets.UTF_8)).getString("master_key_id");
  }

  static byte[] unwrap(MasterKey master, String owner, byte[] stored) {
    JsonObject json = new JsonObject(new String(stored, StandardCharsets.UTF_8));
    String wrappedUnder = json.getString("master_key_id");
    if (!master.id().equals(wrappedUnder)) {
      throw new BackupException("wrong backup master key: the backups of " + owner + " are encrypted under master key "
          + wrappedUnder + ", but " + MasterKey.ENV + " is key " + master.id()
          + " (after a rotation, use the new key; see docs/runbooks/rotate-backup-key.md)");
    }
    return BackupCrypto.open(master.bytes(), Base64.getDecoder().decode(json.getString("wrapped")),
        "data-key:" + owner);
  }
}
