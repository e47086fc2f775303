package dev.engram.cloud.console;

/** The shared frame of every server-rendered page: escaping, the head, the header and the footer. */
final class Html {

  private Html() {}

  static String escape(String text) {
    if (text == null) return "";
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * A whole page. {@code script} is the path of the one module the page loads (null for none): no inline script or
   * style anywhere, so the Content-Security-Policy can forbid both.
   */
  static String page(String title, String section, String main, String script) {
    return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>%s</title>
        <link rel="stylesheet" href="/assets/site.css">
        <link rel="icon" href="data:,">
        %s</head>
        <body>
        <header class="top"><nav aria-label="Site">
        <a class="brand" href="/">Engram Cloud</a>
        <a href="/docs"%s>Docs</a>
        <a href="/docs/api"%s>API</a>
        <a href="/console"%s>Console</a>
        </nav></header>
        <main id="main">
        %s
        </main>
        <footer class="foot"><p>Engram Cloud · <a href="/openapi.json">OpenAPI document</a> ·
        <a href="/docs/quickstart">Quickstart</a></p></footer>
        </body>
        </html>
        """.formatted(escape(title),
        script == null ? "" : "<script type=\"module\" src=\"" + escape(script) + "\"></script>\n",
        current(section, "docs"), current(section, "api"), current(section, "console"), main);
  }

  private static String current(String section, String link) {
    return link.equals(section) ? " aria-current=\"page\"" : "";
  }
}
