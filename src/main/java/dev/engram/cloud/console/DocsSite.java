package dev.engram.cloud.console;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.commonmark.Extension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.ext.heading.anchor.HeadingAnchorExtension;
import org.commonmark.node.Heading;
import org.commonmark.node.Node;
import org.commonmark.node.Text;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /docs}: the Markdown guides under {@code docs/} (packed into the jar) rendered once at start with
 * commonmark-java, and the API reference rendered from the served OpenAPI document, so it lists exactly the routes
 * the server has.
 */
public final class DocsSite {

  /** The guides in reading order: the name is the file under docs/ without {@code .md}, and the page's path. */
  public static final List<String> GUIDES = List.of("quickstart", "mcp", "search", "project-context", "keys",
      "teams", "import-export", "self-hosting", "deploy", "slo", "mcp-conformance");

  private static final List<Extension> EXTENSIONS = List.of(TablesExtension.create(), HeadingAnchorExtension.create());

  private final Map<String, String> pages = new LinkedHashMap<>();

  private DocsSite() {}

  /** Reads and renders every guide and the reference: blocking (file reads), so call it on a worker. */
  public static DocsSite load(JsonObject openApi) {
    Parser parser = Parser.builder().extensions(EXTENSIONS).build();
    // A code block may scroll sideways, so it takes keyboard focus (tabindex) to be scrollable without a mouse.
    HtmlRenderer renderer = HtmlRenderer.builder().extensions(EXTENSIONS).escapeHtml(true).sanitizeUrls(true)
        .attributeProviderFactory(context -> (node, tagName, attributes) -> {
          if (tagName.equals("pre")) attributes.put("tabindex", "0");
        }).build();
    DocsSite site = new DocsSite();
    Map<String, String> titles = new LinkedHashMap<>();
    Map<String, String> bodies = new LinkedHashMap<>();
    for (String name : GUIDES) {
      Node doc = parser.parse(markdown(name));
      titles.put(name, firstHeading(doc, name));
      bodies.put(name, renderer.render(doc));
    }
    String nav = nav(titles);
    for (String name : GUIDES) {
      site.pages.put(name, Html.page(titles.get(name) + " · Engram Cloud docs", "docs",
          "<div class=\"docs\">" + nav + "<article class=\"guide\">\n" + bodies.get(name) + "</article></div>", null));
    }
    StringBuilder index = new StringBuilder("<h1>Engram Cloud documentation</h1>\n<ul class=\"guides\">\n");
    titles.forEach((name, title) -> index.append("<li><a href=\"/docs/").append(name).append("\">")
        .append(Html.escape(title)).append("</a></li>\n"));
    index.append("<li><a href=\"/docs/api\">API reference</a> (from the <a href=\"/openapi.json\">OpenAPI document</a>)</li>\n</ul>\n");
    site.pages.put("", Html.page("Engram Cloud docs", "docs",
        "<div class=\"docs\">" + nav + "<article class=\"guide\">" + index + "</article></div>", null));
    site.pages.put("api", Html.page("API reference · Engram Cloud docs", "api",
        "<div class=\"docs\">" + nav + "<article class=\"guide\">" + ApiReference.render(openApi) + "</article></div>", null));
    return site;
  }

  /** The page at {@code /docs/<name>} ({@code ""} for the index), or null. */
  public String page(String name) {
    return pages.get(name);
  }

