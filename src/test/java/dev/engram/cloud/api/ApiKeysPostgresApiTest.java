package dev.engram.cloud.api;

import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;

/** {@link ApiKeysApiTest} with the control plane in PostgreSQL (DATABASE_URL mode). */
class ApiKeysPostgresApiTest extends ApiKeysApiTest {

  @Override
  JsonObject overrides() {
    return TestServer.withPostgres();
  }
}
