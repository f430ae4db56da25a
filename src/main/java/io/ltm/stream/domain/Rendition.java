package io.ltm.stream.domain;

/** One output of a ladder: a resolution with its bitrates. Plain data, shared by server and agent. */
public record Rendition(String name, int width, int height, int videoBitrateKbps, int fps, int audioBitrateKbps) {
}
