package dev.engram.cloud.testing;

import dev.engram.cloud.config.EngramConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The one way a test class runs a server: {@code @RegisterExtension static final RunningServer server =
 * RunningServer.with(config)} starts a {@link TestServer} before the class's {@code @BeforeAll} methods and closes
 * it (data directory included) after the class, whatever happened in between.
 */
public final class RunningServer implements BeforeAllCallback, AfterAllCallback {

  private final Supplier<JsonObject> config;
  private TestServer server;

  private RunningServer(Supplier<JsonObject> config) {
    this.config = config;
  }

  /** A server with the test defaults ({@link TestServer#start(JsonObject)}) and these overrides. */
  public static RunningServer with(JsonObject overrides) {
    return new RunningServer(() -> overrides);
  }

  /** A server whose overrides are computed when the class starts (after other extensions ran). */
  public static RunningServer with(Supplier<JsonObject> overrides) {
    return new RunningServer(overrides);
  }

  /** A server with the test defaults and no overrides. */
  public static RunningServer withDefaults() {
    return new RunningServer(JsonObject::new);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    server = TestServer.start(config.get());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (server != null) server.close();
    server = null;
  }

  public TestServer get() {
    if (server == null) throw new IllegalStateException("the server runs only while its test class does");
    return server;
  }

  public Api api() {
    return get().api();
  }

  public EngramConfig config() {
    return get().config();
  }

  public Path dataDir() {
    return get().dataDir();
  }

  public void setTenantPlan(String tenantId, String plan) {
    get().setTenantPlan(tenantId, plan);
  }

  public double metric(String name) {
    return get().metric(name);
  }
}
