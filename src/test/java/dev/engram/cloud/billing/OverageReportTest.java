package dev.engram.cloud.billing;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Api.Account;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.FakeStripe;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A paid plan's use beyond its caps is billed, not refused, and reported to Stripe Billing Meters exactly once: a
 * report whose answer is lost is sent again after a restart under the same identifier, and Stripe counts it once.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class OverageReportTest {

  private static final int INCLUDED_CALLS = 3;
  private static final int INCLUDED_SEARCHES = 2;

  @Test
  void overage_is_reported_once_across_a_lost_answer_and_a_restart() {
    try (FakeStripe stripe = FakeStripe.start()) {
      JsonObject config = ConfigLoader.deepMerge(stripe.config(), new JsonObject()
          .put("billing", new JsonObject().put("report_interval_seconds", 1))
          .put("metering", new JsonObject().put("fold_seconds", 1))
          .put("plans", new JsonObject().put("pro", new JsonObject()
              .put("api_calls_per_month", INCLUDED_CALLS).put("searches_per_month", INCLUDED_SEARCHES))));
      TestServer server = TestServer.start(config);
      Api api = server.api();
      Account account = api.signup();
      Api.Response checkout = api.post("/v1/billing/checkout", account.apiKey(), new JsonObject().put("plan", "pro"));
      String session = checkout.json().getString("id");
      stripe.completeCheckout(session);
      String event = stripe.event("checkout.session.completed", stripe.sessionObject(session)).encode();
      assertEquals(200, api.send("POST", "/v1/billing/webhook", Map.of("Stripe-Signature", FakeStripe.sign(event)),
          event, "application/json").status());
      stripe.loseMeterAnswers(1);

      int stats = 9;
      int searches = 6;
      for (int i = 0; i < stats; i++) {
        assertEquals(200, api.get("/v1/stats", account.apiKey()).status(), "beyond the cap: billed, not refused");
      }
      for (int i = 0; i < searches; i++) {
        assertEquals(200, api.post("/v1/search", account.apiKey(), new JsonObject().put("query", "x")).status());
      }
      long calls = 1 + stats + searches; // the checkout, the stats, the searches
      Eventually.until(Duration.ofSeconds(30), "the first report was sent and its answer lost",
          () -> stripe.meterRequests() >= 1);
      server.stop();

      TestServer restarted = TestServer.start(config.copy().put("data_dir", server.dataDir().toString()));
      try {
        Eventually.until(Duration.ofSeconds(30), "the overage is reported",
            () -> stripe.metered("engram_api_calls") == calls - INCLUDED_CALLS
                && stripe.metered("engram_searches") == searches - INCLUDED_SEARCHES);
        assertEquals(stripe.meterEvents().size() + 1, stripe.meterRequests(),
            "the report whose answer was lost was sent once more, under its identifier");
        JsonObject billing = restarted.api().get("/v1/billing", account.apiKey()).json().getJsonObject("usage");
        assertEquals(calls - INCLUDED_CALLS, billing.getJsonObject("api_calls").getLong("overage"));
        assertEquals(searches - INCLUDED_SEARCHES, billing.getJsonObject("searches").getLong("overage"));
      } finally {
        restarted.close();
      }
    }
  }
}
