package dev.engram.cloud.observability;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.internal.ContextInternal;

/**
 * Carries the {@link RequestContext} across the event bus: a message sent while serving a request gets one header
 * with its ids, and the consumer's context (Vert.x dispatches each message on a duplicated context of its own) gets
 * them back before the handler runs. OpenTelemetry's own context crosses by {@code traceparent}, which Vert.x's
 * tracer adds when tracing is on; this header carries what it does not (request and tenant ids), and the trace ids
 * when tracing is off.
 */
public final class BusPropagation {

  static final String HEADER = "engram-request";

  private BusPropagation() {}

  public static void install(EventBus bus) {
    bus.addOutboundInterceptor(BusPropagation::outbound);
    bus.addInboundInterceptor(BusPropagation::inbound);
  }

  private static void outbound(DeliveryContext<Object> delivery) {
    RequestContext rc = RequestContext.current();
    if (rc != null) delivery.message().headers().set(HEADER, rc.encode());
    delivery.next();
  }

  private static void inbound(DeliveryContext<Object> delivery) {
    MultiMap headers = delivery.message().headers();
    String value = headers.isEmpty() ? null : headers.get(HEADER);
    if (value != null) {
      RequestContext rc = RequestContext.decode(value);
      if (rc != null) RequestContext.attach(ContextInternal.current(), rc);
    }
    delivery.next();
  }
}
