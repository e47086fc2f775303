package dev.engram.cloud.auth;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
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
 * <p>A claim of the wrong type ({@code aud: 5}, {@code iat: "a"}) and a {@code crit} header (we implement no JWS
 * extension, so RFC 7515 §4.1.11 says reject) make the token invalid (401), checked before any key is fetched.
 *
 * <p>Keys come from {@link JwksFetcher} (bounded in size and time) and are refreshed every
 * {@code jwks_refresh_seconds}. A token naming an unknown {@code kid} triggers a refetch (key rotation), at most
 * once per {@code jwks_min_refetch_seconds}, so forged kids cannot make us hammer the issuer; one fetch runs at a
 * time and every token waiting for keys shares it. The key set is parsed on a worker thread (it may hold up to
 * {@code jwks_max_keys} keys, each checked on its own), never on the event loop. While the issuer is down the last
 * keys stay in use. Not thread-safe: the auth verticle calls it from its one event loop.
 */
final class ExternalJwt {

  /** What a verified token says about its holder. {@code email} only when the issuer says it is verified. */
  record Claims(String subject, String email, Instant expiresAt) {}

  static final Set<String> ALGORITHMS = Set.of("RS256", "ES256", "EdDSA");
  private static final Logger log = LoggerFactory.getLogger(ExternalJwt.class);
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
  private static final int MAX_SUBJECT_CHARS = 255;
  /** NumericDate claims beyond the year 9999 are malformed, not "far in the future". */
  private static final long MAX_NUMERIC_DATE = 253_402_300_799L;
  private static final long NEVER = Long.MIN_VALUE;

  private record Keys(JWTAuth verifier, Set<String> kids, long fetchedAt) {}

  private final Vertx vertx;
  private final EngramConfig.External config;
  private final JwksFetcher fetcher;
  private Keys keys;
  private Future<Keys> inFlight;
  private long lastFetch = NEVER;
  private long lastUnknownKidFetch = NEVER;

  ExternalJwt(Vertx vertx, EngramConfig.External config) {
    this.vertx = vertx;
    this.config = config;
    this.fetcher = new JwksFetcher(vertx, config);
    if (config.jwksUrl().startsWith("http:") && !EngramConfig.External.loopback(config.jwksUrl())) {
      log.warn("JWKS_URL {} is plain http (auth.external.jwks_allow_http is on): anyone on the path to the issuer"
          + " can replace its keys and sign in as any user. Use https in production.", config.jwksUrl());
    }
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
    if (header.containsKey("crit")) {
      return invalid("The access token names critical header extensions (crit) that this server does not support.");
    }
    JsonObject payload = part(token, 1);
    String malformed = payload == null ? "payload" : malformedClaim(payload);
    if (malformed != null) return invalid("The access token's '" + malformed + "' claim is malformed.");
    return keysFor((String) kid).compose(k -> check(k, token, payload));
  }

  /**
   * The first registered claim whose type is wrong, or null. Checked before the library or {@link #claims} reads
   * them, so a wrong type is a bad token and never an exception.
   */
  static String malformedClaim(JsonObject payload) {
    if (!(payload.getValue("iss") instanceof String)) return "iss";
    Object aud = payload.getValue("aud");
    boolean audOk = aud instanceof String
        || aud instanceof JsonArray list && !list.isEmpty() && list.stream().allMatch(String.class::isInstance);
    if (!audOk) return "aud";
    for (String date : List.of("exp", "nbf", "iat")) {
      Object value = payload.getValue(date);
      if (value != null && !numericDate(value)) return date;
    }
    Object sub = payload.getValue("sub");
    if (sub != null && !(sub instanceof String)) return "sub";
    return null;
  }

