package dev.engram.cloud.controlplane;

import java.time.Instant;

/**
 * A tenant's Stripe customer and its subscription as Stripe last described it ({@code subscriptionId} and the
 * fields after it are null before the first subscription). {@code plan}: the plan the subscription pays for;
 * {@code pastDueSince}: when its payment first failed, while it is past due.
 */
public record BillingAccount(String tenantId, String customerId, String subscriptionId, String status, String plan,
                             Instant currentPeriodEnd, boolean cancelAtPeriodEnd, Instant pastDueSince) {}
