package dev.engram.cloud.console;

/**
 * {@code /console}: the shell the console's script fills. The script signs in with {@code POST /v1/auth/token} and
 * keeps the access token in memory only (never a cookie, never storage), so no request carries a credential the
 * page did not put there itself: a cross-site form cannot act as the user (no CSRF), and a reload signs out.
 */
final class ConsolePage {

  private ConsolePage() {}

  static String render(boolean externalIssuer, String plansData) {
    String external = externalIssuer ? """
        <p class="note">This server also accepts tokens of an external issuer; the console signs in with built-in
        accounts only (an authorization-code flow with PKCE against the issuer's endpoints is not built yet).</p>
        """ : "";
    String main = """
        <div id="app">
        <noscript><p>The console needs JavaScript. Everything it does is also in the <a href="/docs/api">API</a>.</p></noscript>
        </div>
        %s%s""".formatted(external, plansData);
    return Html.page("Console · Engram Cloud", "console", main, "/assets/console.js");
  }
}
