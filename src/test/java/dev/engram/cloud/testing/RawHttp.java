package dev.engram.cloud.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP/1.1 request written by hand on a plain socket, for the abuse suite: the test decides when each byte of
 * the body goes out, so it can watch what the server answers before the upload is finished (which an ordinary
 * client hides) and count how much it had to send.
 */
public final class RawHttp implements AutoCloseable {

  /** A response as read off the wire. */
  public record Response(int status, Map<String, String> headers, String body) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;
  private long bodyBytesSent;

  private RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.in = socket.getInputStream();
  }

  public static RawHttp connect(int port) {
    try {
      Socket socket = new Socket();
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout(15_000);
      return new RawHttp(socket);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes the request line and headers ({@code Host} is added); the body follows through {@link #send}. */
  public RawHttp head(String method, String path, Map<String, String> headers) {
    StringBuilder b = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n");
    if (headers.keySet().stream().noneMatch(h -> h.equalsIgnoreCase("Host"))) b.append("Host: 127.0.0.1\r\n");
    headers.forEach((k, v) -> b.append(k).append(": ").append(v).append("\r\n"));
    b.append("\r\n");
    try {
      out.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return this;
  }

  /** Sends part of the body; false when the server has closed or reset the connection. */
  public boolean send(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
      bodyBytesSent += bytes.length;
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public long bodyBytesSent() {
    return bodyBytesSent;
  }

  /** Waits for the response (its body read by Content-Length); fails when none comes within {@code timeout}. */
  public Response response(Duration timeout) {
    try {
      socket.setSoTimeout((int) timeout.toMillis());
      String statusLine = line();
      if (statusLine == null) throw new AssertionError("the connection closed without a response");
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      Map<String, String> headers = new TreeMap<>();
      for (String h = line(); h != null && !h.isEmpty(); h = line()) {
        int colon = h.indexOf(':');
        headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      byte[] body = in.readNBytes(length);
      return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no response within " + timeout);
    } catch (IOException e) {
      throw new AssertionError("the connection failed before a response: " + e);
    }
  }

  /** True when the server ends the connection (EOF or reset) within {@code timeout}, reading nothing more. */
  public boolean closedByServer(Duration timeout) {
    try {
      socket.setSoTimeout((int) timeout.toMillis());
      return in.read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset: the server closed with bytes of ours unread, which is the point
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') break;
      if (c != '\r') b.write(c);
    }
    if (c < 0 && b.size() == 0) return null;
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing a test socket
    }
  }
}
