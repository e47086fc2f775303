package dev.engram.cloud.http;

import dev.engram.cloud.auth.Principal;
import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.api.ImportDocument;
import dev.engram.cloud.api.OperationInput;
import dev.engram.cloud.api.TransferRequests;
import dev.engram.cloud.engine.EngineClient;
import dev.engram.cloud.engine.EngineMessages.ExportPage;
import dev.engram.cloud.engine.EngineMessages.Caps;
import dev.engram.cloud.engine.EngineReplies.ExportBatch;
import dev.engram.cloud.engine.EngineReplies.Memory;
import dev.engram.cloud.sqlite.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Export (streamed page by page) and import of whole tenants or workspaces, in Engram's export format. */
final class TransferRoutes {

  private static final Logger log = LoggerFactory.getLogger(TransferRoutes.class);
  /** Memories per engine call while exporting; bounds what one export holds in memory at a time. */
  static final int EXPORT_PAGE = 200;
  private static final String UPLOAD_FIELD = "file";
  private static final Set<String> FORM_FIELDS = Set.of(UPLOAD_FIELD, "skip_duplicates");

  private final EngineClient engines;
  private final TransferRequests requests;
  private final OperationInput importInput;

  TransferRoutes(EngineClient engines, TransferRequests requests, OperationInput importInput) {
    this.engines = engines;
    this.requests = requests;
    this.importInput = importInput;
  }

  /**
   * Streams {@code {"version":"1.0","exported_at":…,"memories":[…],"memory_count":N}}: each page is written to the
   * chunked response as it arrives, and the next is asked for only once the connection has taken the last one.
   * {@code memory_count} comes last because it is counted while streaming.
   */
  void export(RoutingContext ctx) {
    String workspace = requests.exportWorkspace(RequestInput.of(ctx));
    Principal principal = Authenticator.principal(ctx);
    // The first page is read before any header goes out, so a failure here is still a clean problem response.
    engines.call(principal, new ExportPage(workspace, 0, EXPORT_PAGE))
        .onSuccess(first -> new ExportStream(ctx.response(), principal, workspace).start(first))
        .onFailure(ctx::fail);
  }

  private final class ExportStream {
    private final HttpServerResponse response;
    private final Principal principal;
    private final String workspace;
    private long count;

    ExportStream(HttpServerResponse response, Principal principal, String workspace) {
      this.response = response;
      this.principal = principal;
      this.workspace = workspace;
    }

    void start(ExportBatch firstPage) {
      response.setChunked(true)
          .putHeader("Content-Type", "application/json")
          .putHeader("Content-Disposition", "attachment; filename=\"engram-export.json\"");
      response.write(Buffer.buffer("{\"version\":" + Json.encode(ImportDocument.VERSION)
          + ",\"exported_at\":" + Json.encode(Timestamps.now()) + ",\"memories\":["));
      write(firstPage);
    }

    private void write(ExportBatch page) {
      Buffer chunk = Buffer.buffer();
      for (Memory memory : page.memories()) {
        if (count++ > 0) chunk.appendString(",");
        chunk.appendString(memory.toExportJson().encode());
      }
      Long next = page.nextAfterId();
      if (next == null) {
        response.end(chunk.appendString("],\"memory_count\":" + count + "}"));
        return;
      }
      response.write(chunk);
      if (response.writeQueueFull()) {
        response.drainHandler(v -> {
          // Cleared first: a drain handler left in place would fire again later and fetch a page twice.
          response.drainHandler(null);
          fetch(next);
        });
      } else {
        fetch(next);
      }
    }

    private void fetch(long afterId) {
      if (response.closed()) return;
      engines.call(principal, new ExportPage(workspace, afterId, EXPORT_PAGE))
          .onSuccess(this::write)
          .onFailure(err -> {
            // The status is already sent: cutting the connection is the only way to tell the client it is incomplete.
            log.warn("export of tenant {} failed after {} memories: {}", principal.tenantId(), count, err.toString());
            response.reset();
          });
    }
  }

  /**
   * Imports a whole document, given as the JSON body or as a multipart upload named {@code file}. The document is
   * decoded and checked (openapi.yaml's ImportDocument, then the import parser) on a worker, completely, before
   * anything is written; {@code skip_duplicates} (default true) comes from the query, the document or a form field,
   * at most one of them.
   */
  void importDocument(RoutingContext ctx) {
    JsonObject in = RequestInput.of(ctx);
    Boolean fromQuery = in.getBoolean("skip_duplicates");
    String type = ctx.request().getHeader("Content-Type");
    type = type == null ? null : type.toLowerCase(Locale.ROOT);
    Future<Buffer> raw;
    Boolean fromForm = null;
    if (type != null && type.startsWith("multipart/form-data")) {
      List<FileUpload> files = ctx.fileUploads().stream().filter(f -> UPLOAD_FIELD.equals(f.name())).toList();
      if (files.size() != 1 || files.size() != ctx.fileUploads().size()) {
        throw ApiException.badRequest("invalid_upload",
            "Upload the export document as exactly one multipart file field named '" + UPLOAD_FIELD + "'.");
      }
      MultiMap form = ctx.request().formAttributes();
      for (String name : form.names()) {
        if (!FORM_FIELDS.contains(name)) {
          throw ApiException.badRequest("unknown_field", "Unknown form field '" + name + "'. Allowed: file, "
              + "skip_duplicates.");
        }
      }
      String skip = form.get("skip_duplicates");
      if (skip != null && !skip.equals("true") && !skip.equals("false")) {
        throw ApiException.badRequest("invalid_parameter", "skip_duplicates must be true or false; got '" + skip + "'.");
      }
      if (skip != null) fromForm = Boolean.parseBoolean(skip);
      raw = ctx.vertx().fileSystem().readFile(files.get(0).uploadedFileName());
    } else { // JSON: the route refused any other media type before reading the body
      raw = Future.succeededFuture(ctx.body().buffer());
    }
    Boolean form = fromForm;
    Principal principal = Authenticator.principal(ctx);
    Caps caps = MemoryRoutes.caps(ctx);
    // Decoding and checking a large document is CPU work: off the event loop.
    raw.compose(buffer -> ctx.vertx().executeBlocking(() -> {
          JsonObject document = importInput.withBody(new JsonObject(), OperationInput.decode(buffer));
          return requests.importDocument(document, "", fromQuery, form, caps);
        }, false))
        .compose(command -> engines.call(principal, command))
        .onSuccess(result -> {
          Authenticator.countCreated(ctx, result.imported());
          ctx.response().putHeader("Content-Type", "application/json").end(result.toJson().encode());
        })
        .onFailure(ctx::fail);
  }
}
