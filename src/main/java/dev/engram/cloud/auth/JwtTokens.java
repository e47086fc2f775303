package dev.engram.cloud.auth;

import dev.engram.cloud.bus.ApiException;
import dev.engram.cloud.config.EngramConfig;
import dev.engram.cloud.sqlite.PrivateFiles;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.Base64;
import java.util.List;

/**
 * The server's own JWTs (RS256). The signing key is generated on first start and kept in
 * {@code <data>/keys/jwt-signing-key.json} (mode 600); its public half is served at {@code /.well-known/jwks.json}.
 */
public final class JwtTokens {

  private final JWTAuth jwt;
  private final JsonObject publicJwk;
  private final EngramConfig.Auth config;

  private JwtTokens(JWTAuth jwt, JsonObject publicJwk, EngramConfig.Auth config) {
    this.jwt = jwt;
    this.publicJwk = publicJwk;
    this.config = config;
  }

  /** Loads or creates the signing key. Blocking (file I/O, key generation): call from a worker. */
  public static JwtTokens load(Vertx vertx, Path dataDir, EngramConfig.Auth config) throws IOException {
    Path file = dataDir.resolve("keys").resolve("jwt-signing-key.json");
    JsonObject privateJwk;
    if (Files.exists(file)) {
      privateJwk = new JsonObject(Files.readString(file));
    } else {
      privateJwk = generateRsaJwk();
      PrivateFiles.createDirectories(file.getParent());
      Path tmp = file.resolveSibling("jwt-signing-key.json.tmp");
      Files.deleteIfExists(tmp); // left by a crash between writing and moving
      // private before the key is written into it, not after
      PrivateFiles.createFile(tmp);
      Files.writeString(tmp, privateJwk.encode());
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
    JsonObject publicJwk = new JsonObject()
        .put("kty", "RSA").put("use", "sig").put("alg", "RS256")
        .put("kid", privateJwk.getString("kid"))
        .put("n", privateJwk.getString("n")).put("e", privateJwk.getString("e"));
    JWTAuth jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addJwk(privateJwk)
        .setJWTOptions(new JWTOptions()
            .setIssuer(config.issuer())
            .setAudience(List.of(config.audience()))
            .setLeeway(30)));
    return new JwtTokens(jwt, publicJwk, config);
  }

  public JsonObject jwks() {
    return new JsonObject().put("keys", new JsonArray().add(publicJwk));
  }

  /**
   * A session token for a user in one tenant. {@code tv} is the user's token version: a password change raises it,
   * and tokens of an older version stop. The role and scopes are informational: every request takes the role the
   * user has in the tenant now.
   */
  public String issue(String userId, String tenantId, Role role, int tokenVersion) {
    JsonObject claims = new JsonObject()
        .put("tid", tenantId)
        .put("role", role.value())
        .put("scope", String.join(" ", role.scopes()))
        .put("tv", tokenVersion);
    return jwt.generateToken(claims, new JWTOptions()
        .setAlgorithm("RS256")
        .setHeader(new JsonObject().put("kid", publicJwk.getString("kid")))
        .setIssuer(config.issuer())
        .setAudience(List.of(config.audience()))
        .setSubject(userId)
        .setExpiresInSeconds(config.tokenTtlSeconds()));
  }

  public int ttlSeconds() {
    return config.tokenTtlSeconds();
  }

  /** A verified session token: its tenant, user and token version (0 for tokens issued before versions). */
  public record Verified(String tenantId, String userId, int tokenVersion) {}

  /** Verifies signature, issuer, audience and expiry; fails with 401 otherwise. */
  public Future<Verified> verify(String token) {
    return jwt.authenticate(new TokenCredentials(token))
        .recover(err -> Future.failedFuture(ApiException.unauthorized("invalid_token",
            "The access token is invalid or expired.")))
        .map(user -> {
          JsonObject claims = user.attributes().getJsonObject("accessToken", user.principal());
          String tenant = claims.getString("tid");
          String subject = claims.getString("sub");
          if (tenant == null || subject == null) {
            throw ApiException.unauthorized("invalid_token", "The access token does not name a tenant and user.");
          }
          Object version = claims.getValue("tv");
          return new Verified(tenant, subject, version instanceof Number n ? n.intValue() : 0);
        });
  }

  private static JsonObject generateRsaJwk() {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
      gen.initialize(2048);
      RSAPrivateCrtKey key = (RSAPrivateCrtKey) gen.generateKeyPair().getPrivate();
      return new JsonObject()
          .put("kty", "RSA").put("alg", "RS256").put("use", "sig")
          .put("kid", "engram-" + Ids.base62(12))
          .put("n", b64(key.getModulus())).put("e", b64(key.getPublicExponent()))
          .put("d", b64(key.getPrivateExponent()))
          .put("p", b64(key.getPrimeP())).put("q", b64(key.getPrimeQ()))
          .put("dp", b64(key.getPrimeExponentP())).put("dq", b64(key.getPrimeExponentQ()))
          .put("qi", b64(key.getCrtCoefficient()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** JWK integers: unsigned big-endian, base64url without padding (RFC 7518 §6.3). */
  private static String b64(BigInteger value) {
    byte[] bytes = value.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) {
      bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
