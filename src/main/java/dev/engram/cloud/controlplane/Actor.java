package dev.engram.cloud.controlplane;

/**
 * Who made a control-plane change, and from where: the request side of its audit entry. {@code id} is a user id, an
 * API key's display prefix, {@code operator}, {@code system} or {@code billing}; {@code ip} the client address
 * (behind trusted proxies, the forwarded one); {@code userAgent} truncated; any of the last three may be null.
 */
public record Actor(String id, String ip, String userAgent, String requestId) {

  /** The server itself (a key's expiry, a sweep). */
  public static final Actor SYSTEM = new Actor("system", null, null, null);
  /** Stripe's webhooks, through billing. */
  public static final Actor BILLING = new Actor("billing", null, null, null);

  /** The same request, acted on by {@code id}. */
  public Actor as(String id) {
    return new Actor(id, ip, userAgent, requestId);
  }

  /** An actor known only by its id (tests, the command line). */
  public static Actor of(String id) {
    return new Actor(id, null, null, null);
  }
}
