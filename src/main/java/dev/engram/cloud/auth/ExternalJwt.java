package dev.engram.cloud.auth;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.NoSuchKeyIdException;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Verifies access tokens of an external issuer (Neon Auth / Better Auth, any OIDC provider) against its JWKS.
 * Accepts RS256, ES256 and EdDSA (Ed25519, Better Auth's default) and nothing else, whatever a token's header says;
 * vertx-auth-jwt checks the signatures. The claims are then checked here explicitly: {@code iss}, {@code aud},
 * {@code exp} (required), {@code nbf}, with the configured clock skew, and a {@code sub}.
 *
 * <p>Keys come from the non-blocking Vert.x HTTP client and are refreshed every {@code jwks_refresh_seconds}. A
 * token naming an unknown {@code kid} triggers a refetch (key rotation), at most once per
 * {@code jwks_min_refetch_seconds}, so forged kids cannot make us hammer the issuer. While the issuer is down the
 * last keys stay in use. Not thread-safe: the auth verticle calls it from its one event loop.
 */
final class ExternalJwt {

  /** What a verified token says about its holder. {@code email} only when the issuer says it is verified. */
  record Claims(String subject, String email, Instant expiresAt) {}

  static final Set<String> ALGORITHMS = Set.of("RS256", "ES256", "EdDSA");
  private static final Logger log = LoggerFactory.getLogger(ExternalJwt.class);
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
  private static final int MAX_JWKS_BYTES = 1 << 20;
  private static final int MAX_SUBJECT_CHARS = 255;
  private static final long NEVER = Long.MIN_VALUE;

  private record Keys(JWTAuth verifier, Set<String> kids, long fetchedAt) {}

  private final Vertx vertx;
  private final EngramConfig.External config;
  private final HttpClientAgent http;
  private Keys keys;
  private Future<Keys> inFlight;
  private long lastFetch = NEVER;
  private long lastUnknownKidFetch = NEVER;

  ExternalJwt(Vertx vertx, EngramConfig.External config) {
    this.vertx = vertx;
    this.config = config;
    this.http = vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout(config.jwksTimeoutMs())
        .setIdleTimeout(config.jwksTimeoutMs())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS));
  }

  String issuer() {
    return config.issuer();
  }

  /** True when the token says it comes from this issuer: an unverified peek, only to pick the verifier. */
  boolean claimsIssuer(String token) {
    JsonObject payload = part(token, 1);
    return payload != null && config.issuer().equals(payload.getValue("iss"));
  }

  Future<Claims> verify(String token) {
    JsonObject header = part(token, 0);
    if (header == null) return invalid("The access token is malformed.");
    Object alg = header.getValue("alg");
    if (!(alg instanceof String) || !ALGORITHMS.contains(alg)) {
      return invalid("The access token's algorithm is not accepted (RS256, ES256 or EdDSA only).");
    }
    Object kid = header.getValue("kid");
    if (kid != null && !(kid instanceof String)) return invalid("The access token's key id is malformed.");
    return keysFor((String) kid).compose(k -> check(k, token));
  }

  private Future<Keys> keysFor(String kid) {
    if (keys == null) {
      if (!due(lastFetch, config.jwksMinRefetchSeconds())) return unavailable();
      return fetch().recover(err -> unavailable());
    }
    if (kid != null && !keys.kids().contains(kid)) {
      if (!due(lastUnknownKidFetch, config.jwksMinRefetchSeconds())) return Future.succeededFuture(keys);
      lastUnknownKidFetch = System.nanoTime();
      return fetch().recover(err -> Future.succeededFuture(keys));
    }
    if (due(keys.fetchedAt(), config.jwksRefreshSeconds()) && due(lastFetch, config.jwksMinRefetchSeconds())) {
      return fetch().recover(err -> Future.succeededFuture(keys));
    }
    return Future.succeededFuture(keys);
  }

  private static boolean due(long since, int seconds) {
    return since == NEVER || System.nanoTime() - since >= TimeUnit.SECONDS.toNanos(seconds);
  }

  /** One fetch at a time; concurrent callers share it. */
  private Future<Keys> fetch() {
    if (inFlight != null) return inFlight;
    lastFetch = System.nanoTime();
    Future<Keys> f = http.request(new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setAbsoluteURI(config.jwksUrl())
            .setFollowRedirects(false)
            .putHeader("Accept", "application/json"))
        .compose(req -> req.send())
        .compose(resp -> resp.statusCode() == 200
            ? resp.body()
            : Future.failedFuture(new IllegalStateException("HTTP " + resp.statusCode())))
        .timeout(config.jwksTimeoutMs(), TimeUnit.MILLISECONDS)
        .map(this::parse)
        .onSuccess(k -> {
          keys = k;
          log.info("external issuer keys loaded from {}: {}", config.jwksUrl(), k.kids());
        })
        .onFailure(err -> log.warn("cannot load the external issuer keys from {}: {}", config.jwksUrl(), err.toString()));
    inFlight = f;
    f.onComplete(ar -> inFlight = null);
    return f;
  }

  private Keys parse(Buffer body) {
    if (body.length() > MAX_JWKS_BYTES) throw new IllegalStateException("JWKS larger than " + MAX_JWKS_BYTES + " bytes");
    JsonArray list = new JsonObject(body).getJsonArray("keys");
    if (list == null) throw new IllegalStateException("JWKS has no 'keys' array");
    JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(new JWTOptions()
        .setIssuer(config.issuer())
        .setAudience(List.of(config.audience()))
        .setLeeway(config.clockSkewSeconds()));
    Set<String> kids = new HashSet<>();
    for (Object entry : list) {
      JsonObject jwk = entry instanceof JsonObject o ? publicKey(o) : null;
      if (jwk == null) continue;
      try {
        JWTAuth.create(vertx, new JWTAuthOptions().addJwk(jwk)); // rejects a malformed key alone, not the whole set
      } catch (RuntimeException e) {
        log.warn("skipping an unusable key {} in the external JWKS: {}", jwk.getValue("kid"), e.toString());
        continue;
      }
      options.addJwk(jwk);
      if (jwk.getString("kid") != null) kids.add(jwk.getString("kid"));
    }
    // Never build a verifier without keys: vertx-auth-jwt would then accept unsigned tokens.
    if (options.getJwks().isEmpty()) throw new IllegalStateException("JWKS has no usable RS256, ES256 or EdDSA key");
    return new Keys(JWTAuth.create(vertx, options), Set.copyOf(kids), System.nanoTime());
  }

  /**
   * The public members of a signing key we accept, with its algorithm pinned (so a key can only verify the one
   * algorithm it was made for); null for anything else. Private members, if an issuer ever published them, are
   * dropped.
   */
  static JsonObject publicKey(JsonObject jwk) {
    try {
      String use = jwk.getString("use");
      if (use != null && !use.equals("sig")) return null;
      String kty = jwk.getString("kty");
      String crv = jwk.getString("crv");
      String alg;
      if ("RSA".equals(kty)) alg = "RS256";
      else if ("EC".equals(kty) && "P-256".equals(crv)) alg = "ES256";
      else if ("OKP".equals(kty) && "Ed25519".equals(crv)) alg = "EdDSA";
      else return null;
      if (jwk.getString("alg") != null && !alg.equals(jwk.getString("alg"))) return null;
      JsonObject out = new JsonObject().put("kty", kty).put("alg", alg);
      for (String member : new String[] {"kid", "n", "e", "crv", "x", "y"}) {
        if (jwk.getString(member) != null) out.put(member, jwk.getString(member));
      }
      return out;
    } catch (ClassCastException e) {
      return null;
    }
  }

  private Future<Claims> check(Keys k, String token) {
    return k.verifier().authenticate(new TokenCredentials(token))
        .recover(err -> invalid(err instanceof NoSuchKeyIdException
            ? "The access token is signed with a key its issuer does not publish."
            : "The access token is invalid, expired, or not meant for this server."))
        .map(user -> claims(part(token, 1)));
  }

  /** The claim checks, explicit rather than left to the library's defaults. */
  private Claims claims(JsonObject payload) {
    long now = Instant.now().getEpochSecond();
    long skew = config.clockSkewSeconds();
    if (payload == null || !config.issuer().equals(payload.getValue("iss"))) throw denied("The token's issuer is not accepted.");
    Object aud = payload.getValue("aud");
    boolean forUs = aud instanceof String ? aud.equals(config.audience())
        : aud instanceof JsonArray && ((JsonArray) aud).contains(config.audience());
    if (!forUs) throw denied("The access token is not meant for this server (aud).");
    if (!(payload.getValue("exp") instanceof Number)) throw denied("The access token has no expiry (exp).");
    long exp = payload.getLong("exp");
    if (now - skew >= exp) throw denied("The access token has expired.");
    Object nbf = payload.getValue("nbf");
    if (nbf != null && (!(nbf instanceof Number) || payload.getLong("nbf") > now + skew)) {
      throw denied("The access token is not valid yet (nbf).");
    }
    Object sub = payload.getValue("sub");
    if (!(sub instanceof String) || ((String) sub).isBlank() || ((String) sub).length() > MAX_SUBJECT_CHARS) {
      throw denied("The access token names no subject (sub).");
    }
    return new Claims((String) sub, verifiedEmail(payload), Instant.ofEpochSecond(exp));
  }

  /**
   * The {@code email} claim, lower-cased, when the issuer marks it verified ({@code email_verified}, or Better
   * Auth's {@code emailVerified}); otherwise null, so nobody can claim someone else's address.
   */
  static String verifiedEmail(JsonObject payload) {
    Object email = payload.getValue("email");
    boolean verified = Boolean.TRUE.equals(payload.getValue("email_verified"))
        || Boolean.TRUE.equals(payload.getValue("emailVerified"));
    if (!(email instanceof String) || !verified) return null;
    String normalized = ((String) email).trim().toLowerCase(Locale.ROOT);
    return normalized.length() <= 254 && EMAIL.matcher(normalized).matches() ? normalized : null;
  }

  /** Segment {@code index} of a compact JWS as a JSON object, or null when the token is not one. */
  private static JsonObject part(String token, int index) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) return null;
    try {
      return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[index]), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static ApiException denied(String detail) {
    return ApiException.unauthorized("invalid_token", detail);
  }

  private static <T> Future<T> invalid(String detail) {
    return Future.failedFuture(denied(detail));
  }

  private static <T> Future<T> unavailable() {
    return Future.failedFuture(new ApiException(503, "issuer_unavailable",
        "The token issuer's keys cannot be loaded right now; retry shortly."));
  }

  Future<Void> close() {
    return http.close();
  }
}
