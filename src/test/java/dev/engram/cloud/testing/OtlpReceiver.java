package dev.engram.cloud.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;

/**
 * A minimal OTLP/HTTP trace receiver ({@code POST /v1/traces}, protobuf, optionally gzip) on loopback: it decodes
 * what the exporter sends with the protocol's own classes and keeps the spans. {@code main} runs it on its own for
 * the tracing benchmark (it then keeps only a count).
 */
public final class OtlpReceiver implements AutoCloseable {

  /** One received span; ids in lower-case hex, parent empty for a root. */
  public record ReceivedSpan(String service, String traceId, String spanId, String parentSpanId, String name,
                             String kind, Map<String, Object> attributes) {
    public String attribute(String key) {
      Object value = attributes.get(key);
      return value == null ? null : value.toString();
    }
  }

  private static final HexFormat HEX = HexFormat.of();
  private final HttpServer server;
  private final boolean keep;
  private final List<ReceivedSpan> spans = new ArrayList<>();
  private final AtomicLong count = new AtomicLong();

  private OtlpReceiver(int port, boolean keep) throws IOException {
    this.keep = keep;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
    server.createContext("/v1/traces", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(2));
    server.start();
  }

  public static OtlpReceiver start() {
    try {
      return new OtlpReceiver(0, true);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The base URL to give as {@code OTEL_EXPORTER_OTLP_ENDPOINT}. */
  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public List<ReceivedSpan> spans() {
    synchronized (spans) {
      return List.copyOf(spans);
    }
  }

  public long count() {
    return count.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("POST")) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      InputStream body = exchange.getRequestBody();
      if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
        body = new GZIPInputStream(body);
      }
      ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body);
      record(request);
      byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
      exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
      if (answer.length > 0) exchange.getResponseBody().write(answer);
    }
  }

  private void record(ExportTraceServiceRequest request) {
    for (ResourceSpans resource : request.getResourceSpansList()) {
      String service = resource.getResource().getAttributesList().stream()
          .filter(kv -> kv.getKey().equals("service.name")).map(kv -> kv.getValue().getStringValue())
          .findFirst().orElse(null);
      for (ScopeSpans scope : resource.getScopeSpansList()) {
        count.addAndGet(scope.getSpansCount());
        if (!keep) continue;
        for (var span : scope.getSpansList()) {
          Map<String, Object> attributes = new LinkedHashMap<>();
          for (KeyValue kv : span.getAttributesList()) attributes.put(kv.getKey(), value(kv.getValue()));
          ReceivedSpan received = new ReceivedSpan(service, HEX.formatHex(span.getTraceId().toByteArray()),
              HEX.formatHex(span.getSpanId().toByteArray()), HEX.formatHex(span.getParentSpanId().toByteArray()),
              span.getName(), span.getKind().name(), attributes);
          synchronized (spans) {
            spans.add(received);
          }
        }
      }
    }
  }

  private static Object value(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case INT_VALUE -> v.getIntValue();
      case BOOL_VALUE -> v.getBoolValue();
      case DOUBLE_VALUE -> v.getDoubleValue();
      default -> v.toString();
    };
  }

  @Override
  public void close() {
    server.stop(0);
  }

  /** {@code OtlpReceiver PORT}: receives and counts spans until killed (for scripts/bench-tracing). */
  public static void main(String[] args) throws Exception {
    OtlpReceiver receiver = new OtlpReceiver(Integer.parseInt(args[0]), false);
    System.out.println("otlp receiver listening on " + receiver.endpoint());
    Runtime.getRuntime().addShutdownHook(new Thread(() ->
        System.out.println("otlp receiver: " + receiver.count() + " spans received")));
    Thread.currentThread().join();
  }
}
