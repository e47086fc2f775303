package dev.engram.cloud.console;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Response;
import com.microsoft.playwright.Route;
import com.microsoft.playwright.options.AriaRole;
import dev.engram.cloud.config.ConfigLoader;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.Browsers;
import dev.engram.cloud.testing.Eventually;
import dev.engram.cloud.testing.FakeStripe;
import dev.engram.cloud.testing.RunningServer;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The landing page, the console and the docs in a real browser (Chromium through Playwright), the way a new user
 * meets them: sign up on {@code /}, land in the console with the first key, see a memory made through the API,
 * search it, watch the usage chart count the calls, create and revoke a key. Every page is screenshot to
 * {@code target/screenshots/}, checked by axe-core for serious or critical accessibility violations, and must log
 * no error to the browser's console (a Content-Security-Policy violation is one).
 */
@Timeout(180)
class ConsoleBrowserTest {

  /** New tenants are on the free plan; here it admits 10 members (as the team plan does), so that owners invite. */
  @RegisterExtension
  static final RunningServer server = RunningServer.with(ConfigLoader.deepMerge(TestServer.withoutRateLimits(),
      new JsonObject().put("plans", new JsonObject().put("free", new JsonObject().put("members", 10)))));

  private String base() {
    return "http://127.0.0.1:" + server.get().config().port();
  }

  @Test
  void a_new_user_signs_up_and_works_in_the_console() {
    Api api = server.api();
    try (BrowserContext context = Browsers.context(base())) {
      Page page = context.newPage();
      List<String> errors = consoleErrors(page);

      // The landing page shows every configured plan with its caps.
      page.navigate("/");
      EngramConfig defaults = EngramConfig.fromJson(ConfigLoader.defaults());
      for (EngramConfig.Plan plan : defaults.quota().plans().values()) {
        Locator card = page.locator("[data-plan=\"" + plan.name() + "\"]");
        assertThat(card).containsText(LandingPage.count(plan.memories()));
        assertThat(card).containsText(LandingPage.bytes(plan.storageBytes()));
      }
      // The snippet names the server's public URL (mcp.public_url, else localhost and its port).
      assertThat(page.locator("pre code").first()).containsText("http://localhost:" + server.get().config().port()
          + "/mcp");
      check(page, "landing");

      // Sign up: the console opens with the first key, shown once.
      String email = "ada-" + UUID.randomUUID() + "@example.com";
      page.getByLabel("Email").fill(email);
      page.getByLabel("Password").fill("correct horse battery");
      page.getByLabel("Organization name").fill("Ada Labs");
      page.getByRole(AriaRole.BUTTON,
          new Page.GetByRoleOptions().setName("Create my account")).click();
      page.waitForURL("**/console#/overview");
      Locator firstKey = page.locator("#first-key");
      assertThat(firstKey).hasText(java.util.regex.Pattern.compile("^ek_live_\\w+$"));
      String key = firstKey.textContent();
      assertEquals(200, api.get("/v1/memories", key).status(), "the key the console showed works");

      // A memory created through the API appears in the browser.
      api.createMemory(key, new JsonObject().put("content", "The deploy runs on Fridays from the blue pipeline")
          .put("tags", new JsonArray().add("ops")).put("workspace", "infra"));
      check(page, "console-overview-first-key");
      page.locator("nav.side a", new Page.LocatorOptions().setHasText("Memories")).click();
      Locator item = page.locator("#memory-list li.memory").first();
      assertThat(item).containsText("The deploy runs on Fridays");
      assertThat(page.locator("#mem-workspace")).containsText("infra (1)");
      check(page, "console-memories");

      // Search finds it, and explains the score.
      page.locator("#search-query").fill("deploy fridays");
      page.locator("#search-strategy").selectOption("keyword");
      page.locator("#search-explain").check();
      page.getByRole(AriaRole.BUTTON,
          new Page.GetByRoleOptions().setName("Search").setExact(true)).click();
      assertThat(page.locator("#list-title")).containsText("1 found (keyword)");
      assertThat(page.locator("#memory-list li.memory details.explain")).hasCount(1);
      check(page, "console-search");

      // Open it, edit it: the old text becomes a version.
      page.locator("#memory-list li.memory a.content-link").first().click();
      page.locator("#edit-content").fill("The deploy runs on Thursdays from the blue pipeline");
      page.getByRole(AriaRole.BUTTON,
          new Page.GetByRoleOptions().setName("Save")).click();
      assertThat(page.locator("p.saved")).containsText("version 2");
      assertThat(page.locator("#versions")).containsText("Fridays");
      check(page, "console-memory");

      // The usage chart counts the calls made so far (the key's and the console's own).
      Eventually.until(Duration.ofSeconds(20), "the API-calls chart counts the calls", () -> {
        page.locator("nav.side a", new Page.LocatorOptions().setHasText("Overview")).click();
        Locator calls = page.locator("svg[data-series=api_calls]");
        calls.waitFor();
        return Long.parseLong(calls.getAttribute("data-total")) >= 3;
      });
      assertThat(page.locator("svg[data-series=memories_created]")).hasAttribute("data-total", "1");
      assertThat(page.locator("svg[data-series=searches]")).hasAttribute("data-total", "1");
      page.getByRole(AriaRole.BUTTON,
          new Page.GetByRoleOptions().setName("90 days")).click();
      assertThat(page.locator("svg[data-series=api_calls]")).hasAttribute("aria-label",
          java.util.regex.Pattern.compile("in the last 90 days"));
      check(page, "console-overview");

      // Create a read-only key restricted to one workspace, then revoke it.
      page.locator("nav.side a", new Page.LocatorOptions().setHasText("API keys")).click();
      page.locator("#key-name").fill("docs agent");
      page.locator("#scope-memories-write").uncheck();
      page.locator("#key-workspaces").fill("infra");
      page.getByRole(AriaRole.BUTTON,
          new Page.GetByRoleOptions().setName("Create key")).click();
      Locator secret = page.locator("#new-key-secret");
      assertThat(secret).hasText(java.util.regex.Pattern.compile("^ek_live_\\w+$"));
      String agentKey = secret.textContent();
      assertEquals(200, api.get("/v1/memories?workspace=infra", agentKey).status());
      assertEquals(403, api.post("/v1/memories", agentKey, new JsonObject().put("content", "x")
          .put("workspace", "infra")).status(), "the key is read-only");
      Locator row = page.locator("tr", new Page.LocatorOptions().setHasText("docs agent"));
      assertThat(row).containsText("infra");
      check(page, "console-keys");
      row.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Revoke docs agent")).click();
      assertThat(row).containsText("revoked");
      Eventually.until(Duration.ofSeconds(10), "the revoked key is refused",
          () -> api.get("/v1/memories", agentKey).status() == 401);

      // Connect: the endpoint is filled in.
      page.locator("nav.side a", new Page.LocatorOptions().setHasText("Connect")).click();
      assertThat(page.locator("#mcp-endpoint")).hasText(base() + "/mcp");
      check(page, "console-connect");

      // A reload signs out (the token lived in the page's memory); signing in brings the console back.
      page.reload();
      assertThat(page.locator("h1")).hasText("Sign in to the console");
      check(page, "console-sign-in");
      page.locator("#signin-email").fill(email);
      page.locator("#signin-password").fill("correct horse battery");
      page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
      assertThat(page.locator("#mcp-endpoint")).hasText(base() + "/mcp");
      assertTrue(errors.isEmpty(), "the browser logged errors: " + errors);
    }
  }

