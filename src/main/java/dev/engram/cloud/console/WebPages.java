package dev.engram.cloud.console;

import dev.engram.cloud.config.EngramConfig;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The pages for people: the landing page {@code /}, the console {@code /console} (a page whose script calls the
 * public API with the signed-in user's access token, kept in memory only), the docs {@code /docs} and the static
 * assets {@code /assets/*} (the console's script and the style sheet, from the jar). These are not API routes, so
 * they are not in openapi.yaml: no credential, no JSON, and every answer carries the same security headers.
 */
public final class WebPages {

  /**
   * Scripts, styles, images and connections from this origin only: no inline script or style, no framing, no
   * plugins, forms post here only.
   */
  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
      + "form-action 'self'";
  private static final Pattern DOC_NAME = Pattern.compile("[a-z0-9-]{1,64}");

  private final String landing;
  private final String console;
  private final DocsSite docs;

  public WebPages(EngramConfig config, String baseUrl, DocsSite docs) {
    String plans = plansData(config);
    this.landing = LandingPage.render(config.quota().plans().values(), baseUrl, plans);
    this.console = ConsolePage.render(config.auth().external().enabled(), plans + billingData(config));
    this.docs = docs;
  }

  public void mount(Router router) {
    router.get("/").handler(ctx -> html(ctx, landing));
    router.get("/console").handler(ctx -> html(ctx, console));
    router.get("/docs").handler(ctx -> html(ctx, docs.page("")));
    router.get("/docs/:name").handler(ctx -> {
      String name = ctx.pathParam("name");
      String page = DOC_NAME.matcher(name).matches() ? docs.page(name) : null;
      if (page == null) ctx.next(); // → 404 problem
      else html(ctx, page);
    });
    router.get("/assets/*").handler(ctx -> {
      headers(ctx.response());
      ctx.next();
    }).handler(StaticHandler.create("webroot/assets").setCachingEnabled(true).setMaxAgeSeconds(300)
        .setDirectoryListing(false).setIncludeHidden(false));
  }

  /**
   * The plan table as a JSON data block for the console's script (caps against usage on the overview): a data block
   * is not run, so the Content-Security-Policy allows it. {@code <} is escaped so the JSON cannot end the element.
   */
  static String plansData(EngramConfig config) {
    JsonObject plans = new JsonObject();
    config.quota().plans().forEach((name, plan) -> plans.put(name, new JsonObject()
        .put("memories", plan.memories()).put("searches_per_month", plan.searchesPerMonth())
        .put("api_calls_per_month", plan.apiCallsPerMonth()).put("storage_bytes", plan.storageBytes())
        .put("members", plan.members())));
    return "<script type=\"application/json\" id=\"engram-plans\">" + plans.encode().replace("<", "\\u003c")
        + "</script>\n";
  }

  /**
   * Whether billing is on and which plans can be bought (those with a Stripe price), as a data block: the console's
   * billing page then neither asks an API that would answer 404 {@code billing_disabled} nor offers a plan that
   * checkout would refuse. Price ids and keys stay on the server.
   */
  static String billingData(EngramConfig config) {
    EngramConfig.Billing billing = config.billing();
    JsonObject data = new JsonObject().put("enabled", billing.enabled())
        .put("plans", new JsonArray(billing.enabled() ? purchasable(config, billing) : List.of()));
    return "<script type=\"application/json\" id=\"engram-billing\">" + data.encode().replace("<", "\\u003c")
        + "</script>\n";
  }

  /** The plans with a Stripe price, smallest first as on the landing page (the configuration's map has no order). */
  private static List<String> purchasable(EngramConfig config, EngramConfig.Billing billing) {
    return config.quota().plans().values().stream()
        .filter(plan -> billing.planPrices().containsKey(plan.name()))
        .sorted(Comparator.comparing(EngramConfig.Plan::memories, Comparator.nullsLast(Comparator.naturalOrder())))
        .map(EngramConfig.Plan::name).toList();
  }

  private static void html(RoutingContext ctx, String page) {
    HttpServerResponse response = ctx.response();
    headers(response);
    response.putHeader("Content-Type", "text/html; charset=utf-8").putHeader("Cache-Control", "no-cache").end(page);
  }

  private static void headers(HttpServerResponse response) {
    response.putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Cross-Origin-Opener-Policy", "same-origin");
  }
}
