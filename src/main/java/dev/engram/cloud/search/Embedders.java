package dev.engram.cloud.search;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/** The embedders {@code search.embedder} may name. */
public final class Embedders {

  private static final Logger log = LoggerFactory.getLogger(Embedders.class);
  public static final List<String> NAMES = List.of("minilm", "hashing");
  /** One model per JVM, however many servers it runs (tests start several). */
  private static Embedder minilm;

  private Embedders() {}

  /**
   * The embedder called {@code name}: {@code minilm} (all-MiniLM-L6-v2, loaded once per JVM) or {@code hashing}.
   * When the model cannot run here (ONNX Runtime has no native library for this platform), the hashing embedder
   * stands in and the reason is logged: search keeps working, with the weaker semantic list.
   */
  public static synchronized Embedder named(String name) {
    if (name.equals("hashing")) return new HashingEmbedder();
    if (!name.equals("minilm")) throw new IllegalArgumentException("search.embedder must be one of " + NAMES);
    if (minilm == null) {
      long start = System.nanoTime();
      try {
        minilm = MiniLmEmbedder.load();
        log.info("embedding model all-MiniLM-L6-v2 (quantized) loaded in {} ms", (System.nanoTime() - start) / 1_000_000);
      } catch (RuntimeException | LinkageError e) {
        log.error("the embedding model cannot run on this machine ({}); semantic search uses the hashing embedder",
            e.toString());
        return new HashingEmbedder();
      }
    }
    return minilm;
  }
}