  @Test
  void the_docs_render_every_guide_and_every_route_of_the_contract() {
    try (BrowserContext context = Browsers.context(base())) {
      Page page = context.newPage();
      List<String> errors = consoleErrors(page);
      page.navigate("/docs");
      for (String guide : DocsSite.GUIDES) {
        assertThat(page.locator(".docs-nav a[href=\"/docs/" + guide + "\"]")).hasCount(1);
      }
      check(page, "docs");
      for (String guide : DocsSite.GUIDES) {
        Response r = page.navigate("/docs/" + guide);
        assertEquals(200, r.status(), guide);
        assertThat(page.locator("article.guide h1")).hasCount(1);
        check(page, "docs-" + guide);
      }
      page.navigate("/docs/api");
      JsonObject paths = server.api().get("/openapi.json", null).json().getJsonObject("paths");
      List<String> expected = new ArrayList<>();
      for (String path : paths.fieldNames()) {
        for (String method : List.of("get", "post", "put", "patch", "delete")) {
          JsonObject op = paths.getJsonObject(path).getJsonObject(method);
          if (op != null) expected.add(op.getString("operationId") + " " + method.toUpperCase() + " " + path);
        }
      }
      // One round trip for the whole page: each operation's section, by id, with its method and path.
      Object shown = page.locator("section.op").evaluateAll(
          "sections => sections.map(s => s.id + ' ' + s.querySelector('h2').textContent)");
      assertEquals(expected.stream().sorted().toList(),
          ((List<?>) shown).stream().map(String::valueOf).sorted().toList());
      check(page, "docs-api");
      assertTrue(errors.isEmpty(), "the browser logged errors: " + errors);
    }
  }

