package dev.engram.cloud.search;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Stored form of a vector: int8 per dimension plus one float scale (4 + d bytes, a quarter of float32). Vectors
 * are unit length, so the quantisation error on a cosine is about 1/127 per component's share: far below what
 * changes a ranking.
 */
public final class Vectors {

  private Vectors() {}

  public static float[] normalize(float[] v) {
    double sum = 0;
    for (float x : v) sum += x * x;
    if (sum == 0) return v;
    float inv = (float) (1 / Math.sqrt(sum));
    for (int i = 0; i < v.length; i++) v[i] *= inv;
    return v;
  }

  /** {@code [scale float32 little-endian][d int8 values]}; value = byte * scale. */
  public static byte[] quantize(float[] v) {
    float max = 0;
    for (float x : v) max = Math.max(max, Math.abs(x));
    float scale = max == 0 ? 0 : max / 127f;
    ByteBuffer out = ByteBuffer.allocate(4 + v.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putFloat(scale);
    for (float x : v) out.put(scale == 0 ? 0 : (byte) Math.round(x / scale));
    return out.array();
  }

  /** The stored vector as floats, scaled back to unit length; null for none (or one of all zeros). */
  public static float[] unitOrNull(byte[] stored) {
    if (stored == null) return null;
    float scale = scale(stored);
    float[] v = new float[dimensions(stored)];
    double sum = 0;
    for (int i = 0; i < v.length; i++) {
      v[i] = stored[4 + i] * scale;
      sum += v[i] * v[i];
    }
    return sum == 0 ? null : normalize(v);
  }

  public static float scale(byte[] stored) {
    return ByteBuffer.wrap(stored, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
  }

  public static int dimensions(byte[] stored) {
    return stored.length - 4;
  }

  public static float cosine(float[] a, float[] b) {
    double dot = 0;
    for (int i = 0; i < a.length; i++) dot += a[i] * b[i];
    return (float) dot;
  }
}
