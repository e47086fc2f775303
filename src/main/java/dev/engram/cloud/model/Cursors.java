package dev.engram.cloud.model;

import dev.engram.cloud.bus.ApiException;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Opaque list cursors: base64url of "id:<last id seen>". */
public final class Cursors {

  private Cursors() {}

  public static String encode(long lastId) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("id:" + lastId).getBytes(StandardCharsets.UTF_8));
  }

  public static long decode(String cursor) {
    try {
      String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (!text.startsWith("id:")) throw new IllegalArgumentException();
      long id = Long.parseLong(text.substring(3));
      if (id <= 0) throw new IllegalArgumentException();
      return id;
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_cursor", "The cursor is not one this API returned.");
    }
  }
}