  private static boolean numericDate(Object value) {
    if (!(value instanceof Number n)) return false;
    double seconds = n.doubleValue();
    return seconds >= 0 && seconds <= MAX_NUMERIC_DATE;
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

  /** One fetch at a time; concurrent callers share it (parsing included). */
  private Future<Keys> fetch() {
    if (inFlight != null) return inFlight;
    lastFetch = System.nanoTime();
    Future<Keys> f = fetcher.fetch()
        .compose(body -> vertx.executeBlocking(() -> parse(body), false))
        .onSuccess(k -> {
          keys = k;
          log.info("external issuer keys loaded from {}: {}", config.jwksUrl(), k.kids());
        })
        .onFailure(err -> log.warn("cannot load the external issuer keys from {}: {}", config.jwksUrl(),
            err.getMessage() == null ? err.toString() : err.getMessage()));
    inFlight = f;
    f.onComplete(ar -> inFlight = null);
    return f;
  }

  /** Runs on a worker: up to {@code jwks_max_keys} keys, each checked on its own. */
  private Keys parse(Buffer body) {
    Object list;
    try {
      list = new JsonObject(body).getValue("keys");
    } catch (RuntimeException e) {
      throw new IllegalStateException("the JWKS is not a JSON object");
    }
    if (!(list instanceof JsonArray entries)) throw new IllegalStateException("the JWKS has no 'keys' array");
    if (entries.size() > config.jwksMaxKeys()) {
      throw new IllegalStateException("the JWKS lists " + entries.size() + " keys, more than"
          + " auth.external.jwks_max_keys (" + config.jwksMaxKeys() + ")");
    }
    JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(new JWTOptions()
        .setIssuer(config.issuer())
        .setAudience(List.of(config.audience()))
        .setLeeway(config.clockSkewSeconds()));
    Set<String> kids = new HashSet<>();
    int usable = 0;
    for (Object entry : entries) {
      JsonObject jwk = entry instanceof JsonObject o ? publicKey(o) : null;
      if (jwk == null) continue;
      try {
        JWTAuth.create(vertx, new JWTAuthOptions().addJwk(jwk)); // rejects a malformed key alone, not the whole set
      } catch (RuntimeException e) {
        log.warn("skipping an unusable key {} in the external JWKS: {}", jwk.getValue("kid"), e.toString());
        continue;
      }
      options.addJwk(jwk);
      usable++;
      if (jwk.getString("kid") != null) kids.add(jwk.getString("kid"));
    }
    // Never build a verifier without keys: vertx-auth-jwt would then accept unsigned tokens.
    if (usable == 0) throw new IllegalStateException("the JWKS has no usable RS256, ES256 or EdDSA key");
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

  private Future<Claims> check(Keys k, String token, JsonObject payload) {
    Future<?> verified;
    try {
      verified = k.verifier().authenticate(new TokenCredentials(token));
    } catch (RuntimeException e) {
      verified = Future.failedFuture(e); // the library throws on some malformed input instead of failing
    }
    return verified
        .recover(err -> invalid(err instanceof NoSuchKeyIdException
            ? "The access token is signed with a key its issuer does not publish."
            : "The access token is invalid, expired, or not meant for this server."))
        .map(user -> claims(payload));
  }

  /** The claim checks, explicit rather than left to the library's defaults; types were checked by {@link #verify}. */
  private Claims claims(JsonObject payload) {
    long now = Instant.now().getEpochSecond();
    long skew = config.clockSkewSeconds();
    if (!config.issuer().equals(payload.getValue("iss"))) throw denied("The token's issuer is not accepted.");
    Object aud = payload.getValue("aud");
    boolean forUs = aud instanceof String ? aud.equals(config.audience())
        : aud instanceof JsonArray && ((JsonArray) aud).contains(config.audience());
    if (!forUs) throw denied("The access token is not meant for this server (aud).");
    if (!(payload.getValue("exp") instanceof Number)) throw denied("The access token has no expiry (exp).");
    long exp = payload.getLong("exp");
    if (now - skew >= exp) throw denied("The access token has expired.");
    Object nbf = payload.getValue("nbf");
    if (nbf != null && payload.getLong("nbf") > now + skew) {
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
    return fetcher.close();
  }
}
