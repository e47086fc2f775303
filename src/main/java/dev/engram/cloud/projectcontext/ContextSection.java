package dev.engram.cloud.projectcontext;

/**
 * One section of an instruction file: a Markdown heading and the text up to the next heading, or the whole of a
 * yaml or plain-text file. {@code path} joins the ancestor titles with " > "; {@code index} counts from 0 in file
 * order; {@code contentHash} is over the trimmed body
 * (Engram hashes it untrimmed, so blank lines alone count as a change there).
 */
public record ContextSection(int index, String title, String path, String body, String contentHash, String anchor) {

  /** The memory's content: the title as a heading, then the body. */
  public String content() {
    return "# " + title + "\n\n" + body.strip();
  }
}
