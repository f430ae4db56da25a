package io.ltm.it;

import io.vertx.core.json.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 written byte for byte on a plain socket: what a browser or library would refuse to send (a malformed
 * %-escape, a 9,000-character header, a control character, a URL over the limit) reaches the server as is, and
 * whatever comes back — or nothing — is seen as is. One request per connection.
 */
final class RawHttp {
  private final int port;

  RawHttp(int port) {
    this.port = port;
  }

  /** Sends a request with the given raw target, headers (no Host/Content-Length needed) and body. */
  Response send(String method, String target, Map<String, String> headers, byte[] body) {
    StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
      .append("Host: 127.0.0.1:").append(port).append("\r\n").append("Connection: close\r\n");
    headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
    if (body != null) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (body != null) {
      request.writeBytes(body);
    }
    return exchange(request.toByteArray());
  }

  /** Writes exactly these bytes and reads the answer until the server closes or the body is complete. */
  Response exchange(byte[] bytes) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
      return read(socket.getInputStream());
    } catch (SocketTimeoutException e) {
      return new Response(-1, Map.of(), "", "no answer within 20 s");
    } catch (IOException e) {
      return new Response(-1, Map.of(), "", "connection failed: " + e);
    }
  }

  private static Response read(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    int headEnd = -1;
    Map<String, String> headers = new LinkedHashMap<>();
    int status = -1;
    int n;
    while ((n = in.read(buffer)) >= 0) {
      all.write(buffer, 0, n);
      byte[] sofar = all.toByteArray();
      if (headEnd < 0) {
        headEnd = indexOf(sofar, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        if (headEnd >= 0) {
          String[] lines = new String(sofar, 0, headEnd, StandardCharsets.ISO_8859_1).split("\r\n");
          status = Integer.parseInt(lines[0].split(" ")[1]);
          for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
          }
        }
      }
      if (headEnd >= 0 && headers.containsKey("content-length")
        && sofar.length - headEnd - 4 >= Integer.parseInt(headers.get("content-length"))) {
        break;
      }
    }
    if (headEnd < 0) {
      return new Response(-1, Map.of(), "", "the connection closed without an answer");
    }
    byte[] sofar = all.toByteArray();
    String body = new String(sofar, headEnd + 4, sofar.length - headEnd - 4, StandardCharsets.UTF_8);
    return new Response(status, headers, body, null);
  }

  private static int indexOf(byte[] data, byte[] pattern) {
    outer:
    for (int i = 0; i + pattern.length <= data.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** @param problem why there was no answer; null when there was one */
  record Response(int status, Map<String, String> headers, String body, String problem) {
    /** The error object, or null when the body is not the error JSON. */
    JsonObject error() {
      try {
        JsonObject json = new JsonObject(body);
        return json.getValue("error") instanceof JsonObject e ? e : null;
      } catch (RuntimeException notJson) {
        return null;
      }
    }

    @Override
    public String toString() {
      return problem != null ? problem : status + " " + headers + " " + (body.length() > 300 ? body.substring(0, 300) + "…" : body);
    }
  }
}