  /**
   * The owner invites a viewer from the Members page; the invitee joins from the console's sign-in page in a second
   * browser context and is offered only what a viewer may do; promoted to member, they may write. The owner's audit
   * log shows the invite; the plan's caps are drawn against use; finally the owner deletes the tenant, typing its
   * slug, and its key stops working.
   */
  @Test
  void an_invited_member_sees_what_their_role_allows() {
    Api api = server.api();
    Api.Account owner = api.signup();
    api.createMemory(owner.apiKey(), new JsonObject().put("content", "Release checklist lives in the wiki"));
    String inviteeEmail = "bob-" + UUID.randomUUID() + "@example.com";
    try (BrowserContext ownerContext = Browsers.context(base()); BrowserContext memberContext = Browsers.context(base())) {
      Page page = ownerContext.newPage();
      List<String> errors = consoleErrors(page);
      signIn(page, owner.email(), owner.password());
      assertThat(page.locator("meter[data-cap=memories]")).hasAttribute("value", "1");
      assertThat(page.locator("#caps")).containsText("Members 1 of 10");
      check(page, "console-overview-caps");

      page.locator("nav.side a", new Page.LocatorOptions().setHasText("Members")).click();
      page.locator("#invite-new-email").fill(inviteeEmail);
      page.locator("#invite-new-role").selectOption("viewer");
      page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Invite").setExact(true)).click();
      Locator token = page.locator("#invite-token-value");
      assertThat(token).hasText(java.util.regex.Pattern.compile("^eki_"));
      assertThat(page.locator("tr[data-invite=\"" + inviteeEmail + "\"]")).containsText("pending");
      check(page, "console-members");

      // The invitee joins in a browser of their own and is offered a viewer's pages only.
      Page member = memberContext.newPage();
      List<String> memberErrors = consoleErrors(member);
      member.navigate("/console");
      member.getByText("I have an invite").click();
      member.locator("#invite-token").fill(token.textContent());
      member.locator("#invite-email").fill(inviteeEmail);
      member.locator("#invite-password").fill("another horse battery");
      member.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Join")).click();
      assertThat(member.locator("nav.side")).containsText("viewer of");
      assertThat(member.locator("nav.side a")).hasText(new String[] {"Overview", "Memories", "Connect"});
      assertThat(member.locator(".content")).containsText("Usage over time is shown to admins");
      member.locator("nav.side a", new Page.LocatorOptions().setHasText("Memories")).click();
      assertThat(member.locator("#memory-list li.memory")).containsText(new String[] {"Release checklist"});
      assertThat(member.locator("#import-file")).hasCount(0);
      assertThat(member.getByText("New memory")).hasCount(0);
      check(member, "console-viewer-memories");
      member.locator("#memory-list li.memory a.content-link").first().click();
      assertThat(member.locator("pre.content-view")).hasText("Release checklist lives in the wiki");
      assertThat(member.locator("#edit-content")).hasCount(0);

      // The owner makes them a member; signed in again, they may write.
      page.locator("nav.side a", new Page.LocatorOptions().setHasText("Members")).click();
      page.getByLabel("Role of " + inviteeEmail).selectOption("member");
      assertThat(page.getByLabel("Role of " + inviteeEmail)).hasValue("member");
      member.reload();
      member.locator("#signin-email").fill(inviteeEmail);
      member.locator("#signin-password").fill("another horse battery");
      member.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
      assertThat(member.locator("nav.side")).containsText("member of");
      member.locator("nav.side a", new Page.LocatorOptions().setHasText("Memories")).click();
      assertThat(member.getByText("New memory")).hasCount(1);
      assertTrue(memberErrors.isEmpty(), "the member's browser logged errors: " + memberErrors);

      // The audit log shows the invite and the role change, filtered by action.
      page.locator("nav.side a", new Page.LocatorOptions().setHasText("Audit log")).click();
      assertThat(page.locator("#audit-rows")).containsText("invite.accepted");
      page.locator("#audit-action").fill("member.role_changed");
      page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Filter")).click();
      assertThat(page.locator("#audit-rows tr")).hasCount(1);
      check(page, "console-audit");

      // Billing is off on the test server: the page says who sets plans. Backups: the list (a row per snapshot, or a
      // row saying there is none yet, depending on whether one was taken by now) and who restores.
      page.locator("nav.side a", new Page.LocatorOptions().setHasText("Billing")).click();
      assertThat(page.locator("#billing-off")).containsText("plans are set by its operator");
      check(page, "console-billing-off");
      page.locator("nav.side a", new Page.LocatorOptions().setHasText("Backups")).click();
      assertThat(page.locator("#backup-rows tr").first()).isVisible();
      assertThat(page.locator("#backups-note")).containsText("Restores are done by the server’s operator");
      check(page, "console-backups");

      // Settings: deleting the tenant takes its slug typed again; then its key is refused.
      page.locator("nav.side a", new Page.LocatorOptions().setHasText("Settings")).click();
      Locator delete = page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Delete this tenant"));
      assertThat(delete).isDisabled();
      check(page, "console-settings");
      String slug = page.locator("#tenant-slug").inputValue();
      page.locator("#delete-confirm").fill(slug);
      delete.click();
      page.waitForURL(base() + "/");
      assertEquals(401, api.get("/v1/memories", owner.apiKey()).status(), "the deleted tenant's key is refused");
      assertTrue(errors.isEmpty(), "the owner's browser logged errors: " + errors);
    }
  }

