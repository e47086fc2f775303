package dev.engram.cloud.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigLoaderTest {

  @Test
  void defaults_come_from_the_bundled_file() {
    EngramConfig c = EngramConfig.fromJson(ConfigLoader.load(new String[0], Map.of()));
    assertEquals(8080, c.port());
    assertEquals(Path.of("./data").toAbsolutePath().normalize(), c.dataDir());
  }

  @Test
  void file_then_environment_then_flags(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("extra.json");
    Files.writeString(file, new JsonObject().put("port", 7000)
        .put("rate_limits", new JsonObject().put("key_burst", 3)).encode());
    EngramConfig fromFile = EngramConfig.fromJson(ConfigLoader.load(new String[] {"--config", file.toString()}, Map.of()));
    assertEquals(7000, fromFile.port());
    assertEquals(3, fromFile.rateLimits().keyBurst());
    assertEquals(100, fromFile.rateLimits().keyPerSecond(), "untouched keys keep their defaults");

    EngramConfig fromEnv = EngramConfig.fromJson(ConfigLoader.load(new String[] {"--config", file.toString()},
        Map.of("PORT", "7100", "ENGRAM_DATA_DIR", "/tmp/x")));
    assertEquals(7100, fromEnv.port());
    assertEquals(Path.of("/tmp/x"), fromEnv.dataDir());

    EngramConfig fromFlags = EngramConfig.fromJson(ConfigLoader.load(
        new String[] {"--port=7200", "--data-dir", "/tmp/y"}, Map.of("PORT", "7100")));
    assertEquals(7200, fromFlags.port());
    assertEquals(Path.of("/tmp/y"), fromFlags.dataDir());
  }

  @Test
  void redis_is_off_unless_redis_url_is_set_and_plans_follow_the_pricing_table() {
    EngramConfig defaults = EngramConfig.fromJson(ConfigLoader.load(new String[0], Map.of()));
    assertNull(defaults.quota().redis().url(), "in-process rate limits by default");
    EngramConfig.Plan free = defaults.quota().plans().get("free");
    assertEquals(1000L, free.memories());
    assertEquals(10_000L, free.searchesPerMonth());
    assertEquals(50_000L, free.apiCallsPerMonth());
    assertEquals(100L * 1024 * 1024, free.storageBytes());
    assertEquals(1L, free.members());
    assertEquals(defaults.rateLimits(), free.rateLimits(), "free uses the top-level rate limits");
    EngramConfig.Plan team = defaults.quota().plans().get("team");
    assertEquals(500_000L, team.memories());
    assertNull(team.searchesPerMonth(), "unlimited");
    assertEquals(10L, team.members());
    assertEquals(1000, team.rateLimits().tenantPerSecond());
    assertEquals(50_000L, defaults.quota().plans().get("pro").memories());

    EngramConfig withRedis = EngramConfig.fromJson(ConfigLoader.load(new String[0],
        Map.of("REDIS_URL", "redis://:secret@cache.internal:6380/0")));
    assertEquals("redis://:secret@cache.internal:6380/0", withRedis.quota().redis().url());
  }

  @Test
  void the_external_issuer_comes_from_the_environment() {
    EngramConfig off = EngramConfig.fromJson(ConfigLoader.load(new String[0], Map.of()));
    assertEquals(false, off.auth().external().enabled());

    EngramConfig on = EngramConfig.fromJson(ConfigLoader.load(new String[0], Map.of(
        "JWKS_URL", "https://auth.example.com/api/auth/jwks",
        "JWT_ISSUER", "https://auth.example.com", "JWT_AUDIENCE", "engram")));
    assertEquals("https://auth.example.com/api/auth/jwks", on.auth().external().jwksUrl());
    assertEquals("https://auth.example.com", on.auth().external().issuer());
    assertEquals("engram", on.auth().external().audience());
    assertEquals(60, on.auth().external().clockSkewSeconds());

    assertThrows(IllegalArgumentException.class, () -> EngramConfig.fromJson(ConfigLoader.load(new String[0],
        Map.of("JWKS_URL", "https://auth.example.com/jwks"))), "issuer and audience are required");
    assertThrows(IllegalArgumentException.class, () -> EngramConfig.fromJson(ConfigLoader.load(new String[0],
        Map.of("JWKS_URL", "https://auth.example.com/jwks", "JWT_ISSUER", "engram-cloud", "JWT_AUDIENCE", "x"))),
        "must differ from the built-in issuer");
  }

  @Test
  void the_jwks_url_must_be_https_except_on_loopback_or_by_explicit_setting(@TempDir Path dir) throws Exception {
    Map<String, String> env = Map.of("JWKS_URL", "http://auth.example.com/jwks",
        "JWT_ISSUER", "https://auth.example.com", "JWT_AUDIENCE", "engram");
    IllegalArgumentException plain = assertThrows(IllegalArgumentException.class,
        () -> EngramConfig.fromJson(ConfigLoader.load(new String[0], env)));
    assertTrue(plain.getMessage().contains("https"), plain.getMessage());

    for (String loopback : new String[] {"http://127.0.0.1:8081/jwks", "http://localhost/jwks", "http://[::1]:9/jwks"}) {
      EngramConfig c = EngramConfig.fromJson(ConfigLoader.load(new String[0], Map.of("JWKS_URL", loopback,
          "JWT_ISSUER", "https://auth.example.com", "JWT_AUDIENCE", "engram")));
      assertEquals(loopback, c.auth().external().jwksUrl());
    }
    assertThrows(IllegalArgumentException.class, () -> EngramConfig.fromJson(ConfigLoader.load(new String[0],
        Map.of("JWKS_URL", "http://127.0.0.1.evil.example/jwks", "JWT_ISSUER", "https://a.example", "JWT_AUDIENCE", "e"))),
        "a name that merely starts like a loopback address is not one");

    Path file = dir.resolve("allow-http.json");
    Files.writeString(file, new JsonObject().put("auth", new JsonObject().put("external",
        new JsonObject().put("jwks_allow_http", true))).encode());
    EngramConfig allowed = EngramConfig.fromJson(ConfigLoader.load(new String[] {"--config", file.toString()}, env));
    assertTrue(allowed.auth().external().jwksAllowHttp());

    EngramConfig defaults = EngramConfig.fromJson(ConfigLoader.load(new String[0], Map.of()));
    assertEquals(1 << 20, defaults.auth().external().jwksMaxBytes());
    assertEquals(100, defaults.auth().external().jwksMaxKeys());
  }

  @Test
  void bad_flags_and_ports_are_refused_with_a_message() {
    assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(new String[] {"--prot", "1"}, Map.of()));
    assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(new String[] {"--port"}, Map.of()));
    assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(new String[0], Map.of("PORT", "eighty")));
  }

  @Test
  void database_urls_come_from_the_environment_only(@TempDir Path dir) throws Exception {
    EngramConfig embedded = EngramConfig.fromJson(ConfigLoader.load(new String[0], Map.of()));
    assertFalse(embedded.database().postgres(), "SQLite stays the default");

    String url = "postgres://app:s3cret@ep-x.neon.tech/neondb?sslmode=require";
    String owner = "postgresql://owner:0wner@ep-x.neon.tech/neondb?sslmode=require";
    EngramConfig pg = EngramConfig.fromJson(ConfigLoader.load(new String[0],
        Map.of("DATABASE_URL", url, "DATABASE_MIGRATION_URL", owner)));
    assertTrue(pg.database().postgres());
    assertEquals(url, pg.database().url());
    assertEquals(owner, pg.database().migrationUrl());
    assertEquals(8, pg.database().poolSize());
    assertFalse(pg.database().allowPrivilegedRole(), "a privileged application role is refused by default");
    assertFalse(pg.toString().contains("s3cret") || pg.toString().contains("0wner"), "never printed");

    Path file = dir.resolve("db.json");
    Files.writeString(file, new JsonObject().put("database", new JsonObject().put("url", url).put("pool_size", 3))
        .encode());
    assertThrows(IllegalArgumentException.class,
        () -> ConfigLoader.load(new String[] {"--config", file.toString()}, Map.of()), "no passwords in files");
    Files.writeString(file, new JsonObject().put("database", new JsonObject().put("pool_size", 3)).encode());
    EngramConfig fromFile = EngramConfig.fromJson(ConfigLoader.load(new String[] {"--config", file.toString()},
        Map.of("DATABASE_URL", url)));
    assertEquals(3, fromFile.database().poolSize());
    assertTrue(fromFile.database().postgres());
  }
}
