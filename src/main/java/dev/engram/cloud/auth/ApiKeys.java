package dev.engram.cloud.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.CRC32;

/**
 * API key format: {@code ek_live_} (or {@code ek_test_}) + 32 base62 characters of secret (~190 bits) + a
 * 6-character base62 CRC32 checksum, so malformed or mistyped keys are rejected before any lookup and secret
 * scanners can recognise ours. Stored as the SHA-256 of the whole key: the secret is high-entropy, so a slow hash
 * would buy nothing and cost ~100 ms a request.
 */
public final class ApiKeys {

  public static final String LIVE_PREFIX = "ek_live_";
  static final int SECRET_LENGTH = 32;
  static final int CHECKSUM_LENGTH = 6;
  static final int KEY_LENGTH = LIVE_PREFIX.length() + SECRET_LENGTH + CHECKSUM_LENGTH;
  /** Characters of the key shown in listings: the mode prefix and the first four of the secret. */
  static final int DISPLAY_PREFIX_LENGTH = LIVE_PREFIX.length() + 4;

  private ApiKeys() {}

  public static String generate() {
    String body = LIVE_PREFIX + Ids.base62(SECRET_LENGTH);
    return body + checksum(body);
  }

  /** True for a string with our prefix, length, alphabet and a matching checksum. */
  public static boolean wellFormed(String key) {
    if (key.length() != KEY_LENGTH || !(key.startsWith("ek_live_") || key.startsWith("ek_test_"))) return false;
    for (int i = LIVE_PREFIX.length(); i < key.length(); i++) {
      if (Ids.BASE62.indexOf(key.charAt(i)) < 0) return false;
    }
    String body = key.substring(0, KEY_LENGTH - CHECKSUM_LENGTH);
    return checksum(body).equals(key.substring(KEY_LENGTH - CHECKSUM_LENGTH));
  }

  public static boolean looksLikeKey(String credential) {
    return credential.startsWith("ek_");
  }

  public static String displayPrefix(String key) {
    return key.substring(0, DISPLAY_PREFIX_LENGTH);
  }

  public static String hash(String key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(key.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String checksum(String body) {
    CRC32 crc = new CRC32();
    crc.update(body.getBytes(StandardCharsets.US_ASCII));
    long value = crc.getValue();
    char[] out = new char[CHECKSUM_LENGTH];
    for (int i = CHECKSUM_LENGTH - 1; i >= 0; i--) {
      out[i] = Ids.BASE62.charAt((int) (value % 62));
      value /= 62;
    }
    return new String(out);
  }
}
