package dev.engram.cloud.projectcontext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits an instruction file into sections by Engram's rules, minus its parsing quirks: a Markdown section starts
 * at an ATX heading ({@code #} to {@code ######}, then a space, then a title) that is not inside a fenced code
 * block, and runs to the next heading of any level; text before the first heading belongs only to the parent;
 * sections with an empty body are left out. A yaml file is one section titled "Configuration", any other non-Markdown
 * file one titled "Instructions".
 */
public final class Sections {

  private static final Pattern HEADING = Pattern.compile("^ {0,3}(#{1,6})(?:[ \\t]+(.*?))?[ \\t]*$");
  private static final Pattern CLOSING_HASHES = Pattern.compile("(?:^|[ \\t]+)#+[ \\t]*$");
  private static final Pattern FENCE = Pattern.compile("^ {0,3}(`{3,}|~{3,})");
  private static final Pattern NOT_ALNUM = Pattern.compile("[^\\p{L}\\p{N}]+");

  private Sections() {}

  public static List<ContextSection> of(String content, InstructionFiles.Format format) {
    if (format == InstructionFiles.Format.YAML) return single("Configuration", content);
    if (format == InstructionFiles.Format.PLAINTEXT) return single("Instructions", content);
    return markdown(content);
  }

  private static List<ContextSection> single(String title, String content) {
    if (content.isBlank()) return List.of();
    return List.of(new ContextSection(0, title, title, content, sha256(content.strip()), anchor(title)));
  }

  private static List<ContextSection> markdown(String content) {
    List<ContextSection> out = new ArrayList<>();
    String[] titles = new String[7];
    String title = null;
    String path = null;
    StringBuilder body = new StringBuilder();
    String fence = null;
    for (String line : content.split("\r?\n", -1)) {
      Matcher f = FENCE.matcher(line);
      if (f.find()) {
        String marker = f.group(1);
        if (fence == null) fence = marker;
        else if (marker.charAt(0) == fence.charAt(0) && marker.length() >= fence.length()) fence = null;
      } else if (fence == null) {
        Matcher h = HEADING.matcher(line);
        if (h.matches()) {
          String text = h.group(2) == null ? "" : CLOSING_HASHES.matcher(h.group(2)).replaceFirst("").strip();
          if (!text.isEmpty()) {
            add(out, title, path, body);
            int level = h.group(1).length();
            titles[level] = text;
            for (int i = level + 1; i < titles.length; i++) titles[i] = null;
            List<String> parts = new ArrayList<>();
            for (int i = 1; i <= level; i++) if (titles[i] != null) parts.add(titles[i]);
            title = text;
            path = String.join(" > ", parts);
            body.setLength(0);
            continue;
          }
        }
      }
      if (title != null) body.append(line).append('\n');
    }
    add(out, title, path, body);
    return out;
  }

  private static void add(List<ContextSection> out, String title, String path, StringBuilder body) {
    if (title == null || body.toString().isBlank()) return;
    String text = body.toString();
    // hashed trimmed (Engram hashes the raw body): blank lines around a section are not a change to it
    out.add(new ContextSection(out.size(), title, path, text, sha256(text.strip()), anchor(title)));
  }

  /** GitHub-like slug: lowercase, every run of other characters one '-', none at the ends. */
  public static String anchor(String title) {
    String slug = NOT_ALNUM.matcher(title.toLowerCase(Locale.ROOT)).replaceAll("-");
    int start = 0;
    int end = slug.length();
    while (start < end && slug.charAt(start) == '-') start++;
    while (end > start && slug.charAt(end - 1) == '-') end--;
    return slug.substring(start, end);
  }

  public static String sha256(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
