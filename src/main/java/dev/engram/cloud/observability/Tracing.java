package dev.engram.cloud.observability;

import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.vertx.core.VertxBuilder;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * OpenTelemetry tracing, configured by the standard {@code OTEL_*} variables (the SDK's autoconfiguration: sampler,
 * service name, headers, resource attributes…) and on only when an OTLP endpoint is named
 * ({@code OTEL_EXPORTER_OTLP_ENDPOINT} or {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}). Off, no tracer is installed in
 * Vert.x at all, so the request path pays nothing for it. On, Vert.x's tracer SPI makes the spans of the HTTP
 * server, the event bus, the PostgreSQL and Redis clients and outbound HTTP; the engines add their own
 * ({@link EngineTelemetry}). Only traces are exported: metrics stay on {@code /metrics}.
 */
public final class Tracing {

  private static final Logger log = LoggerFactory.getLogger(Tracing.class);
  private static final String INSTRUMENTATION = "dev.engram.cloud";

  private final OpenTelemetrySdk sdk;

  private Tracing(OpenTelemetrySdk sdk) {
    this.sdk = sdk;
  }

  public static Tracing off() {
    return new Tracing(null);
  }

  /** Tracing as the {@code OTEL_*} variables in {@code otel} say (keys as in the environment). */
  public static Tracing fromEnvironment(Map<String, String> otel) {
    if (!wanted(otel)) return off();
    Map<String, String> properties = new HashMap<>();
    otel.forEach((name, value) -> properties.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), value));
    OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> Map.of(
            "otel.service.name", "engram-cloud",
            "otel.exporter.otlp.protocol", "http/protobuf",
            "otel.metrics.exporter", "none",
            "otel.logs.exporter", "none"))
        .addPropertiesCustomizer(config -> properties)
        .disableShutdownHook()
        .build()
        .getOpenTelemetrySdk();
    String endpoint = otel.getOrDefault("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", otel.get("OTEL_EXPORTER_OTLP_ENDPOINT"));
    log.info("tracing on: exporting spans to {} (sampler {})", hostOnly(endpoint),
        otel.getOrDefault("OTEL_TRACES_SAMPLER", "parentbased_always_on"));
    return new Tracing(sdk);
  }

  /** On when an OTLP endpoint is named, unless the SDK or the trace exporter is switched off. */
  static boolean wanted(Map<String, String> otel) {
    boolean endpoint = !otel.getOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT", "").isBlank()
        || !otel.getOrDefault("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").isBlank();
    return endpoint && !"true".equalsIgnoreCase(otel.getOrDefault("OTEL_SDK_DISABLED", "").trim())
        && !"none".equalsIgnoreCase(otel.getOrDefault("OTEL_TRACES_EXPORTER", "").trim());
  }

  /** The endpoint's scheme, host and port: never credentials a URL might carry. */
  private static String hostOnly(String endpoint) {
    try {
      URI uri = URI.create(endpoint.trim());
      return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    } catch (IllegalArgumentException e) {
      return "(an endpoint that is not a URL)";
    }
  }

  public boolean enabled() {
    return sdk != null;
  }

  /** The tracer of this server's own spans, or null when tracing is off. */
  public Tracer tracer() {
    return sdk == null ? null : sdk.getTracer(INSTRUMENTATION);
  }

  /** Installs the tracer in the Vert.x being built, when tracing is on. */
  public VertxBuilder install(VertxBuilder builder) {
    return sdk == null ? builder : builder.withTracer(new OpenTelemetryTracingFactory(sdk));
  }

  /** Exports the spans still buffered and stops the exporter (blocking, bounded). */
  public void close() {
    if (sdk != null) sdk.shutdown().join(5, TimeUnit.SECONDS);
  }
}
