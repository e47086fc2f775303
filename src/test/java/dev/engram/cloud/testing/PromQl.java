package dev.engram.cloud.testing;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression reads, and the label names its selectors match on. Written by hand (no
 * PromQL parser is published on Maven Central for Java): it removes strings, ranges and grouping clauses, then takes
 * every identifier that is not a function call, a keyword or part of a number. Enough for the expressions of our
 * dashboards and alert rules, which the tests check against a running server.
 */
public final class PromQl {

  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
  private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");
  private static final Pattern MATCHER_LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)");
  private static final Pattern GROUPING = Pattern.compile(
      "\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER = Pattern.compile("(?<![0-9.a-zA-Z_:])[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
      "ignoring", "group_left", "group_right", "inf", "nan", "Inf", "NaN");

  private PromQl() {}

  /** Metric name → the label names its selectors in {@code expr} match on (empty when none). */
  public static Map<String, Set<String>> selectors(String expr) {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    // Matchers first (their values are strings): label names per metric.
    Matcher m = SELECTOR.matcher(expr);
    while (m.find()) {
      Set<String> labels = out.computeIfAbsent(m.group(1), k -> new LinkedHashSet<>());
      Matcher label = MATCHER_LABEL.matcher(STRING.matcher(m.group(2)).replaceAll("\"\""));
      while (label.find()) labels.add(label.group(1));
    }
    String bare = STRING.matcher(expr).replaceAll(" ");
    bare = bare.replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^]]*]", " ");
    bare = GROUPING.matcher(bare).replaceAll(" ");
    Matcher id = IDENTIFIER.matcher(bare);
    while (id.find()) {
      String name = id.group();
      int next = id.end();
      while (next < bare.length() && Character.isWhitespace(bare.charAt(next))) next++;
      boolean call = next < bare.length() && bare.charAt(next) == '(';
      if (!call && !KEYWORDS.contains(name)) out.computeIfAbsent(name, k -> new LinkedHashSet<>());
    }
    return out;
  }
}