  /**
   * With billing on (the real stripe-java client against {@link FakeStripe}), the owner's billing page shows the plan,
   * no subscription yet and this month's use against the caps, and Upgrade sends the browser to Stripe Checkout.
   */
  @Test
  void with_billing_on_the_owner_upgrades_through_stripe_checkout() {
    try (FakeStripe stripe = FakeStripe.start(); TestServer billed = TestServer.start(stripe.config())) {
      Api.Account owner = billed.api().signup();
      try (BrowserContext context = Browsers.context("http://127.0.0.1:" + billed.config().port())) {
        // Stripe's hosted page is not reachable from here: the browser gets a stand-in where it would land.
        context.route("https://checkout.stripe.test/**", route -> route.fulfill(new Route.FulfillOptions()
            .setStatus(200).setContentType("text/html").setBody("<title>Checkout</title><p>Stripe Checkout</p>")));
        Page page = context.newPage();
        List<String> errors = consoleErrors(page);
        signIn(page, owner.email(), owner.password());
        page.locator("nav.side a", new Page.LocatorOptions().setHasText("Billing")).click();
        assertThat(page.locator("#billing-plan")).hasText("free");
        assertThat(page.locator("#billing-status")).containsText("none");
        assertThat(page.locator("#billing-usage tr")).hasCount(2);
        assertThat(page.locator("#upgrade-plan option")).hasText(new String[] {"pro", "team"});
        check(page, "console-billing");
        assertTrue(errors.isEmpty(), "the owner's browser logged errors: " + errors);
        page.locator("#upgrade-plan").selectOption("pro");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Upgrade")).click();
        page.waitForURL("https://checkout.stripe.test/**");
      }
    }
  }

  private static void signIn(Page page, String email, String password) {
    page.navigate("/console");
    page.locator("#signin-email").fill(email);
    page.locator("#signin-password").fill(password);
    page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
    assertThat(page.locator("nav.side")).isVisible();
  }

