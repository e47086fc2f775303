package dev.engram.cloud.sqlite;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.engram.cloud.testing.Api;
import dev.engram.cloud.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The data directory (password and key hashes, the signing key, every tenant's memories) is for the server's user
 * alone, whatever the umask: directories 0700, files 0600, those made later (a new tenant) included; a directory
 * left open by someone else is closed at start, with a warning.
 */
@Timeout(60)
class DataDirectoryPermissionsTest {

  static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
  }

  /** Every directory and file under {@code root} whose mode is not owner-only, with its mode. */
  static List<String> openToOthers(Path root) throws IOException {
    List<String> open = new ArrayList<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.toList()) {
        if (Files.isSymbolicLink(p)) continue;
        String expected = Files.isDirectory(p) ? "rwx------" : "rw-------";
        if (!mode(p).equals(expected)) open.add(root.relativize(p) + " " + mode(p));
      }
    }
    return open;
  }

  @Test
  void everything_the_server_writes_is_private_including_a_new_tenants_database() throws IOException {
    try (TestServer server = TestServer.start()) {
      Api api = server.api();
      Api.Account account = api.signup();
      api.createMemory(account.apiKey(), new JsonObject().put("content", "a tenant's first write"));

      Path data = server.dataDir();
      assertEquals(List.of(), openToOthers(data));
      Path tenantDb = data.resolve("tenants").resolve(account.tenantId()).resolve("engram.db");
      for (Path p : List.of(data.resolve("control.db"), tenantDb, tenantDb.resolveSibling("engram.db-wal"),
          tenantDb.resolveSibling("engram.db-shm"), data.resolve("keys").resolve("jwt-signing-key.json"))) {
        assertTrue(Files.exists(p), p + " exists");
      }
      assertTrue(Files.isDirectory(data.resolve("uploads")));
    }
  }

  @Test
  void a_data_directory_left_open_is_closed_at_start_with_a_warning_and_links_are_left_alone() throws IOException {
    Path data = Files.createTempDirectory("engram-open-");
    Path outside = Files.createTempDirectory("engram-outside-");
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(PrivateFiles.class);
    log.start();
    logger.addAppender(log);
    try {
      Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path tenants = Files.createDirectories(data.resolve("tenants"));
      Files.setPosixFilePermissions(tenants, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path restored = Files.writeString(tenants.resolve("restored.db"), "from a backup");
      Files.setPosixFilePermissions(restored, PosixFilePermissions.fromString("rw-rw-r--"));
      Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.createSymbolicLink(data.resolve("elsewhere"), outside);

      try (TestServer server = TestServer.start(new JsonObject().put("data_dir", data.toString()))) {
        assertEquals(List.of(), openToOthers(data));
        assertEquals("rwxr-xr-x", mode(outside), "a link is not followed");
        assertEquals(201, server.api().post("/v1/signup", null, new JsonObject().put("email", "o@example.com")
            .put("password", "correct horse battery").put("tenant_name", "Open")).status(), "and it serves");
      }
      List<ILoggingEvent> warnings = log.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
      assertEquals(1, warnings.size(), log.list.toString());
      assertTrue(warnings.get(0).getFormattedMessage().startsWith("3 path(s) in the data directory"),
          warnings.get(0).getFormattedMessage());
    } finally {
      logger.detachAppender(log);
      TestServer.deleteRecursively(outside);
      TestServer.deleteRecursively(data);
    }
  }
}
