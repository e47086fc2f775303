package dev.engram.cloud.billing;

import com.stripe.exception.SignatureVerificationException;
import com.stripe.exception.StripeException;
import com.stripe.net.Webhook;
import dev.engram.cloud.billing.StripeGateway.SubscriptionState;
import dev.engram.cloud.bus.Addresses;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.config.EngramConfig.Plan;
import dev.engram.cloud.controlplane.BillingAccount;
import dev.engram.cloud.controlplane.BillingChange;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.controlplane.UsageDay;
import dev.engram.cloud.metering.UsageMessages.UsageQuery;
import dev.engram.cloud.metering.UsageMessages.UsageReport;
import dev.engram.cloud.quota.Plans;
import dev.engram.cloud.quota.QuotaMessages.PlanChanged;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Stripe billing: checkout and portal sessions for a tenant's owner, the billing view, and the webhook that drives
 * the tenant's plan. A webhook applies the subscription as Stripe holds it when the event arrives (retrieved, not the
 * event's copy), so events delivered late or out of order end in the same state; each event id is applied once.
 * Shared by the HTTP verticles; Stripe calls run on workers.
 */
public final class BillingService {

  private static final Logger log = LoggerFactory.getLogger(BillingService.class);
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setSendTimeout(10_000);
  /** Stripe's default: a signature older than this is refused (replays of a captured request). */
  static final long TOLERANCE_SECONDS = 300;
  private static final Set<String> SUBSCRIPTION_EVENTS = Set.of("customer.subscription.created",
      "customer.subscription.updated", "customer.subscription.deleted");
  private static final Set<String> INVOICE_EVENTS = Set.of("invoice.paid", "invoice.payment_failed");
  /** Statuses whose subscription gives its plan (past_due: until Stripe gives up and cancels it). */
  private static final Set<String> PAYING = Set.of("active", "trialing", "past_due");

  private final Vertx vertx;
  private final ControlPlane controlPlane;
  private final EngramConfig.Billing config;
  private final Plans plans;
  private final String publicUrl;
  private final StripeGateway stripe;
  private final OverageReporter overage;
  /** Webhooks are applied one at a time on this node, so two deliveries cannot interleave their reads and writes. */
  private Future<?> webhooks = Future.succeededFuture();

  public BillingService(Vertx vertx, ControlPlane controlPlane, EngramConfig config) {
    this.vertx = vertx;
    this.controlPlane = controlPlane;
    this.config = config.billing();
    this.plans = new Plans(config.quota());
    this.publicUrl = config.mcp().publicUrl().isEmpty() ? "http://localhost:" + config.port()
        : config.mcp().publicUrl().replaceAll("/+$", "");
    this.stripe = this.config.enabled() ? new StripeGateway(this.config) : null;
    this.overage = new OverageReporter(controlPlane, this.config, plans, (event, customer, value, identifier) ->
        blocking(() -> {
          stripe.meterEvent(event, customer, value, identifier);
          return null;
        }));
  }

  public boolean enabled() {
    return stripe != null;
  }

  /** One overage report over every paying tenant (see {@link OverageReporter}); the meter events sent. */
  public Future<Integer> reportOverage() {
    requireEnabled();
    return overage.reportAll();
  }

  /** 404: billing is off on this server (no Stripe keys); plans are set by an operator. */
  static ApiException disabled() {
    return new ApiException(404, "billing_disabled",
        "Billing is not enabled on this server; plans are set by its operator.");
  }

  private void requireEnabled() {
    if (stripe == null) throw disabled();
  }

  /**
   * {@code POST /v1/billing/checkout}: a Checkout Session URL for {@code plan}; the tenant's customer is reused. A
   * tenant whose subscription still pays changes plans in the portal (409), never through a second subscription.
   */
  public Future<JsonObject> checkout(String tenantId, String plan) {
    requireEnabled();
    String price = config.planPrices().get(plan);
    if (price == null) {
      List<String> plans = List.copyOf(new TreeSet<>(config.planPrices().keySet()));
      throw new ApiException(400, "invalid_plan", "Plan '" + plan + "' cannot be bought; choose one of " + plans + ".",
          new JsonObject().put("plans", plans));
    }
    List<String> metered = new TreeMap<>(config.overage()).values().stream()
        .map(EngramConfig.Billing.Overage::price).toList();
    return controlPlane.billingAccount(tenantId).compose(account -> {
      if (account.isPresent() && account.get().status() != null && PAYING.contains(account.get().status())) {
        return Future.failedFuture(new ApiException(409, "already_subscribed", "This tenant already has a "
            + account.get().status() + " subscription; change its plan in the portal (POST /v1/billing/portal)."));
      }
      return customer(tenantId);
    }).compose(customerId -> blocking(() -> stripe.checkout(tenantId, customerId, price,
            metered, absolute(config.successUrl()), absolute(config.cancelUrl()))))
        .map(session -> new JsonObject().put("id", session.getId()).put("url", session.getUrl()));
  }

