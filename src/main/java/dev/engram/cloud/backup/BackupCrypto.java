package dev.engram.cloud.backup;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * AES-256-GCM, as backups use it: a stream cut into chunks (each sealed on its own, its index and whether it is
 * the last bound in as associated data, so chunks cannot be reordered, dropped or the stream cut short unnoticed),
 * and single frames (a change record, a wrapped key). Every seal takes a fresh random 96-bit nonce.
 */
final class BackupCrypto {

  static final int KEY_BYTES = 32;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final int CHUNK = 1 << 20;
  private static final byte[] MAGIC = "EGB1".getBytes(StandardCharsets.US_ASCII);
  private static final SecureRandom RANDOM = new SecureRandom();

  private BackupCrypto() {}

  static byte[] randomKey() {
    byte[] key = new byte[KEY_BYTES];
    RANDOM.nextBytes(key);
    return key;
  }

  /** nonce ‖ ciphertext ‖ tag of {@code plain}, bound to {@code context}. */
  static byte[] seal(byte[] key, byte[] plain, String context) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, key, nonce);
      cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(plain);
      return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable", e);
    }
  }

  /** The plaintext of {@link #seal}; throws {@link BackupException} when the key or the context is wrong. */
  static byte[] open(byte[] key, byte[] sealed, String context) {
    if (sealed.length < NONCE_BYTES + TAG_BITS / 8) throw new BackupException("an encrypted object is truncated");
    try {
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, key, java.util.Arrays.copyOf(sealed, NONCE_BYTES));
      cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      return cipher.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new BackupException("cannot decrypt " + context + ": wrong key, or the object was altered");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable", e);
    }
  }

  /** Encrypts {@code in} to {@code out} in chunks (see the class comment). */
  static void encrypt(byte[] key, InputStream in, OutputStream out, String context) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.write(MAGIC);
    byte[] buffer = new byte[CHUNK];
    int filled = in.readNBytes(buffer, 0, CHUNK);
    long index = 0;
    while (true) {
      byte[] next = new byte[CHUNK];
      int nextFilled = filled == CHUNK ? in.readNBytes(next, 0, CHUNK) : 0;
      boolean last = nextFilled == 0;
      byte[] sealed = seal(key, java.util.Arrays.copyOf(buffer, filled), chunkContext(context, index, last));
      data.writeInt(sealed.length);
      data.write(sealed);
      if (last) break;
      buffer = next;
      filled = nextFilled;
      index++;
    }
    data.flush();
  }

  /** Decrypts what {@link #encrypt} wrote; a stream cut short or altered fails. */
  static void decrypt(byte[] key, InputStream in, OutputStream out, String context) throws IOException {
    DataInputStream data = new DataInputStream(in);
    byte[] magic = data.readNBytes(MAGIC.length);
    if (!java.util.Arrays.equals(magic, MAGIC)) throw new BackupException(context + " is not an Engram backup object");
    long index = 0;
    while (true) {
      int length;
      try {
        length = data.readInt();
      } catch (EOFException e) {
        throw new BackupException(context + " is truncated");
      }
      if (length < 0 || length > CHUNK + 64) throw new BackupException(context + " is corrupt");
      byte[] sealed = data.readNBytes(length);
      if (sealed.length != length) throw new BackupException(context + " is truncated");
      byte[] plain;
      boolean last;
      try {
        plain = open(key, sealed, chunkContext(context, index, false));
        last = false;
      } catch (BackupException notMiddle) {
        plain = open(key, sealed, chunkContext(context, index, true));
        last = true;
      }
      out.write(plain);
      if (last) break;
      index++;
    }
    if (data.read() != -1) throw new BackupException(context + " has data after its last chunk");
  }

  private static String chunkContext(String context, long index, boolean last) {
    return context + "#" + index + (last ? "$" : "");
  }

  private static Cipher cipher(int mode, byte[] key, byte[] nonce) throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    return cipher;
  }
}
