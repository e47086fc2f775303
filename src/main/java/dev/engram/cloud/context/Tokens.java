package dev.engram.cloud.context;

/**
 * Token counts as Engram estimates them: one token per four characters, rounded up. Models tokenize differently
 * (English prose runs near four characters a token for GPT and Claude tokenizers; code and other scripts run
 * denser), so budgets built on this are estimates, as Engram's are; no tokenizer of one model is bundled.
 */
public final class Tokens {

  public static final String METHOD = "chars_div_4";

  private Tokens() {}

  public static int estimate(String text) {
    int chars = text.codePointCount(0, text.length());
    return (chars + 3) / 4;
  }

  /** The longest prefix of {@code text} within {@code tokens} estimated tokens, cut at a code point boundary. */
  public static String prefix(String text, int tokens) {
    int chars = Math.max(0, tokens) * 4;
    if (text.codePointCount(0, text.length()) <= chars) return text;
    return text.substring(0, text.offsetByCodePoints(0, chars));
  }
}
