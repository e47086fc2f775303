package dev.engram.cloud.context;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Packs texts into a token budget, in the order given. Plain Java (no Vert.x, no engine), so that the packing rules
 * are tested without a server. A text that fits what is left is kept whole; one that does not is skipped (later,
 * shorter ones may still fit), unless {@code cutToFill}, when the first that does not fit is cut to what is left
 * (when that is at least {@code minCutTokens}) and packing ends.
 */
public final class ContextPacker {

  /** Between two pieces of a context, as Engram's context builder separates them. */
  public static final String SEPARATOR = "\n\n---\n\n";
  private ContextPacker() {}

  /** One candidate piece: a memory (id &gt; 0) or a block (id 0 and a name), with its search score. */
  public record Piece(long id, String text, double score, JsonObject describe) {}

  /** What went in, in order, and what was left out. */
  public record Packed(List<Included> included, List<Piece> omitted, int tokens) {
    public String text() {
      StringBuilder out = new StringBuilder();
      for (Included i : included) {
        if (!out.isEmpty()) out.append(SEPARATOR);
        out.append(i.text());
      }
      return out.toString();
    }
  }

  public record Included(Piece piece, String text, int tokens, boolean truncated) {}

  public static Packed pack(List<Piece> pieces, int budget, boolean cutToFill, int minCutTokens) {
    int separatorTokens = Tokens.estimate(SEPARATOR);
    List<Included> included = new ArrayList<>();
    List<Piece> omitted = new ArrayList<>();
    int used = 0;
    boolean full = false;
    for (Piece piece : pieces) {
      if (full) {
        omitted.add(piece);
        continue;
      }
      int overhead = included.isEmpty() ? 0 : separatorTokens;
      int tokens = Tokens.estimate(piece.text());
      int left = budget - used - overhead;
      if (tokens <= left) {
        included.add(new Included(piece, piece.text(), tokens, false));
        used += overhead + tokens;
      } else if (cutToFill && left >= Math.max(1, minCutTokens)) {
        String cut = Tokens.prefix(piece.text(), left);
        int cutTokens = Tokens.estimate(cut);
        included.add(new Included(piece, cut, cutTokens, true));
        used += overhead + cutTokens;
        full = true;
      } else {
        omitted.add(piece);
      }
    }
    return new Packed(List.copyOf(included), List.copyOf(omitted), used);
  }

  /** The ids of the memories that were left out, as JSON. */
  public static JsonArray ids(List<Piece> pieces) {
    JsonArray out = new JsonArray();
    pieces.stream().filter(p -> p.id() > 0).forEach(p -> out.add(p.id()));
    return out;
  }
}
