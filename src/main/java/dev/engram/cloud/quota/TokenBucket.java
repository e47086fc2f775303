package dev.engram.cloud.quota;

/** A token bucket: {@code capacity} tokens, refilled at {@code ratePerSecond}. Not thread-safe: one owner thread. */
final class TokenBucket {

  private final double capacity;
  private final double ratePerSecond;
  private double tokens;
  private long lastNanos;

  TokenBucket(double capacity, double ratePerSecond, long nowNanos) {
    this.capacity = capacity;
    this.ratePerSecond = ratePerSecond;
    this.tokens = capacity;
    this.lastNanos = nowNanos;
  }

  /** Takes one token if there is one. */
  boolean tryTake(long nowNanos) {
    refill(nowNanos);
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  boolean hasLimits(double capacity, double ratePerSecond) {
    return this.capacity == capacity && this.ratePerSecond == ratePerSecond;
  }

  double capacity() {
    return capacity;
  }

  long remaining() {
    return (long) Math.floor(tokens);
  }

  /** Seconds an empty bucket takes to fill. */
  long secondsToFill() {
    return (long) Math.ceil(capacity / ratePerSecond);
  }

  /** Seconds until the bucket is full again. */
  long secondsUntilFull() {
    return (long) Math.ceil((capacity - tokens) / ratePerSecond);
  }

  /** Seconds until one token is available. */
  long secondsUntilNext() {
    return Math.max(1, (long) Math.ceil((1 - tokens) / ratePerSecond));
  }

  private void refill(long nowNanos) {
    double elapsed = (nowNanos - lastNanos) / 1e9;
    lastNanos = nowNanos;
    tokens = Math.min(capacity, tokens + elapsed * ratePerSecond);
  }
}
