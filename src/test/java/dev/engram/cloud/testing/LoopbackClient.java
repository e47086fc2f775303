package dev.engram.cloud.testing;

import io.vertx.core.json.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 requests sent from a chosen local address, so that one test can be several clients: on Linux every
 * 127.x.y.z is loopback (java.net.http cannot bind its local address on Java 17, hence a plain socket). One request
 * per connection ({@code Connection: close}), the body read to the end of the stream.
 */
public final class LoopbackClient {

  private final int port;
  private final String localAddress;

  public LoopbackClient(int port, String localAddress) {
    this.port = port;
    this.localAddress = localAddress;
  }

  public Api.Response post(String path, JsonObject body) {
    return post(path, body, Map.of());
  }

  public Api.Response post(String path, JsonObject body, Map<String, String> headers) {
    byte[] payload = body.encode().getBytes(StandardCharsets.UTF_8);
    StringBuilder extra = new StringBuilder();
    headers.forEach((name, value) -> extra.append(name).append(": ").append(value).append("\r\n"));
    try (Socket socket = new Socket()) {
      socket.setSoTimeout(30_000);
      socket.bind(new InetSocketAddress(localAddress, 0));
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + payload.length + "\r\nConnection: close\r\n" + extra + "\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.write(payload);
      out.flush();
      return parse(socket.getInputStream());
    } catch (IOException e) {
      throw new IllegalStateException("POST " + path + " from " + localAddress + " failed: " + e, e);
    }
  }

  private static Api.Response parse(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    String text = all.toString(StandardCharsets.UTF_8);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) throw new IOException("no complete response head: " + text);
    String[] lines = text.substring(0, end).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.computeIfAbsent(lines[i].substring(0, colon).trim(), k -> new ArrayList<>())
          .add(lines[i].substring(colon + 1).trim());
    }
    return new Api.Response(status, HttpHeaders.of(headers, (name, value) -> true), text.substring(end + 4));
  }
}