  /** {@code POST /v1/billing/portal}: a Customer Portal URL; 409 before the tenant's first checkout. */
  public Future<JsonObject> portal(String tenantId) {
    requireEnabled();
    return controlPlane.billingAccount(tenantId).compose(account -> {
      if (account.isEmpty()) {
        return Future.failedFuture(new ApiException(409, "no_billing_account",
            "This tenant has no billing account yet; start with POST /v1/billing/checkout."));
      }
      return blocking(() -> stripe.portal(account.get().customerId(), absolute(config.portalReturnUrl())));
    }).map(url -> new JsonObject().put("url", url));
  }

  /**
   * {@code GET /v1/billing}: the plan, the subscription's state, and this UTC month's usage against the plan's caps
   * with the overage beyond them (what metered billing charges for).
   */
  public Future<JsonObject> status(String tenantId) {
    requireEnabled();
    YearMonth month = YearMonth.now(ZoneOffset.UTC);
    Future<Optional<String>> planName = controlPlane.tenantPlan(tenantId);
    Future<Optional<BillingAccount>> account = controlPlane.billingAccount(tenantId);
    Future<UsageReport> usage = vertx.eventBus().<UsageReport>request(Addresses.USAGE_QUERY,
        new UsageQuery(tenantId, month.atDay(1), month.atEndOfMonth()), LOCAL).map(Message::body);
    return Future.all(planName, account, usage).map(all -> {
      Plan plan = planName.result().filter(plans::exists).map(plans::of).orElse(plans.defaultPlan());
      long calls = 0;
      long searches = 0;
      for (UsageDay d : usage.result().days()) {
        calls += d.apiCalls();
        searches += d.searches();
      }
      JsonObject out = new JsonObject().put("plan", plan.name())
          .put("usage", new JsonObject().put("month", month.toString())
              .put("api_calls", metric(calls, plan.apiCallsPerMonth()))
              .put("searches", metric(searches, plan.searchesPerMonth())));
      BillingAccount a = account.result().orElse(null);
      JsonObject subscription = a == null || a.subscriptionId() == null ? null : new JsonObject()
          .put("id", a.subscriptionId()).put("status", a.status()).put("plan", a.plan())
          .put("current_period_end", a.currentPeriodEnd() == null ? null : a.currentPeriodEnd().toString())
          .put("cancel_at_period_end", a.cancelAtPeriodEnd())
          .put("past_due_since", a.pastDueSince() == null ? null : a.pastDueSince().toString());
      return out.put("subscription", subscription);
    });
  }

  private static JsonObject metric(long used, Long included) {
    return new JsonObject().put("used", used).put("included", included)
        .put("overage", included == null ? 0 : Math.max(0, used - included));
  }

  /**
   * {@code POST /v1/billing/webhook}: verifies the {@code Stripe-Signature} over the raw body (400
   * {@code invalid_signature}, nothing changed), then applies the event once. Events billing does not use are
   * acknowledged.
   */
  public Future<JsonObject> webhook(Buffer payload, String signature) {
    requireEnabled();
    String body = payload == null ? "" : payload.toString();
    JsonObject event;
    try {
      Webhook.Signature.verifyHeader(body, signature == null ? "" : signature, config.webhookSecret(),
          TOLERANCE_SECONDS);
      event = new JsonObject(body);
    } catch (SignatureVerificationException e) {
      throw new ApiException(400, "invalid_signature", "The Stripe-Signature header does not sign this body.");
    } catch (DecodeException | ClassCastException e) {
      throw ApiException.badRequest("invalid_json", "The event is not a JSON object.");
    }
    synchronized (this) {
      Future<JsonObject> applied = webhooks.transform(ignored -> apply(event));
      webhooks = applied;
      return applied;
    }
  }

