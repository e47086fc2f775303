package dev.engram.cloud.projectcontext;

import java.util.List;

/** An uploaded instruction file, parsed: what its parent memory and its section memories are made of. */
public record ContextFile(String path, String fileType, String format, String fileHash, String content,
                          List<ContextSection> sections) {

  public ContextFile {
    sections = List.copyOf(sections);
  }
}
