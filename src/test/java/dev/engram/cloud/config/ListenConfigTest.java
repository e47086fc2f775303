package dev.engram.cloud.config;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bind address, the metrics port, the drain time and the OTEL_* variables: defaults, environment, flags. */
class ListenConfigTest {

  private static EngramConfig load(Map<String, String> env, String... flags) {
    return EngramConfig.fromJson(ConfigLoader.load(flags, env));
  }

  @Test
  void by_default_the_server_listens_on_loopback_with_metrics_on_its_own_port_and_a_20_second_drain() {
    EngramConfig c = load(Map.of());
    assertEquals("127.0.0.1", c.server().host(), "a laptop's server is not open to its network");
    assertEquals(0, c.server().metricsPort());
    assertEquals(20, c.server().shutdownGraceSeconds());
    assertTrue(c.telemetry().otel().isEmpty());
  }

  @Test
  void environment_then_flags() {
    EngramConfig env = load(Map.of("HOST", "0.0.0.0", "METRICS_PORT", "9091"));
    assertEquals("0.0.0.0", env.server().host());
    assertEquals(9091, env.server().metricsPort());
    EngramConfig flags = load(Map.of("HOST", "0.0.0.0", "METRICS_PORT", "9091"), "--host", "::1", "--metrics-port=9300");
    assertEquals("::1", flags.server().host());
    assertEquals(9300, flags.server().metricsPort());
  }

  @Test
  void bad_values_are_refused_with_their_name() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> load(Map.of("METRICS_PORT", "lots")))
        .getMessage().contains("METRICS_PORT"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> load(Map.of("HOST", " ")))
        .getMessage().contains("host"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> load(Map.of("PORT", "9000", "METRICS_PORT", "9000")))
        .getMessage().contains("metrics.port must differ"));
  }

  @Test
  void otel_variables_are_kept_and_never_printed() {
    EngramConfig c = load(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel.example.com",
        "OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer s3cret", "NOT_OTEL", "x"));
    assertEquals(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel.example.com",
        "OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer s3cret"), c.telemetry().otel());
    assertFalse(c.toString().contains("s3cret"), c.toString());
  }
}
