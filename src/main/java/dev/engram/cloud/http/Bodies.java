package dev.engram.cloud.http;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.Locale;
import java.util.Set;

/**
 * When and how request bodies are read. A body stays unread (the request is paused, so the socket is not read
 * either) until its route has checked the media type, authenticated the caller and admitted the request from the
 * headers; a request refused before then never has its body buffered (see {@link #hold}). Once reading starts, the
 * body must keep up a minimum average rate or the request fails with 408.
 */
final class Bodies {

  /** The most of a refused body read (and thrown away) to keep its connection, and for how long at most. */
  static final long DISCARD_BYTES = 2L << 20;
  static final long DISCARD_MILLIS = 2000;
  private static final String READING = "body.reading";
  private static final Set<HttpMethod> BODY_METHODS = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH);
  private static final String JSON = "application/json";
  private static final String MULTIPART = "multipart/form-data";

  private final long minBytesPerSecond;
  private final long graceNanos;

  Bodies(EngramConfig.Http config) {
    this.minBytesPerSecond = config.bodyMinBytesPerSecond();
    this.graceNanos = config.bodyGraceSeconds() * 1_000_000_000L;
  }

  /**
   * First handler of every request: a request that declares a body is paused until a {@link #read} handler takes
   * it. If it is answered before that (refused from its headers), its body is never buffered: a small one (up to
   * {@link #DISCARD_BYTES}, within {@link #DISCARD_MILLIS}) is read and thrown away, so that a client which reads the
   * answer only once it has sent everything still gets it and keeps its connection; a larger one, or one of unknown
   * length, is not read at all and the connection is closed (HTTP/2: the stream is reset without error,
   * RFC 9113 §8.1). A body that was being read when the answer went out (it failed) closes the connection too.
   */
  static void hold(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (declaresBody(request) && !request.isEnded()) {
      request.pause();
      // On the response's end (the context's end handlers also run on a request error, before the answer is written).
      ctx.addBodyEndHandler(done -> {
        if (request.isEnded()) return;
        if (ctx.get(READING) == null && contentLength(request) >= 0
            && contentLength(request) - request.bytesRead() <= DISCARD_BYTES) {
          discard(ctx);
        } else {
          abandon(request);
        }
      });
    }
    ctx.next();
  }

  /** Reads the rest of an unread small body into nothing; abandons it if it has not ended in time. */
  private static void discard(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    long timer = ctx.vertx().setTimer(DISCARD_MILLIS, id -> {
      if (!request.isEnded()) abandon(request);
    });
    request.handler(chunk -> { }).endHandler(v -> ctx.vertx().cancelTimer(timer)).resume();
  }

  /** Stops the upload of an answered request: its connection closed, or (HTTP/2) its stream reset without error. */
  private static void abandon(HttpServerRequest request) {
    if (request.version() == HttpVersion.HTTP_2) {
      request.response().reset(0);
    } else {
      request.connection().close();
    }
  }

  /** Reads a JSON body of at most {@code limit} bytes into memory. */
  Handler<RoutingContext> read(long limit) {
    return read(limit, BodyHandler.create(false).setBodyLimit(limit));
  }

  /** Reads a body of at most {@code limit} bytes; multipart file uploads are spooled to {@code uploadsDir}. */
  Handler<RoutingContext> readWithUploads(long limit, String uploadsDir) {
    return read(limit, BodyHandler.create(uploadsDir).setBodyLimit(limit).setMergeFormAttributes(false)
        .setDeleteUploadedFilesOnEnd(true));
  }

  /**
   * A body declared larger than {@code limit} is 413 without being read; otherwise {@code reader} reads it, and
   * the request fails with 408 if it arrives too slowly.
   */
  private Handler<RoutingContext> read(long limit, BodyHandler reader) {
    return ctx -> {
      HttpServerRequest request = ctx.request();
      if (!declaresBody(request)) {
        ctx.next();
        return;
      }
      if (contentLength(request) > limit) {
        ctx.fail(413);
        return;
      }
      ctx.put(READING, true);
      watch(ctx);
      reader.handle(ctx);
    };
  }

  /**
   * Once a second while the body is read: after the grace period the bytes received must average
   * {@code minBytesPerSecond} over the time past it, so a stalled or trickling body gives up its connection and
   * buffer within seconds, while a slow but steady upload of the largest allowed body still completes.
   */
  private void watch(RoutingContext ctx) {
    if (minBytesPerSecond == 0) return;
    HttpServerRequest request = ctx.request();
    long start = System.nanoTime();
    long timer = ctx.vertx().setPeriodic(1000, id -> {
      if (request.isEnded() || ctx.response().ended() || ctx.failed()) {
        ctx.vertx().cancelTimer(id);
        return;
      }
      long past = System.nanoTime() - start - graceNanos;
      if (past > 0 && request.bytesRead() < minBytesPerSecond * past / 1_000_000_000L) {
        ctx.vertx().cancelTimer(id);
        ctx.fail(new ApiException(408, "body_timeout", "The request body arrived slower than " + minBytesPerSecond
            + " bytes a second; send it faster or in smaller parts."));
      }
    });
    ctx.addEndHandler(done -> ctx.vertx().cancelTimer(timer));
  }

  /** 415 unless a declared body is JSON: checked from the header, before any of the body is read. */
  static void requireJson(RoutingContext ctx) {
    requireType(ctx, false);
  }

  /** As {@link #requireJson}, or a multipart upload (import). */
  static void requireJsonOrMultipart(RoutingContext ctx) {
    requireType(ctx, true);
  }

  private static void requireType(RoutingContext ctx, boolean multipart) {
    HttpServerRequest request = ctx.request();
    String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
    if (declaresBody(request) && !isLength(request, 0) && type != null) {
      String mediaType = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
      if (!mediaType.equals(JSON) && !(multipart && mediaType.equals(MULTIPART))) {
        ctx.fail(new ApiException(415, "unsupported_media_type", multipart
            ? "Send the document as application/json or as a multipart/form-data upload named 'file'."
            : "Send the body as application/json."));
        return;
      }
    }
    ctx.next();
  }

  /** A body of more than {@code limit} bytes, or of unknown length, is coming. */
  static boolean larger(HttpServerRequest request, long limit) {
    long length = contentLength(request);
    return declaresBody(request) && (length < 0 || length > limit);
  }

  /**
   * A body is coming: a Content-Length or a Transfer-Encoding says so (HTTP/1), or, over HTTP/2 where the length may
   * go unstated, a method that carries one. A request that declares none is not paused and its route reads nothing.
   */
  static boolean declaresBody(HttpServerRequest request) {
    return contentLength(request) >= 0 || request.headers().contains(HttpHeaders.TRANSFER_ENCODING)
        || (request.version() == HttpVersion.HTTP_2 && BODY_METHODS.contains(request.method()));
  }

  private static boolean isLength(HttpServerRequest request, long length) {
    return contentLength(request) == length;
  }

  private static long contentLength(HttpServerRequest request) {
    String value = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (value == null) return -1;
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
