package dev.engram.cloud.testing;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An external token issuer for tests: a JDK HTTP server publishing a JWKS, with keys (RSA 2048, EC P-256,
 * Ed25519) generated here, and the signing done here with the JDK, the way an identity provider would. Counts the
 * JWKS requests it receives.
 */
public final class TestIssuer implements AutoCloseable {

  public static final String AUDIENCE = "engram-test-api";

  public enum Alg {
    RS256("SHA256withRSA"), ES256("SHA256withECDSAinP1363Format"), EdDSA("Ed25519");

    final String jdkName;

    Alg(String jdkName) {
      this.jdkName = jdkName;
    }
  }

  /** A signing key pair with its key id; published or not. */
  public record SigningKey(String kid, Alg alg, KeyPair pair) {

    public JsonObject publicJwk() {
      JsonObject jwk = new JsonObject().put("kid", kid).put("use", "sig").put("alg", alg.name());
      if (pair.getPublic() instanceof RSAPublicKey rsa) {
        return jwk.put("kty", "RSA").put("n", b64(unsigned(rsa.getModulus(), 256)))
            .put("e", b64(rsa.getPublicExponent().toByteArray()));
      }
      if (pair.getPublic() instanceof ECPublicKey ec) {
        return jwk.put("kty", "EC").put("crv", "P-256").put("x", b64(unsigned(ec.getW().getAffineX(), 32)))
            .put("y", b64(unsigned(ec.getW().getAffineY(), 32)));
      }
      byte[] x509 = pair.getPublic().getEncoded(); // the raw 32-byte Ed25519 key ends the X.509 encoding
      return jwk.put("kty", "OKP").put("crv", "Ed25519").put("x", b64(Arrays.copyOfRange(x509, x509.length - 32, x509.length)));
    }
  }

  private final HttpServer server;
  private final String issuer;
  private final List<SigningKey> published = new CopyOnWriteArrayList<>();
  private final AtomicInteger jwksRequests = new AtomicInteger();
  private final List<String> jwksTraceparents = new CopyOnWriteArrayList<>();

  private TestIssuer(HttpServer server, String issuer) {
    this.server = server;
    this.issuer = issuer;
  }

  public static TestIssuer start() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      TestIssuer issuer = new TestIssuer(server, "http://127.0.0.1:" + server.getAddress().getPort());
      server.createContext("/jwks.json", exchange -> {
        issuer.jwksRequests.incrementAndGet();
        String traceparent = exchange.getRequestHeaders().getFirst("traceparent");
        if (traceparent != null) issuer.jwksTraceparents.add(traceparent);
        JsonArray keys = new JsonArray();
        issuer.published.forEach(k -> keys.add(k.publicJwk()));
        byte[] body = new JsonObject().put("keys", keys).encode().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      server.start();
      return issuer;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public String issuer() {
    return issuer;
  }

  public String jwksUrl() {
    return issuer + "/jwks.json";
  }

  public int jwksRequests() {
    return jwksRequests.get();
  }

  /** The {@code traceparent} headers the JWKS downloads carried (traced servers propagate their trace). */
  public List<String> jwksTraceparents() {
    return List.copyOf(jwksTraceparents);
  }

  /** Server config overrides pointing the server at this issuer. */
  public JsonObject serverConfig() {
    return new JsonObject().put("auth", new JsonObject().put("external", new JsonObject()
        .put("jwks_url", jwksUrl()).put("issuer", issuer).put("audience", AUDIENCE)));
  }

  public SigningKey publish(SigningKey key) {
    published.add(key);
    return key;
  }

  public static SigningKey newKey(Alg alg, String kid) {
    try {
      KeyPairGenerator gen;
      switch (alg) {
        case RS256 -> {
          gen = KeyPairGenerator.getInstance("RSA");
          gen.initialize(2048);
        }
        case ES256 -> {
          gen = KeyPairGenerator.getInstance("EC");
          gen.initialize(new ECGenParameterSpec("secp256r1"));
        }
        default -> gen = KeyPairGenerator.getInstance("Ed25519");
      }
      return new SigningKey(kid, alg, gen.generateKeyPair());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Valid claims for {@code subject}: this issuer, our audience, five minutes to live. */
  public JsonObject claims(String subject) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("iss", issuer).put("aud", AUDIENCE).put("sub", subject)
        .put("iat", now).put("exp", now + 300);
  }

  public static String sign(SigningKey key, JsonObject claims) {
    return sign(new JsonObject().put("alg", key.alg().name()).put("typ", "JWT").put("kid", key.kid()),
        claims, key.alg().jdkName, key.pair().getPrivate());
  }

  public static String sign(JsonObject header, JsonObject claims, String jdkAlgorithm, PrivateKey key) {
    String input = b64(header.encode().getBytes(StandardCharsets.UTF_8)) + "."
        + b64(claims.encode().getBytes(StandardCharsets.UTF_8));
    try {
      Signature signature = Signature.getInstance(jdkAlgorithm);
      signature.initSign(key);
      signature.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + b64(signature.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  public static String b64(JsonObject json) {
    return b64(json.encode().getBytes(StandardCharsets.UTF_8));
  }

  /** JWK integers: unsigned big-endian, left-padded to the field size. */
  private static byte[] unsigned(BigInteger value, int length) {
    byte[] bytes = value.toByteArray();
    if (bytes.length == length) return bytes;
    byte[] out = new byte[length];
    if (bytes.length > length) System.arraycopy(bytes, bytes.length - length, out, 0, length);
    else System.arraycopy(bytes, 0, out, length - bytes.length, bytes.length);
    return out;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
