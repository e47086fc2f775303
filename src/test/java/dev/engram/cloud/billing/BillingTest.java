package dev.engram.cloud.billing;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.FakeStripe;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stripe billing end to end, through the real stripe-java client against {@link FakeStripe}, with webhooks signed by
 * Stripe's real scheme: checkout, portal, the billing view, and the webhook events that drive the plan (replayed,
 * badly signed, out of order, payment failure and recovery, cancellation at period end).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BillingTest {

  private static FakeStripe stripe;
  private static TestServer server;
  private static Api api;

  @BeforeAll
  static void start() {
    stripe = FakeStripe.start();
    server = TestServer.start(stripe.config());
    api = server.api();
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
    if (stripe != null) stripe.close();
  }

  /** A tenant that went through checkout for {@code plan}: its key, session and (completed) subscription. */
  private record Customer(Account account, String sessionId, JsonObject subscription) {}

  private Customer checkedOut(String plan) {
    Account account = api.signup();
    Api.Response checkout = api.post("/v1/billing/checkout", account.apiKey(), new JsonObject().put("plan", plan));
    assertEquals(200, checkout.status(), checkout.body());
    String sessionId = checkout.json().getString("id");
    return new Customer(account, sessionId, stripe.completeCheckout(sessionId));
  }

  private static Api.Response deliver(JsonObject event) {
    String payload = event.encode();
    return deliver(payload, FakeStripe.sign(payload));
  }

  private static Api.Response deliver(String payload, String signature) {
    return api.send("POST", "/v1/billing/webhook", Map.of("Stripe-Signature", signature), payload, "application/json");
  }

  private static JsonObject billing(Account account) {
    Api.Response r = api.get("/v1/billing", account.apiKey());
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  @Test
  void the_upgrade_path_end_to_end_reuses_one_customer_and_ends_on_the_paid_plan() {
    Account account = api.signup();
    assertEquals("free", billing(account).getString("plan"));
    assertNull(billing(account).getValue("subscription"));
    assertEquals(409, api.post("/v1/billing/portal", account.apiKey(), new JsonObject()).status(),
        "no portal before the first checkout");

    Api.Response first = api.post("/v1/billing/checkout", account.apiKey(), new JsonObject().put("plan", "pro"));
    assertEquals(200, first.status(), first.body());
    assertTrue(first.json().getString("url").startsWith("https://checkout.stripe.test/"));
    JsonObject session = stripe.session(first.json().getString("id"));
    assertEquals("subscription", session.getString("mode"));
    assertEquals(account.tenantId(), session.getString("client_reference_id"));
    assertEquals(List.of("price_pro", "price_calls", "price_searches"), session.getJsonArray("prices").getList(),
        "the plan's price and the metered overage prices");
    assertTrue(session.getString("success_url").startsWith("http"), "relative URLs are made absolute");
    int customers = stripe.customerCount();
    Api.Response second = api.post("/v1/billing/checkout", account.apiKey(), new JsonObject().put("plan", "team"));
    assertEquals(200, second.status());
    assertEquals(customers, stripe.customerCount(), "the tenant's customer is reused");
    assertEquals(session.getString("customer"), stripe.session(second.json().getString("id")).getString("customer"));
    assertEquals(account.tenantId(), stripe.customer(session.getString("customer")).getJsonObject("metadata")
        .getString("tenant_id"));

    stripe.completeCheckout(first.json().getString("id"));
    Api.Response delivered = deliver(stripe.event("checkout.session.completed",
        stripe.sessionObject(first.json().getString("id"))));
    assertEquals(200, delivered.status(), delivered.body());
    assertTrue(delivered.json().getBoolean("applied"));

    JsonObject view = billing(account);
    assertEquals("pro", view.getString("plan"));
    assertEquals("active", view.getJsonObject("subscription").getString("status"));
    assertEquals("pro", view.getJsonObject("subscription").getString("plan"));
    assertNotNull(view.getJsonObject("subscription").getString("current_period_end"));
    assertEquals(500_000L, view.getJsonObject("usage").getJsonObject("api_calls").getLong("included"),
        "the usage is measured against the paid plan's caps");
    assertTrue(view.getJsonObject("usage").getJsonObject("api_calls").getLong("used") > 0);

    for (String action : new String[] {"billing.subscription_changed", "tenant.plan_changed"}) {
      JsonObject entry = api.get("/v1/audit-log?action=" + action, account.apiKey()).json().getJsonArray("data")
          .getJsonObject(0);
      assertEquals("billing", entry.getString("actor"), action + " is audited as billing's change");
    }

    Api.Response again = api.post("/v1/billing/checkout", account.apiKey(), new JsonObject().put("plan", "team"));
    assertEquals(409, again.status(), "a paying tenant changes plans in the portal, not by a second subscription");
    assertEquals("already_subscribed", again.json().getString("code"));

    Api.Response portal = api.post("/v1/billing/portal", account.apiKey(), new JsonObject());
    assertEquals(200, portal.status(), portal.body());
    assertTrue(portal.json().getString("url").startsWith("https://billing.stripe.test/"));
  }

  @Test
  void a_replayed_event_is_applied_once() {
    Customer c = checkedOut("pro");
    JsonObject completed = stripe.event("checkout.session.completed", stripe.sessionObject(c.sessionId()));
    assertTrue(deliver(completed).json().getBoolean("applied"));
    // Stripe's state moves on; a redelivery of the old event must not apply anything, old or new.
    stripe.setSubscription(c.subscription().getString("id"), "canceled", false);
    Api.Response replay = deliver(completed);
    assertEquals(200, replay.status());
    assertFalse(replay.json().getBoolean("applied"));
    assertEquals("pro", billing(c.account()).getString("plan"));
  }

  @Test
  void a_bad_signature_is_refused_and_changes_nothing() {
    Customer c = checkedOut("pro");
    String payload = stripe.event("checkout.session.completed", stripe.sessionObject(c.sessionId())).encode();
    long now = Instant.now().getEpochSecond();
    for (String signature : new String[] {
        FakeStripe.sign(payload, "whsec_someone_else", now),
        FakeStripe.sign(payload, FakeStripe.WEBHOOK_SECRET, now - 600), // older than the 300 s tolerance
        "t=" + now + ",v1=00",
        ""}) {
      Api.Response r = deliver(payload, signature);
      assertEquals(400, r.status(), signature);
      assertEquals("invalid_signature", r.json().getString("code"));
    }
    Api.Response tampered = deliver(payload.replace(c.account().tenantId(), "tn_other"), FakeStripe.sign(payload));
    assertEquals(400, tampered.status());
    assertEquals("free", billing(c.account()).getString("plan"));
    assertTrue(deliver(payload, FakeStripe.sign(payload)).json().getBoolean("applied"),
        "the refused deliveries recorded nothing: the genuine one still applies");
  }

  @Test
  void events_out_of_order_end_in_the_right_plan() {
    Customer c = checkedOut("team");
    String subscription = c.subscription().getString("id");
    // Stripe does not promise order: the subscription's update arrives before the checkout's completion.
    assertTrue(deliver(stripe.event("customer.subscription.updated", c.subscription())).json().getBoolean("applied"));
    assertEquals("team", billing(c.account()).getString("plan"));
    assertTrue(deliver(stripe.event("checkout.session.completed", stripe.sessionObject(c.sessionId())))
        .json().getBoolean("applied"));
    assertEquals("team", billing(c.account()).getString("plan"));

    // A stale "created" event that arrives after the cancellation does not bring the plan back.
    JsonObject created = stripe.event("customer.subscription.created", c.subscription());
    JsonObject deleted = stripe.event("customer.subscription.deleted",
        stripe.setSubscription(subscription, "canceled", false));
    deliver(deleted);
    deliver(created);
    assertEquals("free", billing(c.account()).getString("plan"));
  }

  @Test
  void a_failed_payment_is_past_due_with_the_plan_kept_and_a_paid_invoice_recovers() {
    Customer c = checkedOut("pro");
    String subscription = c.subscription().getString("id");
    deliver(stripe.event("checkout.session.completed", stripe.sessionObject(c.sessionId())));

    stripe.setSubscription(subscription, "past_due", false);
    assertTrue(deliver(stripe.event("invoice.payment_failed", stripe.invoiceObject(subscription)))
        .json().getBoolean("applied"));
    JsonObject pastDue = billing(c.account());
    assertEquals("pro", pastDue.getString("plan"), "the grace period keeps the plan");
    assertEquals("past_due", pastDue.getJsonObject("subscription").getString("status"));
    String since = pastDue.getJsonObject("subscription").getString("past_due_since");
    assertNotNull(since);
    // A second failed attempt keeps the first failure's time (the grace period does not restart).
    deliver(stripe.event("invoice.payment_failed", stripe.invoiceObject(subscription)));
    assertEquals(since, billing(c.account()).getJsonObject("subscription").getString("past_due_since"));

    stripe.setSubscription(subscription, "active", false);
    deliver(stripe.event("invoice.paid", stripe.invoiceObject(subscription)));
    JsonObject recovered = billing(c.account());
    assertEquals("pro", recovered.getString("plan"));
    assertEquals("active", recovered.getJsonObject("subscription").getString("status"));
    assertNull(recovered.getJsonObject("subscription").getValue("past_due_since"));
  }

  @Test
  void a_cancellation_at_period_end_keeps_the_plan_until_stripe_ends_the_subscription() {
    Customer c = checkedOut("pro");
    String subscription = c.subscription().getString("id");
    deliver(stripe.event("checkout.session.completed", stripe.sessionObject(c.sessionId())));

    deliver(stripe.event("customer.subscription.updated", stripe.setSubscription(subscription, "active", true)));
    JsonObject cancelling = billing(c.account());
    assertEquals("pro", cancelling.getString("plan"));
    assertTrue(cancelling.getJsonObject("subscription").getBoolean("cancel_at_period_end"));

    // At the period's end Stripe deletes the subscription.
    deliver(stripe.event("customer.subscription.deleted", stripe.setSubscription(subscription, "canceled", true)));
    JsonObject ended = billing(c.account());
    assertEquals("free", ended.getString("plan"));
    assertEquals("canceled", ended.getJsonObject("subscription").getString("status"));
  }

  @Test
  void unknown_events_are_acknowledged_and_bad_requests_refused() {
    Api.Response unknown = deliver(stripe.event("customer.created", new JsonObject().put("id", "cus_x")));
    assertEquals(200, unknown.status());
    assertFalse(unknown.json().getBoolean("applied"));

    Account account = api.signup();
    Api.Response badPlan = api.post("/v1/billing/checkout", account.apiKey(), new JsonObject().put("plan", "free"));
    assertEquals(400, badPlan.status());
    assertEquals("invalid_plan", badPlan.json().getString("code"));
    assertEquals(400, api.post("/v1/billing/checkout", account.apiKey(), new JsonObject()).status());
    assertEquals(401, api.get("/v1/billing", null).status());
  }

  @Test
  void without_stripe_keys_billing_is_off_and_its_routes_say_so() {
    try (TestServer plain = TestServer.start(ConfigLoader.deepMerge(new JsonObject(), new JsonObject()))) {
      Api embedded = plain.api();
      Account account = embedded.signup();
      String payload = new JsonObject().put("id", "evt_1").put("type", "invoice.paid").encode();
      for (Api.Response r : new Api.Response[] {
          embedded.get("/v1/billing", account.apiKey()),
          embedded.post("/v1/billing/checkout", account.apiKey(), new JsonObject().put("plan", "pro")),
          embedded.post("/v1/billing/portal", account.apiKey(), new JsonObject()),
          embedded.send("POST", "/v1/billing/webhook", Map.of("Stripe-Signature", FakeStripe.sign(payload)), payload,
              "application/json")}) {
        assertEquals(404, r.status(), r.body());
        assertEquals("billing_disabled", r.json().getString("code"));
      }
    }
  }
}
