package dev.engram.cloud.http;

import dev.engram.cloud.controlplane.Actor;
import dev.engram.cloud.quota.ClientAddress;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

/**
 * Where a request came from, for the audit log: the client address (behind {@code http.trusted_proxies}, the one they
 * forward), the user agent cut to {@value #MAX_USER_AGENT} characters, and the request id. Never a header's secret.
 */
final class Origins {

  static final int MAX_USER_AGENT = 256;
  private static final int MAX_ADDRESS = 64;

  private final ClientAddress clients;

  Origins(ClientAddress clients) {
    this.clients = clients;
  }

  /** The request's origin, with no actor yet (the command names it: a user, a key's prefix, the operator). */
  Actor of(RoutingContext ctx) {
    SocketAddress remote = ctx.request().remoteAddress();
    String ip = clients.client(remote == null ? null : remote.hostAddress(),
        ctx.request().headers().getAll("X-Forwarded-For"));
    String agent = ctx.request().getHeader("User-Agent");
    return new Actor(null, cut(ip, MAX_ADDRESS), cut(agent, MAX_USER_AGENT), RequestIds.get(ctx));
  }

  /** The request's origin, acted on by the authenticated caller. */
  Actor ofCaller(RoutingContext ctx) {
    return of(ctx).as(Authenticator.principal(ctx).actor());
  }

  private static String cut(String text, int max) {
    return text == null || text.length() <= max ? text : text.substring(0, max);
  }
}
