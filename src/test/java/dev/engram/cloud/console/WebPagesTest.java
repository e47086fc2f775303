package dev.engram.cloud.console;

import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.RunningServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pages over plain HTTP: each answers HTML with the security headers (a Content-Security-Policy without inline
 * scripts or styles, no framing, no sniffing), needs no credential and sets no cookie; the assets come from the jar;
 * an unknown page is the API's 404 problem. The OAuth metadata's {@code resource_documentation} now points at a page
 * that exists.
 */
@Timeout(60)
class WebPagesTest {

  @RegisterExtension
  static final RunningServer server = RunningServer.withDefaults();

  @Test
  void pages_answer_html_with_a_strict_policy_and_no_cookie() {
    Api api = server.api();
    for (String path : List.of("/", "/console", "/docs", "/docs/quickstart", "/docs/api")) {
      Api.Response r = api.get(path, null);
      assertEquals(200, r.status(), path);
      assertEquals("text/html; charset=utf-8", r.header("Content-Type"), path);
      String csp = r.header("Content-Security-Policy");
      assertTrue(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), path + ": " + csp);
      assertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval"), csp);
      assertEquals("nosniff", r.header("X-Content-Type-Options"));
      assertEquals(null, r.header("Set-Cookie"), path + " sets no cookie: the console's token lives in memory");
      assertFalse(r.body().contains("<script>") || r.body().contains(" style="), path + " has no inline script or style");
    }
  }

  @Test
  void the_console_learns_whether_billing_is_on_and_which_plans_sell_but_no_price_or_secret() {
    assertTrue(server.api().get("/console", null).body().contains(
        "<script type=\"application/json\" id=\"engram-billing\">{\"enabled\":false,\"plans\":[]}</script>"),
        "billing is off on the test server");
    EngramConfig on = EngramConfig.fromJson(ConfigLoader.deepMerge(ConfigLoader.defaults(), new JsonObject()
        .put("billing", new JsonObject().put("plans", new JsonObject().put("pro", "price_pro_1").putNull("team"))
            .put("stripe", new JsonObject().put("secret_key", "sk_test_1").put("webhook_secret", "whsec_1")))));
    String data = WebPages.billingData(on);
    assertTrue(data.contains("{\"enabled\":true,\"plans\":[\"pro\"]}"), data);
    assertFalse(data.contains("price_pro_1") || data.contains("sk_test_1") || data.contains("whsec_1"), data);
  }

  @Test
  void assets_come_from_the_jar_and_unknown_pages_are_404_problems() {
    Api api = server.api();
    Api.Response script = api.get("/assets/console.js", null);
    assertEquals(200, script.status());
    assertTrue(script.header("Content-Type").startsWith("text/javascript")
        || script.header("Content-Type").startsWith("application/javascript"), script.header("Content-Type"));
    assertTrue(script.header("Content-Security-Policy") != null);
    assertTrue(api.get("/assets/site.css", null).header("Content-Type").startsWith("text/css"));
    for (String path : List.of("/docs/nope", "/docs/..%2Fpom", "/assets/nope.js", "/assets/../docs/quickstart.md",
        "/console/secret")) {
      Api.Response r = api.get(path, null);
      assertEquals(404, r.status(), path);
      assertEquals("not_found", r.json().getString("code"), path);
    }
  }

  @Test
  void the_mcp_metadata_documentation_link_leads_to_the_docs() {
    Api api = server.api();
    String docs = api.get("/.well-known/oauth-protected-resource", null).json().getString("resource_documentation");
    assertTrue(docs.endsWith("/docs"), docs);
    assertEquals(200, api.get("/docs", null).status());
  }
}
