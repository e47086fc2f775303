package dev.engram.cloud.auth;

import java.security.SecureRandom;

/** Random identifiers and secrets. Tenant ids use lowercase letters and digits only: they name directories. */
public final class Ids {

  static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private static final String LOWER36 = "0123456789abcdefghijklmnopqrstuvwxyz";
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {}

  public static String tenantId() {
    return "tn_" + random(LOWER36, 20);
  }

  public static String userId() {
    return "usr_" + random(LOWER36, 20);
  }

  public static String keyId() {
    return "key_" + random(LOWER36, 20);
  }

  public static String inviteId() {
    return "inv_" + random(LOWER36, 20);
  }

  /** An invite's single-use token: shown once to whoever invites, stored as its SHA-256. */
  public static String inviteToken() {
    return "eki_" + random(BASE62, 40);
  }

  static String lower36(int length) {
    return random(LOWER36, length);
  }

  static String base62(int length) {
    return random(BASE62, length);
  }

  private static String random(String alphabet, int length) {
    char[] out = new char[length];
    for (int i = 0; i < length; i++) out[i] = alphabet.charAt(RANDOM.nextInt(alphabet.length()));
    return new String(out);
  }
}
