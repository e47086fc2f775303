package dev.engram.cloud.billing;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.model.Subscription;
import com.stripe.model.SubscriptionItem;
import com.stripe.model.checkout.Session;
import com.stripe.net.RequestOptions;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.billing.MeterEventCreateParams;
import com.stripe.param.checkout.SessionCreateParams;
import dev.engram.cloud.config.EngramConfig;

import java.time.Instant;
import java.util.List;

/**
 * The Stripe calls billing makes, through stripe-java (which pins the API version). Every method blocks on the
 * network: call from a worker.
 */
final class StripeGateway {

  /** A subscription as billing needs it: the tenant it was bought for, its prices and state. */
  record SubscriptionState(String id, String customerId, String tenantId, String status, List<String> prices,
                           Instant currentPeriodEnd, boolean cancelAtPeriodEnd) {}

  private final StripeClient client;

  StripeGateway(EngramConfig.Billing config) {
    this.client = StripeClient.builder().setApiKey(config.secretKey()).setApiBase(config.apiBase())
        .setMaxNetworkRetries(2).setConnectTimeout(10_000).setReadTimeout(30_000).build();
  }

  /** One customer per tenant: the idempotency key makes a retried or concurrent first checkout reuse it. */
  String createCustomer(String tenantId) throws StripeException {
    return client.customers().create(CustomerCreateParams.builder().putMetadata("tenant_id", tenantId).build(),
        RequestOptions.builder().setIdempotencyKey("engram-customer-" + tenantId).build()).getId();
  }

  /** A Checkout Session in subscription mode for the plan's price and the metered overage prices. */
  Session checkout(String tenantId, String customerId, String planPrice, List<String> meteredPrices,
                   String successUrl, String cancelUrl) throws StripeException {
    SessionCreateParams.Builder params = SessionCreateParams.builder()
        .setMode(SessionCreateParams.Mode.SUBSCRIPTION)
        .setCustomer(customerId)
        .setClientReferenceId(tenantId)
        .setSuccessUrl(successUrl)
        .setCancelUrl(cancelUrl)
        .setSubscriptionData(SessionCreateParams.SubscriptionData.builder().putMetadata("tenant_id", tenantId).build())
        .addLineItem(SessionCreateParams.LineItem.builder().setPrice(planPrice).setQuantity(1L).build());
    for (String metered : meteredPrices) {
      params.addLineItem(SessionCreateParams.LineItem.builder().setPrice(metered).build());
    }
    return client.checkout().sessions().create(params.build());
  }

  String portal(String customerId, String returnUrl) throws StripeException {
    return client.billingPortal().sessions().create(com.stripe.param.billingportal.SessionCreateParams.builder()
        .setCustomer(customerId).setReturnUrl(returnUrl).build()).getUrl();
  }

  /**
   * One Billing Meter event; {@code identifier} (also the idempotency key) makes a resend of the same report a no-op
   * at Stripe.
   */
  void meterEvent(String eventName, String customerId, long value, String identifier) throws StripeException {
    client.billing().meterEvents().create(MeterEventCreateParams.builder().setEventName(eventName)
            .setIdentifier(identifier).putPayload("stripe_customer_id", customerId)
            .putPayload("value", Long.toString(value)).build(),
        RequestOptions.builder().setIdempotencyKey(identifier).build());
  }

  /** The subscription as Stripe holds it now: webhooks apply this, not the event's copy, so order does not matter. */
  SubscriptionState subscription(String id) throws StripeException {
    Subscription s = client.subscriptions().retrieve(id);
    List<SubscriptionItem> items = s.getItems() == null ? List.of() : s.getItems().getData();
    Long periodEnd = items.stream().map(SubscriptionItem::getCurrentPeriodEnd).filter(p -> p != null).findFirst()
        .orElse(null);
    String tenantId = s.getMetadata() == null ? null : s.getMetadata().get("tenant_id");
    List<String> prices = items.stream().map(i -> i.getPrice() == null ? null : i.getPrice().getId()).toList();
    return new SubscriptionState(s.getId(), s.getCustomer(), tenantId, s.getStatus(), prices,
        periodEnd == null ? null : Instant.ofEpochSecond(periodEnd), Boolean.TRUE.equals(s.getCancelAtPeriodEnd()));
  }
}
