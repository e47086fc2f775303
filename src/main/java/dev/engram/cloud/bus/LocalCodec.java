package dev.engram.cloud.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;

/** Pass-through codec for {@link LocalMessage} records; they never leave the node. */
public final class LocalCodec implements MessageCodec<Object, Object> {

  public static final String NAME = "engram-local";

  public static void register(EventBus bus) {
    bus.registerCodec(new LocalCodec());
    bus.codecSelector(body -> body instanceof LocalMessage ? NAME : null);
  }

  @Override
  public void encodeToWire(Buffer buffer, Object o) {
    throw new UnsupportedOperationException("local messages do not cross the wire: " + o.getClass().getName());
  }

  @Override
  public Object decodeFromWire(int pos, Buffer buffer) {
    throw new UnsupportedOperationException("local messages do not cross the wire");
  }

  @Override
  public Object transform(Object o) {
    return o;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
