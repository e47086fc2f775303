package dev.engram.cloud.context;

import dev.engram.cloud.context.ContextPacker.Packed;
import dev.engram.cloud.context.ContextPacker.Piece;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Packing memories into a token budget: whole pieces in order, skips, the cut that fills, and the estimate. */
class ContextPackerTest {

  private static Piece piece(long id, int tokens) {
    return new Piece(id, "x".repeat(tokens * 4), 0, null);
  }

  @Test
  void tokens_are_characters_over_four_rounded_up() {
    assertEquals(0, Tokens.estimate(""));
    assertEquals(1, Tokens.estimate("abc"));
    assertEquals(2, Tokens.estimate("abcde"));
    assertEquals(1, Tokens.estimate("\uD83D\uDE00\uD83D\uDE00"), "code points, not UTF-16 units");
    assertEquals("\uD83D\uDE00".repeat(4), Tokens.prefix("\uD83D\uDE00".repeat(5), 1), "cut between code points");
  }

  @Test
  void a_piece_that_does_not_fit_is_skipped_and_a_later_shorter_one_goes_in() {
    // a separator costs 2 tokens ("\n\n---\n\n" is 7 characters)
    Packed packed = ContextPacker.pack(List.of(piece(1, 50), piece(2, 60), piece(3, 10)), 70, false, 16);
    assertEquals(List.of(1L, 3L), packed.included().stream().map(i -> i.piece().id()).toList());
    assertEquals(List.of(2L), packed.omitted().stream().map(Piece::id).toList());
    assertEquals(62, packed.tokens());
    assertEquals(packed.tokens(), Tokens.estimate(packed.text()));
  }

  @Test
  void cutting_to_fill_cuts_the_first_that_does_not_fit_and_stops() {
    Packed packed = ContextPacker.pack(List.of(piece(1, 50), piece(2, 60), piece(3, 10)), 70, true, 16);
    assertEquals(List.of(1L, 2L), packed.included().stream().map(i -> i.piece().id()).toList());
    assertTrue(packed.included().get(1).truncated());
    assertEquals(18, packed.included().get(1).tokens());
    assertEquals(70, packed.tokens());
    assertEquals(List.of(3L), packed.omitted().stream().map(Piece::id).toList());
  }

  @Test
  void a_cut_shorter_than_the_minimum_is_not_made() {
    Packed packed = ContextPacker.pack(List.of(piece(1, 60), piece(2, 60)), 75, true, 16);
    assertEquals(List.of(1L), packed.included().stream().map(i -> i.piece().id()).toList());
    assertEquals(60, packed.tokens());
  }
}
