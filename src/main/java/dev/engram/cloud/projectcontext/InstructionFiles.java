package dev.engram.cloud.projectcontext;

import dev.engram.cloud.bus.ApiException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The agent instruction files Engram knows, with its file_type tags, and the rules for the relative paths under
 * which a client uploads them. A known name found in a subdirectory keeps its type (a monorepo's
 * {@code services/api/AGENTS.md} is still agents-md); any other file is {@code custom-instructions}.
 */
public final class InstructionFiles {

  public static final String CUSTOM = "custom-instructions";
  public static final int MAX_PATH_CHARS = 512;

  /** Relative path → file_type: Engram's nine files, plus CONTRIBUTING.md and .clinerules. */
  public static final Map<String, String> KNOWN;

  static {
    Map<String, String> known = new LinkedHashMap<>();
    known.put("CLAUDE.md", "claude-md");
    known.put("AGENTS.md", "agents-md");
    known.put(".cursorrules", "cursorrules");
    known.put(".github/copilot-instructions.md", "copilot-instructions");
    known.put(".aider.conf.yml", "aider-conf");
    known.put("GEMINI.md", "gemini-md");
    known.put(".windsurfrules", "windsurfrules");
    known.put("CONVENTIONS.md", "conventions-md");
    known.put("CODING_GUIDELINES.md", "coding-guidelines");
    known.put("CONTRIBUTING.md", "contributing-md");
    known.put(".clinerules", "clinerules");
    KNOWN = java.util.Collections.unmodifiableMap(known);
  }

  /** Every file_type a memory can carry (for the file_types filter). */
  public static final Set<String> FILE_TYPES;

  static {
    Set<String> types = new TreeSet<>(KNOWN.values());
    types.add(CUSTOM);
    FILE_TYPES = java.util.Collections.unmodifiableSet(types);
  }

  public enum Format {
    MARKDOWN("markdown"), YAML("yaml"), PLAINTEXT("plaintext");

    public final String wireName;

    Format(String wireName) {
      this.wireName = wireName;
    }
  }

  private InstructionFiles() {}

  public static String fileType(String path) {
    String exact = KNOWN.get(path);
    if (exact != null) return exact;
    String name = path.substring(path.lastIndexOf('/') + 1);
    String byName = KNOWN.get(name);
    return byName != null ? byName : CUSTOM;
  }

  /** As Engram: {@code .md} is markdown, {@code .yml}/{@code .yaml} yaml, anything else plain text. */
  public static Format format(String path) {
    String lower = path.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".md") || lower.endsWith(".markdown")) return Format.MARKDOWN;
    if (lower.endsWith(".yml") || lower.endsWith(".yaml")) return Format.YAML;
    return Format.PLAINTEXT;
  }

  /**
   * Checks an uploaded path: relative to the project root, '/'-separated, no empty, '.' or '..' segments, no
   * backslashes, drive letters or control characters, at most {@value #MAX_PATH_CHARS} characters. Returns it
   * unchanged, since it is the key a rescan matches on.
   */
  public static String checkPath(String path, String field) {
    String problem = pathProblem(path);
    if (problem != null) {
      throw ApiException.badRequest("invalid_path", field + " '" + shorten(path) + "' " + problem + ".");
    }
    return path;
  }

  static String pathProblem(String path) {
    if (path.isEmpty()) return "must not be empty";
    if (path.length() > MAX_PATH_CHARS) return "must be at most " + MAX_PATH_CHARS + " characters";
    if (path.startsWith("/") || path.startsWith("~")) return "must be relative to the project root";
    if (path.indexOf('\\') >= 0) return "must use '/' as the separator";
    if (path.length() >= 2 && path.charAt(1) == ':') return "must be relative to the project root";
    for (int i = 0; i < path.length(); i++) {
      if (Character.isISOControl(path.charAt(i))) return "must not contain control characters";
    }
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty()) return "must not contain empty segments";
      if (segment.equals(".") || segment.equals("..")) return "must not contain '.' or '..' segments";
    }
    return null;
  }

  /** The paths the scan command looks for in a project directory, in this order. */
  public static List<String> discoverable() {
    return List.copyOf(KNOWN.keySet());
  }

  private static String shorten(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }
}
