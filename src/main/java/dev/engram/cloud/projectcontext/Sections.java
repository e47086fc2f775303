package dev.engram.cloud.projectcontext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Splits an instruction file into sections by Engram's rules, minus its parsing quirks: a Markdown section starts
 * at an ATX heading ({@code #} to {@code ######}, then a space, then a title) that is not inside a fenced code
 * block, and runs to the next heading of any level; text before the first heading belongs only to the parent;
 * sections with an empty body are left out. A yaml file is one section titled "Configuration", any other non-Markdown
 * file one titled "Instructions".
 *
 * <p>Files come from users, so every line is read by index in one pass (no backtracking pattern: a heading followed
 * by tens of thousands of blanks once cost minutes), and a title is cut to {@value #MAX_TITLE_CHARS} characters,
 * which bounds what a section's path and anchor carry into its memory.
 */
public final class Sections {

  /** A heading's title is cut to this many characters (the section's body is kept whole). */
  public static final int MAX_TITLE_CHARS = 200;
  private static final Pattern NOT_ALNUM = Pattern.compile("[^\\p{L}\\p{N}]+");

  private Sections() {}

  /** The file's sections in file order, at most {@code limit} of them (parsing stops there). */
  public static List<ContextSection> of(String content, InstructionFiles.Format format, int limit) {
    if (format == InstructionFiles.Format.YAML) return single("Configuration", content);
    if (format == InstructionFiles.Format.PLAINTEXT) return single("Instructions", content);
    return markdown(content, limit);
  }

  private static List<ContextSection> single(String title, String content) {
    if (content.isBlank()) return List.of();
    return List.of(new ContextSection(0, title, title, content, sha256(content.strip()), anchor(title)));
  }

  /** Lines end at "\n" or "\r\n"; a fence line opens or closes a block and stays part of the body. */
  private static List<ContextSection> markdown(String content, int limit) {
    List<ContextSection> out = new ArrayList<>();
    String[] titles = new String[7];
    String title = null;
    String path = null;
    StringBuilder body = new StringBuilder();
    char fenceChar = 0;
    int fenceLength = 0;
    for (int start = 0; ; ) {
      int newline = content.indexOf('\n', start);
      int end = newline < 0 ? content.length() : newline;
      if (newline >= 0 && end > start && content.charAt(end - 1) == '\r') end--;
      int fence = fenceRun(content, start, end);
      if (fence > 0) {
        char marker = content.charAt(start + leadingSpaces(content, start, end));
        if (fenceChar == 0) {
          fenceChar = marker;
          fenceLength = fence;
        } else if (marker == fenceChar && fence >= fenceLength) {
          fenceChar = 0;
        }
      } else if (fenceChar == 0) {
        int level = headingLevel(content, start, end);
        String text = level == 0 ? "" : headingText(content, start + leadingSpaces(content, start, end) + level, end);
        if (!text.isEmpty()) {
          add(out, title, path, body);
          if (out.size() >= limit) return out;
          titles[level] = text;
          for (int i = level + 1; i < titles.length; i++) titles[i] = null;
          List<String> parts = new ArrayList<>();
          for (int i = 1; i <= level; i++) if (titles[i] != null) parts.add(titles[i]);
          title = text;
          path = String.join(" > ", parts);
          body.setLength(0);
          if (newline < 0) break;
          start = newline + 1;
          continue;
        }
      }
      if (title != null) body.append(content, start, end).append('\n');
      if (newline < 0) break;
      start = newline + 1;
    }
    add(out, title, path, body);
    return out;
  }

  private static int leadingSpaces(String s, int start, int end) {
    int i = start;
    while (i < end && s.charAt(i) == ' ') i++;
    return i - start;
  }

  /** The length of a fence marker (3+ backticks or tildes after at most 3 spaces) opening the line, else 0. */
  private static int fenceRun(String s, int start, int end) {
    int spaces = leadingSpaces(s, start, end);
    if (spaces > 3 || start + spaces >= end) return 0;
    char c = s.charAt(start + spaces);
    if (c != '`' && c != '~') return 0;
    int run = run(s, start + spaces, end, c);
    return run >= 3 ? run : 0;
  }

  /** 1 to 6 for a line that opens with at most 3 spaces, that many '#', then a blank or the end; else 0. */
  private static int headingLevel(String s, int start, int end) {
    int at = start + leadingSpaces(s, start, end);
    if (at - start > 3) return 0;
    int hashes = run(s, at, end, '#');
    if (hashes == 0 || hashes > 6) return 0;
    int after = at + hashes;
    return after == end || isBlank(s.charAt(after)) ? hashes : 0;
  }

  /**
   * A heading's title from just after its '#'s: without the blanks around it and without a closing run of '#'s
   * (one preceded by a blank, or one that is the whole text); empty when nothing is left. A line holding a line
   * separator other than "\n" is not a heading (as with the pattern this replaced, whose "." stopped there).
   */
  private static String headingText(String s, int from, int end) {
    int start = from;
    while (start < end && isBlank(s.charAt(start))) start++;
    int stop = end;
    while (stop > start && isBlank(s.charAt(stop - 1))) stop--;
    for (int i = start; i < stop; i++) {
      char c = s.charAt(i);
      if (c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029') return "";
    }
    int hashes = stop;
    while (hashes > start && s.charAt(hashes - 1) == '#') hashes--;
    if (hashes == start) return "";
    if (hashes < stop && isBlank(s.charAt(hashes - 1))) {
      stop = hashes;
      while (isBlank(s.charAt(stop - 1))) stop--;
    }
    String text = s.substring(start, stop).strip();
    if (text.length() <= MAX_TITLE_CHARS) return text;
    int cut = Character.isHighSurrogate(text.charAt(MAX_TITLE_CHARS - 1)) ? MAX_TITLE_CHARS - 1 : MAX_TITLE_CHARS;
    return text.substring(0, cut).strip();
  }

  private static int run(String s, int from, int end, char c) {
    int i = from;
    while (i < end && s.charAt(i) == c) i++;
    return i - from;
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
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