  private Future<JsonObject> apply(JsonObject event) {
    String id = event.getString("id");
    String type = event.getString("type", "");
    JsonObject object = event.getJsonObject("data", new JsonObject()).getJsonObject("object", new JsonObject());
    String subscriptionId = subscriptionOf(type, object);
    if (id == null || subscriptionId == null) {
      return Future.succeededFuture(new JsonObject().put("received", true).put("applied", false));
    }
    return blocking(() -> stripe.subscription(subscriptionId)).compose(sub -> {
      String tenantId = sub.tenantId() != null ? sub.tenantId() : object.getString("client_reference_id");
      if (tenantId == null) {
        log.warn("billing: Stripe event {} ({}) names subscription {} of no tenant; ignored", id, type, sub.id());
        return Future.succeededFuture(new JsonObject().put("received", true).put("applied", false));
      }
      return controlPlane.billingAccount(tenantId).compose(previous -> {
        BillingChange change = change(id, type, tenantId, sub, previous.orElse(null));
        return controlPlane.applyBillingChange(change).map(applied -> {
          if (applied) {
            log.info("billing: event {} ({}) put tenant {} on plan {} (subscription {})", id, type, tenantId,
                change.tenantPlan(), sub.status());
            vertx.eventBus().publish(Addresses.PLAN_CHANGED, new PlanChanged(tenantId), LOCAL);
          }
          return new JsonObject().put("received", true).put("applied", applied);
        });
      });
    });
  }

  /** The subscription an event is about, for the events that drive the plan; null for the others. */
  private static String subscriptionOf(String type, JsonObject object) {
    if (type.equals("checkout.session.completed")) return object.getString("subscription");
    if (SUBSCRIPTION_EVENTS.contains(type)) return object.getString("id");
    if (INVOICE_EVENTS.contains(type)) {
      // Since API 2025-03-31 an invoice names its subscription under parent.subscription_details.
      JsonObject details = Optional.ofNullable(object.getJsonObject("parent"))
          .map(p -> p.getJsonObject("subscription_details")).orElse(null);
      return details != null ? details.getString("subscription") : object.getString("subscription");
    }
    return null;
  }

  /** The account and plan a subscription's current state gives the tenant. */
  private BillingChange change(String eventId, String type, String tenantId, SubscriptionState sub,
                               BillingAccount previous) {
    String bought = null;
    for (Map.Entry<String, String> e : config.planPrices().entrySet()) {
      if (sub.prices().contains(e.getValue())) bought = e.getKey();
    }
    boolean pastDue = sub.status().equals("past_due");
    Instant pastDueSince = !pastDue ? null
        : previous != null && previous.pastDueSince() != null ? previous.pastDueSince() : Instant.now();
    String tenantPlan = bought != null && PAYING.contains(sub.status()) ? bought : plans.defaultPlan().name();
    BillingAccount account = new BillingAccount(tenantId, sub.customerId(), sub.id(), sub.status(), bought,
        sub.currentPeriodEnd(), sub.cancelAtPeriodEnd(), pastDueSince);
    return new BillingChange(eventId, type, account, tenantPlan);
  }

  /** The tenant's Stripe customer, created at its first checkout and reused after. */
  private Future<String> customer(String tenantId) {
    return controlPlane.billingAccount(tenantId).compose(account -> account.isPresent()
        ? Future.succeededFuture(account.get().customerId())
        : blocking(() -> stripe.createCustomer(tenantId))
            .compose(id -> controlPlane.linkBillingCustomer(tenantId, id))
            .map(BillingAccount::customerId));
  }

  private String absolute(String url) {
    return url.startsWith("/") ? publicUrl + url : url;
  }

  private interface StripeCall<T> {
    T call() throws StripeException;
  }

  /** A Stripe call on a worker; Stripe's failure is a 502 that names Stripe, never its details (they may hold ids). */
  private <T> Future<T> blocking(StripeCall<T> call) {
    return vertx.executeBlocking(call::call, false).recover(err -> {
      log.warn("billing: Stripe call failed: {}", err.toString());
      return Future.failedFuture(err instanceof StripeException
          ? new ApiException(502, "stripe_unavailable", "Stripe did not complete the request; try again.")
          : err);
    });
  }
}
