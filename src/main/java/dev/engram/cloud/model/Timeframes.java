package dev.engram.cloud.model;

import java.time.Duration;
import java.util.Map;

/** The windows of recent activity: 1h, 24h (the default), 7d, 30d. */
public final class Timeframes {

  public static final String DEFAULT = "24h";
  private static final Map<String, Duration> ALL = Map.of("1h", Duration.ofHours(1), "24h", Duration.ofHours(24),
      "7d", Duration.ofDays(7), "30d", Duration.ofDays(30));

  private Timeframes() {}

  /** The window of a name the contract admitted. */
  public static Duration of(String name) {
    Duration window = ALL.get(name);
    if (window == null) throw new IllegalArgumentException("unknown timeframe " + name);
    return window;
  }
}
