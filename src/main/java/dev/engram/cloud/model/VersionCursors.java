package dev.engram.cloud.model;

import dev.engram.cloud.bus.ApiException;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Opaque cursors of a memory's versions (newest first): base64url of "v:<last version seen>". */
public final class VersionCursors {

  private VersionCursors() {}

  public static String encode(int lastVersion) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("v:" + lastVersion).getBytes(StandardCharsets.UTF_8));
  }

  public static int decode(String cursor) {
    try {
      String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (!text.startsWith("v:")) throw new IllegalArgumentException();
      int version = Integer.parseInt(text.substring(2));
      if (version <= 0) throw new IllegalArgumentException();
      return version;
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_cursor", "The cursor is not one this API returned.");
    }
  }
}
