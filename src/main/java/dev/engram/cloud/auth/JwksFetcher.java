package dev.engram.cloud.auth;

import dev.engram.cloud.config.EngramConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Downloads the external issuer's JWKS within two bounds, whatever the endpoint does: at most
 * {@code jwks_max_bytes} (a larger declared {@code Content-Length} is refused on the headers, and the body is
 * counted as it streams), and at most {@code jwks_timeout_ms} from the start of the request to the last byte. A
 * fetch cut short resets its request, which closes the connection, so a slow or endless body does not keep
 * downloading (or keep a connection open) after the caller has given up.
 */
final class JwksFetcher {

  private final Vertx vertx;
  private final String url;
  private final int maxBytes;
  private final long timeoutMs;
  private final HttpClientAgent http;

  JwksFetcher(Vertx vertx, EngramConfig.External config) {
    this.vertx = vertx;
    this.url = config.jwksUrl();
    this.maxBytes = config.jwksMaxBytes();
    this.timeoutMs = config.jwksTimeoutMs();
    this.http = vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout(config.jwksTimeoutMs())
        .setIdleTimeout(config.jwksTimeoutMs())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS));
  }

  /** The body of one GET of the JWKS URL; fails on any status but 200 and past either bound. */
  Future<Buffer> fetch() {
    Promise<Buffer> result = Promise.promise();
    long deadline = vertx.setTimer(timeoutMs, id -> result.tryFail(
        new TimeoutException("no complete answer within auth.external.jwks_timeout_ms (" + timeoutMs + " ms)")));
    result.future().onComplete(ar -> vertx.cancelTimer(deadline));
    http.request(new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setAbsoluteURI(url)
            .setFollowRedirects(false)
            .putHeader(HttpHeaders.ACCEPT, "application/json"))
        .onFailure(result::tryFail)
        .onSuccess(request -> {
          // Whatever ends the fetch early (the deadline, a body too large, a bad status) also ends the request.
          result.future().onFailure(err -> request.reset());
          request.send().onComplete(ar -> {
            if (ar.failed()) result.tryFail(ar.cause());
            else read(ar.result(), result);
          });
        });
    return result.future();
  }

  private void read(HttpClientResponse resp, Promise<Buffer> result) {
    if (resp.statusCode() != 200) {
      result.tryFail(new IllegalStateException("HTTP " + resp.statusCode()));
      return;
    }
    String declared = resp.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared != null && declaredTooLong(declared)) {
      result.tryFail(new IllegalStateException("the JWKS declares " + declared + " bytes, more than"
          + " auth.external.jwks_max_bytes (" + maxBytes + ")"));
      return;
    }
    Buffer body = Buffer.buffer();
    resp.handler(chunk -> {
      if (result.future().isComplete()) return;
      if (body.length() + chunk.length() > maxBytes) {
        result.tryFail(new IllegalStateException("the JWKS is larger than auth.external.jwks_max_bytes (" + maxBytes
            + ")"));
      } else {
        body.appendBuffer(chunk);
      }
    });
    resp.exceptionHandler(result::tryFail);
    resp.endHandler(v -> result.tryComplete(body));
  }

  private boolean declaredTooLong(String contentLength) {
    try {
      return Long.parseLong(contentLength.trim()) > maxBytes;
    } catch (NumberFormatException e) {
      return true;
    }
  }

  Future<Void> close() {
    return http.close();
  }
}
