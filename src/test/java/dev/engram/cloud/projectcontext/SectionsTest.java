package dev.engram.cloud.projectcontext;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Markdown section parser: headings read by index, with the same sections as the patterns it replaced. */
class SectionsTest {

  private static final InstructionFiles.Format MD = InstructionFiles.Format.MARKDOWN;

  @Test
  void headings_fences_and_closing_hashes() {
    String doc = "intro\n# One #\nbody 1\n  ## Two ##  \r\nbody 2\n```sh\n# not a heading\n```\n#### Four\n\n"
        + "####### seven is text\n#no-space\n# \n###   #   \nbody 4\n";
    List<ContextSection> sections = Sections.of(doc, MD, Integer.MAX_VALUE);
    assertEquals(List.of("One", "One > Two", "One > Two > Four"), sections.stream().map(ContextSection::path).toList());
    assertEquals("body 2\n```sh\n# not a heading\n```\n", sections.get(1).body());
    assertEquals("\n####### seven is text\n#no-space\n# \n###   #   \nbody 4\n\n", sections.get(2).body());
  }

  @Test
  void a_title_is_cut_to_200_characters_without_splitting_a_character() {
    String longTitle = "t".repeat(199) + "\uD83D\uDE00" + "rest";
    ContextSection s = Sections.of("# " + longTitle + "\nbody\n", MD, Integer.MAX_VALUE).get(0);
    assertEquals("t".repeat(199), s.title());
    ContextSection blanks = Sections.of("# a" + " ".repeat(60_000) + "x\nbody\n", MD, Integer.MAX_VALUE).get(0);
    assertEquals("a", blanks.title());
    assertEquals("body\n\n", blanks.body(), "the empty line after the last newline, as before");
  }

  @Test
  void parsing_stops_at_the_limit() {
    String doc = "# h\nx\n".repeat(1000);
    assertEquals(501, Sections.of(doc, MD, 501).size());
    assertEquals(1000, Sections.of(doc, MD, Integer.MAX_VALUE).size());
  }

  /** Randomized documents of short lines: the same sections as the regular-expression parser this replaced. */
  @Test
  void the_same_sections_as_the_former_parser_on_random_documents() {
    Random random = new Random(42);
    String[] pieces = {"#", "##", "###", "######", "#######", " ", "  ", "   ", "    ", "\t", "title", "a b", "x#",
        "#x", "```", "````", "~~~", "``", "`", "~", "text", "\r", "\u2028", "\u0085", "\f", "\u3000", "é", "-", "*"};
    for (int doc = 0; doc < 20_000; doc++) {
      StringBuilder sb = new StringBuilder();
      int lines = random.nextInt(12);
      for (int l = 0; l < lines; l++) {
        int n = random.nextInt(6);
        for (int p = 0; p < n; p++) sb.append(pieces[random.nextInt(pieces.length)]);
        sb.append(random.nextInt(4) == 0 ? "\r\n" : "\n");
      }
      if (random.nextBoolean()) sb.append(pieces[random.nextInt(pieces.length)]);
      String content = sb.toString();
      assertEquals(describe(Former.markdown(content)), describe(Sections.of(content, MD, Integer.MAX_VALUE)),
          () -> "document: " + content.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"));
    }
  }

  private static List<String> describe(List<ContextSection> sections) {
    List<String> out = new ArrayList<>();
    for (ContextSection s : sections) {
      out.add(s.index() + "|" + s.title() + "|" + s.path() + "|" + s.body() + "|" + s.contentHash() + "|" + s.anchor());
    }
    return out;
  }

  /** The former parser, kept here as the reference for documents without pathological lines. */
  private static final class Former {
    private static final Pattern HEADING = Pattern.compile("^ {0,3}(#{1,6})(?:[ \\t]+(.*?))?[ \\t]*$");
    private static final Pattern CLOSING_HASHES = Pattern.compile("(?:^|[ \\t]+)#+[ \\t]*$");
    private static final Pattern FENCE = Pattern.compile("^ {0,3}(`{3,}|~{3,})");

    static List<ContextSection> markdown(String content) {
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
      out.add(new ContextSection(out.size(), title, path, text, Sections.sha256(text.strip()), Sections.anchor(title)));
    }
  }
}