  /** The Markdown source of a guide, as packed into the jar. */
  public static String markdown(String name) {
    try (InputStream in = DocsSite.class.getClassLoader().getResourceAsStream("docs/" + name + ".md")) {
      if (in == null) throw new IllegalStateException("docs/" + name + ".md is not on the classpath");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String nav(Map<String, String> titles) {
    StringBuilder nav = new StringBuilder("<nav class=\"docs-nav\" aria-label=\"Guides\"><ul>\n");
    titles.forEach((name, title) -> nav.append("<li><a href=\"/docs/").append(name).append("\">")
        .append(Html.escape(title)).append("</a></li>\n"));
    return nav.append("<li><a href=\"/docs/api\">API reference</a></li>\n</ul></nav>\n").toString();
  }

  private static String firstHeading(Node doc, String fallback) {
    for (Node n = doc.getFirstChild(); n != null; n = n.getNext()) {
      if (n instanceof Heading h && h.getLevel() == 1) {
        StringBuilder text = new StringBuilder();
        for (Node c = h.getFirstChild(); c != null; c = c.getNext()) {
          if (c instanceof Text t) text.append(t.getLiteral());
          else if (c instanceof org.commonmark.node.Code code) text.append(code.getLiteral());
        }
        return text.toString();
      }
    }
    return fallback;
  }

  /** The reference: every path and method of the document with its summary, scope, parameters, body and answers. */
  static final class ApiReference {

    private static final List<String> METHODS = List.of("get", "post", "put", "patch", "delete");

    private ApiReference() {}

    static String render(JsonObject doc) {
      JsonObject info = doc.getJsonObject("info", new JsonObject());
      StringBuilder out = new StringBuilder("<h1>API reference</h1>\n<p>")
          .append(Html.escape(info.getString("title", ""))).append(" ")
          .append(Html.escape(info.getString("version", ""))).append(". Rendered from the <a href=\"/openapi.json\">"
              + "OpenAPI document</a> this server serves; every route it answers is here.</p>\n");
      JsonObject paths = doc.getJsonObject("paths", new JsonObject());
      out.append("<nav aria-label=\"Operations\"><ul class=\"ops\">\n");
      for (String path : paths.fieldNames()) {
        JsonObject item = paths.getJsonObject(path);
        for (String method : METHODS) {
          JsonObject op = item.getJsonObject(method);
          if (op == null) continue;
          out.append("<li><a href=\"#").append(Html.escape(op.getString("operationId", method + path))).append("\"><code>")
              .append(method.toUpperCase()).append(" ").append(Html.escape(path)).append("</code></a> ")
              .append(Html.escape(op.getString("summary", ""))).append("</li>\n");
        }
      }
      out.append("</ul></nav>\n");
      for (String path : paths.fieldNames()) {
        JsonObject item = paths.getJsonObject(path);
        for (String method : METHODS) {
          JsonObject op = item.getJsonObject(method);
          if (op != null) operation(out, method, path, op, item.getJsonArray("parameters", new JsonArray()), doc);
        }
      }
      return out.toString();
    }

    private static void operation(StringBuilder out, String method, String path, JsonObject op, JsonArray shared,
                                  JsonObject doc) {
      JsonObject components = doc.getJsonObject("components", new JsonObject()).getJsonObject("parameters",
          new JsonObject());
      String id = op.getString("operationId", method + path);
      out.append("<section class=\"op\" id=\"").append(Html.escape(id)).append("\">\n<h2><code>")
          .append(method.toUpperCase()).append(" ").append(Html.escape(path)).append("</code></h2>\n<p><strong>")
          .append(Html.escape(op.getString("summary", ""))).append("</strong></p>\n");
      if (op.containsKey("description")) {
        out.append("<p>").append(Html.escape(op.getString("description"))).append("</p>\n");
      }
      JsonArray security = op.getJsonArray("security", new JsonArray());
      String scope = null;
      for (Object s : security) {
        for (Object scopes : ((JsonObject) s).getMap().values()) {
          if (scopes instanceof List<?> list && !list.isEmpty()) scope = String.valueOf(list.get(0));
          else if (scopes instanceof JsonArray arr && !arr.isEmpty()) scope = arr.getString(0);
        }
      }
      out.append("<p>Credential: ").append(scope == null ? "none" : "API key or access token with scope <code>"
          + Html.escape(scope) + "</code>").append("</p>\n");
      JsonArray params = new JsonArray().addAll(shared).addAll(op.getJsonArray("parameters", new JsonArray()));
      if (!params.isEmpty()) {
        out.append("<table><caption>Parameters</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">In</th>"
            + "<th scope=\"col\">Schema</th><th scope=\"col\">Description</th></tr></thead><tbody>\n");
        for (Object p : params) {
          JsonObject param = (JsonObject) p;
          if (param.containsKey("$ref")) {
            String name = param.getString("$ref").replace("#/components/parameters/", "");
            param = components.getJsonObject(name, new JsonObject().put("name", name));
          }
          out.append("<tr><td><code>").append(Html.escape(param.getString("name", param.getString("$ref", ""))))
              .append("</code>").append(param.getBoolean("required", false) ? " (required)" : "").append("</td><td>")
              .append(Html.escape(param.getString("in", ""))).append("</td><td><code>")
              .append(Html.escape(compact(param.getValue("schema")))).append("</code></td><td>")
              .append(Html.escape(param.getString("description", ""))).append("</td></tr>\n");
        }
        out.append("</tbody></table>\n");
      }
      JsonObject body = op.getJsonObject("requestBody");
      if (body != null) {
        out.append("<h3>Request body</h3>\n");
        JsonObject content = body.getJsonObject("content", new JsonObject());
        for (String type : content.fieldNames()) {
          out.append("<p><code>").append(Html.escape(type)).append("</code>: <code>")
              .append(Html.escape(compact(content.getJsonObject(type).getValue("schema")))).append("</code></p>\n");
        }
      }
      JsonObject responses = op.getJsonObject("responses", new JsonObject());
      out.append("<h3>Responses</h3>\n<ul>\n");
      for (String status : responses.fieldNames()) {
        JsonObject r = responses.getJsonObject(status);
        out.append("<li><code>").append(Html.escape(status)).append("</code> ")
            .append(Html.escape(r.getString("description", r.getString("$ref", "")
                .replace("#/components/responses/", "")))).append("</li>\n");
      }
      out.append("</ul>\n</section>\n");
    }

    /** A schema in one line: a reference by its component's name, anything else as compact JSON. */
    private static String compact(Object schema) {
      if (schema instanceof JsonObject s && s.size() == 1 && s.containsKey("$ref")) {
        return s.getString("$ref").replace("#/components/schemas/", "");
      }
      String json = schema == null ? "" : (schema instanceof JsonObject o ? o.encode() : String.valueOf(schema));
      return json.replace("#/components/schemas/", "");
    }
  }
}
