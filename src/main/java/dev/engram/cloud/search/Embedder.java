package dev.engram.cloud.search;

/**
 * Turns text into a fixed-length vector whose cosine similarity to another text's vector says how alike they are.
 * Implementations must be deterministic and thread-safe: vectors are stored with each memory and compared with
 * vectors computed later, so a change of algorithm needs a new {@link #id()} (stored vectors are then recomputed).
 */
public interface Embedder {

  /** Names the algorithm and its parameters; stored with the vectors. */
  String id();

  int dimensions();

  /** An L2-normalised vector (all zeros when the text has nothing to embed). */
  float[] embed(String text);
}
