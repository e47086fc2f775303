package dev.engram.cloud.model;

import java.util.Locale;

/** Identity aliases: Engram's normalization, and the word form in which aliases are looked for in a query. */
public final class Aliases {

  private Aliases() {}

  /** Engram's rule: lowercase, trimmed, runs of spaces made one, a leading {@code @} or {@code #} dropped. */
  public static String normalize(String raw) {
    String s = raw.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
    if (s.startsWith("@") || s.startsWith("#")) s = s.substring(1).trim();
    return s;
  }

  /** Lowercase letters and digits, words separated by one space: an alias is found in a query word for word. */
  public static String words(String text) {
    StringBuilder sb = new StringBuilder();
    boolean space = false;
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      i += Character.charCount(c);
      if (Character.isLetterOrDigit(c)) {
        if (space && !sb.isEmpty()) sb.append(' ');
        sb.appendCodePoint(Character.toLowerCase(c));
        space = false;
      } else {
        space = true;
      }
    }
    return sb.toString();
  }
}
