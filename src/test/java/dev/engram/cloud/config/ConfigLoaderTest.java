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
