package dev.engram.cloud.controlplane;

/**
 * How much of a tenant's overage of one metric in one UTC month ({@code 2026-11}) Stripe has accepted
 * ({@code reported}), and the report claimed and not yet confirmed ({@code pending} total, with the identifier it is
 * sent under), if any.
 */
public record MeterReport(String tenantId, String month, String metric, long reported, Long pending,
                          String pendingIdentifier) {}
