package dev.engram.cloud.controlplane.pg;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.engram.cloud.controlplane.ControlPlane;
import dev.engram.cloud.testing.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The start-up check of the application role: a role that can become the tables' owner, a superuser or a BYPASSRLS
 * role (by membership, however indirect) is not held by row-level security, so the server refuses to start with it,
 * unless {@code database.allow_privileged_role} turns the refusal into a warning. Each test makes roles of its own:
 * roles are shared by every database of the server.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PgRoleCheckTest {

  Vertx vertx;
  TestPostgres.Database db;
  ListAppender<ILoggingEvent> log = new ListAppender<>();
  Logger pgLog = (Logger) LoggerFactory.getLogger(PgControlPlane.class);

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    db = TestPostgres.newDatabase();
    log.start();
    pgLog.addAppender(log);
  }

  @AfterEach
  void stop() throws Exception {
    pgLog.detachAppender(log);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** A fresh login role that is a member of each of {@code roles}; its URL for {@link #db}. */
  private String appRoleMemberOf(String... roles) {
    String app = TestPostgres.newRole("LOGIN");
    for (String role : roles) TestPostgres.asSuperuser("GRANT " + role + " TO " + app);
    return TestPostgres.url(db, app);
  }

  private Future<ControlPlane> open(String appUrl, boolean allowPrivilegedRole) {
    return PgControlPlane.open(vertx, appUrl, db.ownerUrl(), 2, allowPrivilegedRole);
  }

  private String refusal(String appUrl) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> open(appUrl, false).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    String message = e.getCause().getMessage();
    assertTrue(message.contains("database.allow_privileged_role"), "says how to start anyway: " + message);
    return message;
  }

  @Test
  void a_role_that_can_become_the_tables_owner_is_refused_at_start() throws Exception {
    String app = appRoleMemberOf(TestPostgres.OWNER_ROLE);
    // What the report did with it: the membership lets the role act as the owner, past row-level security.
    try (Connection c = TestPostgres.jdbc(app); Statement s = c.createStatement()) {
      s.execute("SET ROLE " + TestPostgres.OWNER_ROLE);
    }
    String message = refusal(app);
    assertTrue(message.contains(TestPostgres.OWNER_ROLE) && message.contains("owns the control-plane tables"), message);
  }

  @Test
  void an_indirect_membership_counts_too() {
    String group = TestPostgres.newRole("NOLOGIN");
    TestPostgres.asSuperuser("GRANT " + TestPostgres.OWNER_ROLE + " TO " + group);
    String message = refusal(appRoleMemberOf(group));
    assertTrue(message.contains(TestPostgres.OWNER_ROLE), message);
  }

  @Test
  void a_member_of_a_bypassrls_or_superuser_role_is_refused() {
    String bypass = TestPostgres.newRole("NOLOGIN BYPASSRLS");
    assertTrue(refusal(appRoleMemberOf(bypass)).contains(bypass + " (BYPASSRLS)"));
    String superuser = TestPostgres.newRole("NOLOGIN SUPERUSER");
    assertTrue(refusal(appRoleMemberOf(superuser)).contains(superuser + " (superuser)"));
  }

  @Test
  void allow_privileged_role_starts_with_a_warning_and_a_plain_role_starts_without_one() throws Exception {
    ControlPlane warned = open(appRoleMemberOf(TestPostgres.OWNER_ROLE), true)
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    warned.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(1, log.list.stream().filter(e -> e.getLevel() == Level.WARN
        && e.getFormattedMessage().contains(TestPostgres.OWNER_ROLE)).count(), "one loud warning");

    log.list.clear();
    ControlPlane plain = open(appRoleMemberOf(), false).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    plain.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(0, log.list.stream().filter(e -> e.getLevel() == Level.WARN).count(),
        "a role that owns nothing and is a member of nothing starts quietly");
  }
}
