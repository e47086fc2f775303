package dev.engram.cloud.testing;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/** A plain HTTP client for the REST API, the way a user's program would call it. */
public final class Api {

  private final HttpClient http;
  private final String base;

  public Api(int port) {
    this(port, HttpClient.Version.HTTP_2);
  }

  /**
   * A client of one HTTP version. HTTP/1.1 for tests of a server that stops: the JDK 17 client fails every stream of
   * a connection that receives GOAWAY, even those the server still answers (JDK-8335181).
   */
  public Api(int port, HttpClient.Version version) {
    this.http = HttpClient.newBuilder().version(version).connectTimeout(Duration.ofSeconds(5)).build();
    this.base = "http://127.0.0.1:" + port;
  }

  public record Response(int status, java.net.http.HttpHeaders headers, String body) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }
  }

  public record Account(String tenantId, String userId, String apiKey, String email, String password) {}

  /** A user who joined a tenant through an invite, signed in to it. */
  public record Member(String userId, String email, String password, String role, String token) {}

  /** Signs up a fresh tenant and returns its first (admin) key. */
  public Account signup() {
    String email = "user-" + UUID.randomUUID() + "@example.com";
    String password = "correct horse battery";
    Response r = post("/v1/signup", null,
        new JsonObject().put("email", email).put("password", password).put("tenant_name", "Tenant " + email));
    if (r.status() != 201) throw new AssertionError("signup failed: " + r.status() + " " + r.body());
    JsonObject j = r.json();
    return new Account(j.getString("tenant_id"), j.getString("user_id"), j.getString("api_key"), email, password);
  }

  /** Signs in with email and password (into {@code tenant}, an id or slug, when given) and returns the access token. */
  public String signIn(String email, String password, String tenant) {
    Map<String, String> headers = tenant == null ? Map.of() : Map.of("X-Engram-Tenant", tenant);
    Response r = send("POST", "/v1/auth/token", headers,
        new JsonObject().put("email", email).put("password", password).encode(), "application/json");
    if (r.status() != 200) throw new AssertionError("sign-in failed: " + r.status() + " " + r.body());
    return r.json().getString("access_token");
  }

  /**
   * Invites a fresh email with {@code role} using {@code adminCredential}, accepts the invite with a new account,
   * and signs it in to the tenant.
   */
  public Member join(String adminCredential, String role) {
    String email = role + "-" + UUID.randomUUID() + "@example.com";
    String password = "member password " + role;
    Response invite = post("/v1/invites", adminCredential, new JsonObject().put("email", email).put("role", role));
    if (invite.status() != 201) throw new AssertionError("invite failed: " + invite.status() + " " + invite.body());
    Response accepted = post("/v1/invites/accept", null, new JsonObject().put("token", invite.json().getString("token"))
        .put("email", email).put("password", password));
    if (accepted.status() != 200) throw new AssertionError("accept failed: " + accepted.status() + " " + accepted.body());
    String tenant = accepted.json().getString("tenant_id");
    return new Member(accepted.json().getString("user_id"), email, password, role, signIn(email, password, tenant));
  }

  /** Creates a memory and returns it (fails the test on anything but 201). */
  public JsonObject createMemory(String key, JsonObject memory) {
    Response r = post("/v1/memories", key, memory);
    if (r.status() != 201) throw new AssertionError("create failed: " + r.status() + " " + r.body());
    return r.json();
  }

  public Response get(String path, String key) {
    return send("GET", path, key, null);
  }

  public Response post(String path, String key, JsonObject body) {
    return send("POST", path, key, body == null ? null : body.encode());
  }

  /**
   * Waits until every memory of the key's tenant has its vector (computed in the background after a write), so
   * that semantic search sees them all.
   */
  public void awaitVectors(String key) {
    Eventually.until(java.time.Duration.ofSeconds(60), "every memory has its vector",
        () -> get("/v1/stats", key).json().getLong("vectors_pending") == 0);
  }

  /** POST /v1/search, which must answer 200; the parsed answer. */
  public JsonObject search(String key, JsonObject body) {
    Response r = post("/v1/search", key, body);
    if (r.status() != 200) throw new AssertionError("search " + body.encode() + " → " + r.status() + ": " + r.body());
    return r.json();
  }

  /** The contents of a search answer's results, best first. */
  public static java.util.List<String> contents(JsonObject searchAnswer) {
    java.util.List<String> out = new java.util.ArrayList<>();
    searchAnswer.getJsonArray("results").forEach(r -> out.add(((JsonObject) r).getJsonObject("memory").getString("content")));
    return out;
  }

  public Response patch(String path, String key, JsonObject body) {
    return send("PATCH", path, key, body.encode());
  }

  public Response delete(String path, String key) {
    return send("DELETE", path, key, null);
  }

  public Response send(String method, String path, String key, String body) {
    return send(method, path, key == null ? Map.of() : Map.of("Authorization", "Bearer " + key),
        body, "application/json");
  }

  /** Full control: any headers, any raw body, any content type (null for none). */
  public Response send(String method, String path, Map<String, String> headers, String body, String contentType) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    headers.forEach(b::header);
    if (body != null && contentType != null) b.header("Content-Type", contentType);
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
