package dev.engram.cloud.controlplane.pg;

import io.vertx.core.Vertx;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

import javax.net.ssl.TrustManagerFactory;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;

/**
 * Connection URIs as PostgreSQL hosts hand them out: {@code postgres://} or {@code postgresql://}, with
 * {@code ?sslmode=require} (Neon) or {@code verify-full}.
 */
final class PgUrls {

  /** Fail fast when the database is away, so that readiness turns red and requests get an error, not a hang. */
  private static final int CONNECT_TIMEOUT_MILLIS = 5000;

  private PgUrls() {}

  /** Parsed options and a display form without the password (the URI itself is a secret). */
  record Target(PgConnectOptions options, String display) {}

  static Target parse(String url) {
    PgConnectOptions options;
    try {
      options = PgConnectOptions.fromUri(url);
    } catch (IllegalArgumentException e) {
      // The parser's message repeats the URI, password included.
      throw new IllegalArgumentException("DATABASE_URL is not a postgres:// or postgresql:// URI");
    }
    if (options.getSslMode() != SslMode.DISABLE) {
      // The URI parser leaves the TLS options unset, and the client needs them for any TLS mode. Certificates are
      // checked against the system's trusted authorities in every mode (stricter than libpq's "require", and what
      // hosted servers such as Neon pass); verify-full also checks the host name.
      ClientSSLOptions ssl = options.getSslOptions() == null ? new ClientSSLOptions() : options.getSslOptions().copy();
      if (ssl.getTrustOptions() == null && !ssl.isTrustAll()) ssl.setTrustOptions(systemTrust());
      ssl.setHostnameVerificationAlgorithm(options.getSslMode() == SslMode.VERIFY_FULL ? "HTTPS" : "");
      options.setSslOptions(ssl);
    }
    return new Target(options, options.getHost() + ":" + options.getPort() + "/" + options.getDatabase());
  }

  static Pool pool(Vertx vertx, Target target, PoolOptions poolOptions) {
    return PgBuilder.pool()
        .with(poolOptions.setConnectionTimeout(CONNECT_TIMEOUT_MILLIS).setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        .with(new NetClientOptions().setConnectTimeout(CONNECT_TIMEOUT_MILLIS))
        .connectingTo(target.options())
        .using(vertx)
        .build();
  }

  private static TrustOptions systemTrust() {
    try {
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init((KeyStore) null);
      return TrustOptions.wrap(factory);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no system trust store for sslmode=verify-full", e);
    }
  }
}
