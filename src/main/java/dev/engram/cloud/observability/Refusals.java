package dev.engram.cloud.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@code engram_refusals_total{status, cap}}: requests refused by a rate limit (429) or a plan cap (402), counted
 * where the refusal is decided (the quota verticle, a tenant's engine), whichever door the request came through.
 * {@code cap} is a limit's name from a small fixed set (never a tenant).
 */
public final class Refusals {

  private Refusals() {}

  public static void count(MeterRegistry registry, int status, String cap) {
    Counter.builder("engram_refusals_total")
        .description("Requests refused by a rate limit (429) or a plan cap (402), by the limit")
        .tag("status", Integer.toString(status))
        .tag("cap", cap == null ? "unknown" : cap)
        .register(registry)
        .increment();
  }

  /** Registers the series an operator's dashboards and alerts query, so that they exist before the first refusal. */
  public static void register(MeterRegistry registry) {
    Counter.builder("engram_refusals_total")
        .description("Requests refused by a rate limit (429) or a plan cap (402), by the limit")
        .tag("status", "429").tag("cap", "rate_limit").register(registry);
  }
}
