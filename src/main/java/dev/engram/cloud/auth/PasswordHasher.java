package dev.engram.cloud.auth;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * PBKDF2-HMAC-SHA256 from the JDK (OWASP: 210,000+ iterations for this function). Slow on purpose; callers run it
 * on the password hash pool (PasswordHashPool), never on an event loop. Stored as
 * {@code pbkdf2-sha256$iterations$salt$hash}, so the cost can rise later.
 */
public final class PasswordHasher {

  private static final SecureRandom RANDOM = new SecureRandom();
  private final int iterations;
  /**
   * A real hash to compare against when the email is unknown, so timing does not reveal which emails exist. Made on
   * first use, on the hash pool's thread: the server may be built on an event loop.
   */
  private volatile String decoy;

  public PasswordHasher(int iterations) {
    this.iterations = iterations;
  }

  public String hash(String password) {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    byte[] derived = derive(password, salt, iterations);
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return "pbkdf2-sha256$" + iterations + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(derived);
  }

  /** Verifies against {@code stored}, or against a decoy when it is null (the user does not exist). */
  public boolean verify(String password, String stored) {
    String target = stored == null ? decoy() : stored;
    String[] parts = target.split("\\$");
    if (parts.length != 4 || !parts[0].equals("pbkdf2-sha256")) return false;
    Base64.Decoder b64 = Base64.getDecoder();
    byte[] expected = b64.decode(parts[3]);
    byte[] actual = derive(password, b64.decode(parts[2]), Integer.parseInt(parts[1]));
    return MessageDigest.isEqual(expected, actual) && stored != null;
  }

  private String decoy() {
    String d = decoy;
    if (d == null) decoy = d = hash("decoy-password-never-matches"); // a race only makes one more, equally good
    return d;
  }

  private static byte[] derive(String password, byte[] salt, int iterations) {
    try {
      PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 256);
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
