package dev.engram.cloud.console;

import dev.engram.cloud.config.EngramConfig.Plan;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * {@code /}: what the service does, the plans and their caps (from the configured plan table, the one the quota
 * verticle enforces), how to connect an MCP client, and the sign-up form (handled by the console's script, which
 * calls {@code POST /v1/signup} like any client and ends in the console with the first key).
 */
final class LandingPage {

  private LandingPage() {}

  static String render(Collection<Plan> plans, String baseUrl, String plansData) {
    StringBuilder cards = new StringBuilder();
    // Smallest first: by the memories cap, unlimited last.
    List<Plan> ordered = plans.stream().sorted(Comparator.comparing(Plan::memories,
        Comparator.nullsLast(Comparator.naturalOrder()))).toList();
    for (Plan plan : ordered) {
      cards.append("<article class=\"plan\" data-plan=\"").append(Html.escape(plan.name())).append("\">\n<h3>")
          .append(Html.escape(title(plan.name()))).append("</h3>\n<dl>\n")
          .append(cap("Memories", count(plan.memories())))
          .append(cap("Searches a month", count(plan.searchesPerMonth())))
          .append(cap("API calls a month", count(plan.apiCallsPerMonth())))
          .append(cap("Storage", bytes(plan.storageBytes())))
          .append(cap("Members", count(plan.members())))
          .append("</dl>\n</article>\n");
    }
    String mcp = Html.escape(baseUrl + "/mcp");
    String main = """
        <section class="hero">
        <h1>Memory for your AI agents</h1>
        <p class="lead">Engram Cloud stores the notes, decisions and facts your agents learn, and finds them again with
        keyword, semantic and hybrid search. Agents reach it over MCP (Streamable HTTP); programs use the REST API.
        Each tenant's memories live in a database of their own.</p>
        <p><a class="button" href="#signup">Sign up free</a> <a class="button secondary" href="/docs/quickstart">Read the quickstart</a></p>
        </section>
        <section aria-labelledby="plans-title">
        <h2 id="plans-title">Plans</h2>
        <div class="plans">
        %s</div>
        </section>
        <section aria-labelledby="connect-title">
        <h2 id="connect-title">Connect an MCP client</h2>
        <p>With the API key you get at sign-up, for example in Claude Code:</p>
        <pre tabindex="0"><code>claude mcp add --transport http engram %s --header "Authorization: Bearer $ENGRAM_API_KEY"</code></pre>
        <p>The console's <em>Connect</em> page has the configuration for Cursor, VS Code and the SDKs, with your
        endpoint filled in.</p>
        </section>
        <section aria-labelledby="signup-title" id="signup">
        <h2 id="signup-title">Sign up</h2>
        <form id="signup-form" class="stack" method="post" action="/console">
        <label for="signup-email">Email</label>
        <input id="signup-email" name="email" type="email" autocomplete="email" required>
        <label for="signup-password">Password <small>(at least 8 characters)</small></label>
        <input id="signup-password" name="password" type="password" autocomplete="new-password" minlength="8" required>
        <label for="signup-tenant">Organization name</label>
        <input id="signup-tenant" name="tenant_name" type="text" autocomplete="organization" required maxlength="100">
        <button type="submit">Create my account</button>
        <p class="error" role="alert" id="signup-error" hidden></p>
        </form>
        <p>Already have an account? <a href="/console">Sign in to the console</a>.</p>
        </section>
        %s""".formatted(cards, mcp, plansData);
    return Html.page("Engram Cloud: memory for AI agents", "home", main, "/assets/console.js");
  }

  private static String cap(String label, String value) {
    return "<dt>" + label + "</dt><dd>" + Html.escape(value) + "</dd>\n";
  }

  static String title(String name) {
    return name.isEmpty() ? name : name.substring(0, 1).toUpperCase(Locale.ROOT) + name.substring(1);
  }

  static String count(Long n) {
    return n == null ? "Unlimited" : String.format(Locale.ROOT, "%,d", n);
  }

  static String bytes(Long n) {
    if (n == null) return "Unlimited";
    String[] units = {"B", "KB", "MB", "GB", "TB"};
    double v = n;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return (v == Math.floor(v) ? String.format(Locale.ROOT, "%d", (long) v) : String.format(Locale.ROOT, "%.1f", v))
        + " " + units[u];
  }
}