  /**
   * What the console's first load transfers (its page, script and style sheet, as the browser counts them) stays
   * under the 250 KB budget. Then a thousand memories come in through the console's import, page by page browsing
   * and the export work at that size, and with ten members every page is visited; the slowest request is printed
   * for the record (timings are measured, not asserted: the machine is shared).
   */
  @Test
  void the_console_loads_light_and_handles_a_thousand_memories() {
    Api.Account account = server.api().signup();
    try (BrowserContext context = Browsers.context(base())) {
      Page page = context.newPage();
      List<String> errors = consoleErrors(page);
      List<long[]> first = new ArrayList<>();
      page.onRequestFinished(request -> first.add(new long[] {
          request.sizes().responseBodySize + request.sizes().responseHeadersSize}));
      page.navigate("/console");
      assertThat(page.locator("h1")).hasText("Sign in to the console");
      long bytes = first.stream().mapToLong(s -> s[0]).sum();
      System.out.printf("console first load: %d requests, %d bytes%n", first.size(), bytes);
      assertEquals(3, first.size(), "the page, its script and its style sheet");
      assertTrue(bytes < 250 * 1024, "first load transferred " + bytes + " bytes");

      List<String> slow = new java.util.concurrent.CopyOnWriteArrayList<>();
      double[] slowest = {0};
      page.onRequestFinished(request -> {
        double ms = request.timing().responseEnd;
        if (ms > slowest[0]) slowest[0] = ms;
        if (ms > 200) slow.add(request.method() + " " + request.url() + " " + Math.round(ms) + " ms");
      });
      page.locator("#signin-email").fill(account.email());
      page.locator("#signin-password").fill(account.password());
      page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in")).click();
      assertThat(page.locator("svg[data-series=api_calls]")).isVisible();

      // Import a thousand memories through the console (five workspaces, seven tags).
      JsonArray items = new JsonArray();
      for (int i = 0; i < 1000; i++) {
        items.add(new JsonObject().put("content", "Note " + i + " about service " + (i % 37) + " and its deploy")
            .put("workspace", "ws-" + (i % 5)).put("tags", new JsonArray().add("tag-" + (i % 7))));
      }
      page.locator("nav.side a", new Page.LocatorOptions().setHasText("Memories")).click();
      page.locator("#import-file").setInputFiles(new com.microsoft.playwright.options.FilePayload("notes.json",
          "application/json", new JsonObject().put("version", "1.0").put("memories", items).encode()
              .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      assertThat(page.locator("#import-status")).hasText("Imported 1000, skipped 0, failed 0.",
          new com.microsoft.playwright.assertions.LocatorAssertions.HasTextOptions().setTimeout(60_000));
      assertThat(page.locator("#memory-list li.memory")).hasCount(50);
      page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Load more")).click();
      assertThat(page.locator("#memory-list li.memory")).hasCount(100);
      page.locator("#mem-workspace").selectOption("ws-3");
      page.locator("#mem-tag").selectOption("tag-3");
      assertThat(page.locator("#memory-list li.memory")).hasCount(29); // i = 3 (mod 35)
      check(page, "console-memories-1000");

      com.microsoft.playwright.Download download = page.waitForDownload(() ->
          page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Export")).click());
      JsonObject exported = new JsonObject(readAll(download.path()));
      assertEquals(1000, exported.getJsonArray("memories").size());

      // Nine more members (invited and accepted through the API): ten in all.
      for (int i = 0; i < 9; i++) {
        String email = "member-" + i + "-" + UUID.randomUUID() + "@example.com";
        Api.Response invite = server.api().post("/v1/invites", account.apiKey(),
            new JsonObject().put("email", email).put("role", i % 2 == 0 ? "member" : "viewer"));
        assertEquals(201, invite.status(), invite.body());
        Api.Response accepted = server.api().post("/v1/invites/accept", null, new JsonObject()
            .put("token", invite.json().getString("token")).put("email", email).put("password", "a long passphrase"));
        assertEquals(200, accepted.status(), accepted.body());
      }

      slowest[0] = 0;
      slow.clear();
      for (String p : List.of("Overview", "API keys", "Members", "Audit log", "Billing", "Backups", "Settings", "Connect",
          "Memories")) {
        page.locator("nav.side a", new Page.LocatorOptions().setHasText(p)).click();
        page.waitForLoadState(com.microsoft.playwright.options.LoadState.NETWORKIDLE);
      }
      page.locator("#memory-list li.memory a.content-link").first().click();
      assertThat(page.locator("#versions")).isVisible();
      page.locator("nav.side a", new Page.LocatorOptions().setHasText("Members")).click();
      assertThat(page.locator("#member-rows tr")).hasCount(10);
      check(page, "console-members-10");
      System.out.printf("console pages with 1000 memories and 10 members: slowest request %.0f ms%s%n", slowest[0],
          slow.isEmpty() ? "" : ", over 200 ms: " + slow);
      assertTrue(errors.isEmpty(), "the browser logged errors: " + errors);
    }
  }

  private static String readAll(java.nio.file.Path file) {
    try {
      return java.nio.file.Files.readString(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A screenshot, then axe-core: no serious or critical violation; and no stray "null" or "undefined" line. */
  private static void check(Page page, String name) {
    page.waitForLoadState();
    Browsers.screenshot(page, name);
    String text = page.locator("main").innerText();
    assertFalse(java.util.regex.Pattern.compile("(?m)^\\s*(null|undefined)\\s*$").matcher(text).find(),
        name + " shows a bare null or undefined:\n" + text);
    List<String> violations = Browsers.seriousViolations(page);
    assertTrue(violations.isEmpty(), name + ": " + String.join("\n", violations));
  }

  private static List<String> consoleErrors(Page page) {
    List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    page.onConsoleMessage(m -> {
      if ("error".equals(m.type())) errors.add(m.text());
    });
    page.onPageError(errors::add);
    return errors;
  }
}
