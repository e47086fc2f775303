package dev.engram.cloud.testing;

import com.stripe.Stripe;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stateful stand-in for the Stripe endpoints billing calls (customers, checkout sessions, billing portal sessions,
 * subscriptions, billing meter events), driven by the real stripe-java client pointed at {@link #url()}. Tests move a
 * subscription through its states with {@link #completeCheckout} and {@link #setSubscription}, and make the events
 * Stripe would send with {@link #event}, signed by {@link #sign} with Stripe's real {@code Stripe-Signature} scheme.
 */
public final class FakeStripe implements AutoCloseable {

  public static final String SECRET_KEY = "sk_test_fake";
  public static final String WEBHOOK_SECRET = "whsec_test_fake";

  private final HttpServer server;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<String, JsonObject> customers = new ConcurrentHashMap<>();
  private final Map<String, JsonObject> sessions = new ConcurrentHashMap<>();
  private final Map<String, JsonObject> subscriptions = new ConcurrentHashMap<>();
  private final Map<String, JsonObject> idempotent = new ConcurrentHashMap<>();
  private final List<JsonObject> meterEvents = new ArrayList<>();
  private final java.util.Set<String> meterIdentifiers = new java.util.HashSet<>();
  private int meterRequests;
  private int lostMeterAnswers;

  private FakeStripe(HttpServer server) {
    this.server = server;
  }

  public static FakeStripe start() {
    try {
      HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      FakeStripe fake = new FakeStripe(http);
      http.createContext("/", fake::handle);
      http.start();
      return fake;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Server config overrides that turn billing on against this fake, with prices for pro and team and overage. */
  public JsonObject config() {
    return new JsonObject().put("billing", new JsonObject()
        .put("stripe", new JsonObject().put("secret_key", SECRET_KEY).put("webhook_secret", WEBHOOK_SECRET))
        .put("api_base", url())
        .put("plans", new JsonObject().put("pro", "price_pro").put("team", "price_team"))
        .put("overage", new JsonObject()
            .put("api_calls", new JsonObject().put("price", "price_calls").put("meter_event", "engram_api_calls"))
            .put("searches", new JsonObject().put("price", "price_searches").put("meter_event", "engram_searches"))));
  }

  public int customerCount() {
    return customers.size();
  }

  public JsonObject customer(String id) {
    return customers.get(id);
  }

  public JsonObject session(String id) {
    return sessions.get(id);
  }

  /** What the user's payment on the Checkout page does: an active subscription for the session's prices. */
  public synchronized JsonObject completeCheckout(String sessionId) {
    JsonObject session = sessions.get(sessionId);
    String id = "sub_" + ids.incrementAndGet();
    JsonArray items = new JsonArray();
    long periodEnd = Instant.now().plusSeconds(30L * 86400).getEpochSecond();
    for (Object price : session.getJsonArray("prices")) {
      items.add(new JsonObject().put("id", "si_" + ids.incrementAndGet()).put("object", "subscription_item")
          .put("price", new JsonObject().put("id", price).put("object", "price"))
          .put("current_period_end", periodEnd));
    }
    JsonObject sub = new JsonObject().put("id", id).put("object", "subscription")
        .put("customer", session.getString("customer")).put("status", "active").put("cancel_at_period_end", false)
        .put("metadata", session.getJsonObject("subscription_metadata"))
        .put("items", new JsonObject().put("object", "list").put("data", items));
    subscriptions.put(id, sub);
    session.put("status", "complete").put("subscription", id);
    return sub.copy();
  }

  /** Changes a subscription as Stripe would (a failed payment, a cancellation...); returns its new state. */
  public synchronized JsonObject setSubscription(String id, String status, boolean cancelAtPeriodEnd) {
    JsonObject sub = subscriptions.get(id).put("status", status).put("cancel_at_period_end", cancelAtPeriodEnd);
    return sub.copy();
  }

  /** The checkout session object as Stripe puts it in a {@code checkout.session.completed} event. */
  public JsonObject sessionObject(String sessionId) {
    JsonObject s = sessions.get(sessionId);
    return new JsonObject().put("id", sessionId).put("object", "checkout.session").put("mode", "subscription")
        .put("customer", s.getString("customer")).put("client_reference_id", s.getString("client_reference_id"))
        .put("subscription", s.getString("subscription")).put("status", s.getString("status"));
  }

  /** An invoice of the subscription, shaped as API 2025-03-31 has it (the subscription under parent). */
  public JsonObject invoiceObject(String subscriptionId) {
    return new JsonObject().put("id", "in_" + ids.incrementAndGet()).put("object", "invoice")
        .put("customer", subscriptions.get(subscriptionId).getString("customer"))
        .put("parent", new JsonObject().put("type", "subscription_details")
            .put("subscription_details", new JsonObject().put("subscription", subscriptionId)));
  }

  /** An event as Stripe sends it to a webhook endpoint pinned to stripe-java's API version. */
  public JsonObject event(String type, JsonObject object) {
    return new JsonObject().put("id", "evt_" + ids.incrementAndGet()).put("object", "event")
        .put("api_version", Stripe.API_VERSION).put("created", Instant.now().getEpochSecond()).put("type", type)
        .put("livemode", false).put("pending_webhooks", 1)
        .put("data", new JsonObject().put("object", object));
  }

  /** Stripe's {@code Stripe-Signature}: {@code t=<time>,v1=<hex HMAC-SHA256 of "time.payload">}. */
  public static String sign(String payload, String secret, long time) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] digest = mac.doFinal((time + "." + payload).getBytes(StandardCharsets.UTF_8));
      return "t=" + time + ",v1=" + HexFormat.of().formatHex(digest);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static String sign(String payload) {
    return sign(payload, WEBHOOK_SECRET, Instant.now().getEpochSecond());
  }

  /** The meter events Stripe counted: one per identifier, as Stripe enforces. */
  public synchronized List<JsonObject> meterEvents() {
    return List.copyOf(meterEvents);
  }

  /** Meter event requests received, resends included. */
  public synchronized int meterRequests() {
    return meterRequests;
  }

  /** The sum of the counted values of one meter. */
  public synchronized long metered(String eventName) {
    return meterEvents.stream().filter(e -> e.getString("event_name").equals(eventName))
        .mapToLong(e -> Long.parseLong(e.getJsonObject("payload").getString("value"))).sum();
  }

  /**
   * The next {@code n} meter events are counted, but their answer is lost (a 500 that stripe-java does not retry), as
   * when the caller dies or times out after Stripe accepted the event.
   */
  public synchronized void loseMeterAnswers(int n) {
    lostMeterAnswers = n;
  }

  @Override
  public void close() {
    server.stop(0);
  }

  // ---- the endpoints ----

  private void handle(HttpExchange ex) throws IOException {
    JsonObject answer;
    int status = 200;
    try {
      if (!("Bearer " + SECRET_KEY).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        reply(ex, 401, error("invalid_request_error", "Invalid API Key provided"));
        return;
      }
      String path = ex.getRequestURI().getPath();
      Map<String, List<String>> form = form(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
      if (key != null && idempotent.containsKey(path + key)) {
        reply(ex, 200, idempotent.get(path + key));
        return;
      }
      String method = ex.getRequestMethod();
      if (method.equals("POST") && path.equals("/v1/customers")) {
        String id = "cus_" + ids.incrementAndGet();
        answer = new JsonObject().put("id", id).put("object", "customer").put("metadata", metadata(form, "metadata"));
        customers.put(id, answer);
      } else if (method.equals("POST") && path.equals("/v1/checkout/sessions")) {
        String id = "cs_test_" + ids.incrementAndGet();
        JsonArray prices = new JsonArray();
        for (int i = 0; form.containsKey("line_items[" + i + "][price]"); i++) {
          prices.add(first(form, "line_items[" + i + "][price]"));
        }
        JsonObject stored = new JsonObject().put("customer", first(form, "customer"))
            .put("client_reference_id", first(form, "client_reference_id")).put("mode", first(form, "mode"))
            .put("success_url", first(form, "success_url")).put("cancel_url", first(form, "cancel_url"))
            .put("prices", prices).put("subscription_metadata", metadata(form, "subscription_data[metadata]"))
            .put("status", "open");
        sessions.put(id, stored);
        answer = new JsonObject().put("id", id).put("object", "checkout.session").put("mode", first(form, "mode"))
            .put("customer", first(form, "customer")).put("url", "https://checkout.stripe.test/c/pay/" + id);
      } else if (method.equals("POST") && path.equals("/v1/billing_portal/sessions")) {
        String customer = first(form, "customer");
        if (!customers.containsKey(customer)) {
          reply(ex, 400, error("invalid_request_error", "No such customer: '" + customer + "'"));
          return;
        }
        answer = new JsonObject().put("id", "bps_" + ids.incrementAndGet()).put("object", "billing_portal.session")
            .put("customer", customer).put("return_url", first(form, "return_url"))
            .put("url", "https://billing.stripe.test/p/session/" + ids.incrementAndGet());
      } else if (method.equals("GET") && path.startsWith("/v1/subscriptions/")) {
        JsonObject sub = subscriptions.get(path.substring("/v1/subscriptions/".length()));
        if (sub == null) {
          reply(ex, 404, error("invalid_request_error", "No such subscription"));
          return;
        }
        synchronized (this) {
          answer = sub.copy();
        }
      } else if (method.equals("POST") && path.equals("/v1/billing/meter_events")) {
        answer = new JsonObject().put("object", "billing.meter_event").put("event_name", first(form, "event_name"))
            .put("identifier", first(form, "identifier")).put("payload", metadata(form, "payload"));
        boolean lose;
        synchronized (this) {
          meterRequests++;
          if (meterIdentifiers.add(answer.getString("identifier"))) meterEvents.add(answer);
          lose = lostMeterAnswers > 0;
          if (lose) lostMeterAnswers--;
        }
        if (lose) {
          ex.getResponseHeaders().set("Stripe-Should-Retry", "false");
          reply(ex, 500, error("api_error", "the answer was lost"));
          return;
        }
      } else {
        reply(ex, 404, error("invalid_request_error", "Unrecognized request URL (" + method + " " + path + ")"));
        return;
      }
      if (key != null) idempotent.put(path + key, answer);
      reply(ex, status, answer);
    } catch (RuntimeException e) {
      reply(ex, 500, error("api_error", e.toString()));
    }
  }

  private static JsonObject error(String type, String message) {
    return new JsonObject().put("error", new JsonObject().put("type", type).put("message", message));
  }

  private static void reply(HttpExchange ex, int status, JsonObject body) throws IOException {
    byte[] bytes = body.encode().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.getResponseHeaders().set("Request-Id", "req_fake");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  private static Map<String, List<String>> form(String body) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (body.isEmpty()) return out;
    for (String pair : body.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return out;
  }

  private static String first(Map<String, List<String>> form, String key) {
    List<String> values = form.get(key);
    return values == null ? null : values.get(0);
  }

  /** {@code prefix[key]=value} fields as an object. */
  private static JsonObject metadata(Map<String, List<String>> form, String prefix) {
    JsonObject out = new JsonObject();
    form.forEach((k, v) -> {
      if (k.startsWith(prefix + "[") && k.endsWith("]")) {
        out.put(k.substring(prefix.length() + 1, k.length() - 1), v.get(0));
      }
    });
    return out;
  }
}
