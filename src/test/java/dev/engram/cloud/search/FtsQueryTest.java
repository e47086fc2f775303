package dev.engram.cloud.search;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FtsQueryTest {

  @Test
  void every_token_is_a_quoted_phrase() {
    assertEquals(Optional.of("\"hello\" \"OR\" \"(drop\" \"table)\""), FtsQuery.of("hello OR (drop table)"));
    assertEquals(Optional.of("\"C++\""), FtsQuery.of("C++"));
    assertEquals(Optional.of("\"say\" \"\"\"hi\"\"\""), FtsQuery.of("say \"hi\""));
    assertEquals(Optional.of("\"https://x.io/a?b=1\""), FtsQuery.of("  https://x.io/a?b=1  "));
  }

  @Test
  void text_without_letters_or_digits_has_nothing_to_search() {
    assertEquals(Optional.empty(), FtsQuery.of(""));
    assertEquals(Optional.empty(), FtsQuery.of("   "));
    assertEquals(Optional.empty(), FtsQuery.of("- * \" ( )"));
    assertEquals(Optional.of("\"ok\""), FtsQuery.of("* ok -"));
  }
}
