package io.ltm.cloud;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/** Signals whole process groups (an agent and its ffmpeg), and tagged processes. Blocking: call from a worker thread. */
final class ProcessGroups {
  private static final long GRACE_MS = 3000;

  private ProcessGroups() {
  }

  /** SIGTERM to the group, then SIGKILL to whatever is left after a grace period. */
  static void kill(long groupId) throws IOException, InterruptedException {
    if (members(groupId).isEmpty()) {
      return;
    }
    signal("TERM", groupId);
    long deadline = System.currentTimeMillis() + GRACE_MS;
    while (System.currentTimeMillis() < deadline && !members(groupId).isEmpty()) {
      TimeUnit.MILLISECONDS.sleep(100);
    }
    if (!members(groupId).isEmpty()) {
      signal("KILL", groupId);
    }
  }

  /**
   * SIGTERM to each process {@code current} names, then SIGKILL to those still there after the grace period; asks
   * {@code current} again each time, so a process that ended (or a pid reused) is not signalled.
   */
  static void killAll(Supplier<List<ProcessHandle>> current) throws InterruptedException {
    List<ProcessHandle> found = current.get();
    if (found.isEmpty()) {
      return;
    }
    found.forEach(ProcessHandle::destroy);
    long deadline = System.currentTimeMillis() + GRACE_MS;
    while (System.currentTimeMillis() < deadline && !(found = current.get()).isEmpty()) {
      TimeUnit.MILLISECONDS.sleep(100);
    }
    current.get().forEach(ProcessHandle::destroyForcibly);
  }

  /** The process group of a live process, from /proc. */
  static Optional<Long> groupOf(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      return Optional.of(Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[2]));
    } catch (IOException | RuntimeException gone) {
      return Optional.empty();
    }
  }

  /**
   * Each process's {@code LTM_*} environment variables as it was started ({@code /proc/<pid>/environ}), to
   * {@code visit}; processes that end while we look, or whose environment we may not read, are skipped.
   */
  static void environments(BiConsumer<Long, Map<String, String>> visit) throws IOException {
    try (var dirs = Files.list(Path.of("/proc"))) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        String name = dir.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        byte[] raw;
        try {
          raw = Files.readAllBytes(dir.resolve("environ"));
        } catch (IOException | RuntimeException gone) {
          continue;
        }
        Map<String, String> vars = new HashMap<>();
        for (String entry : new String(raw, StandardCharsets.UTF_8).split("\0")) {
          int eq = entry.indexOf('=');
          if (eq > 0 && entry.startsWith("LTM_")) {
            vars.put(entry.substring(0, eq), entry.substring(eq + 1));
          }
        }
        if (!vars.isEmpty()) {
          visit.accept(Long.parseLong(name), vars);
        }
      }
    }
  }

  /** Pids whose process group is {@code groupId}, read from /proc. */
  static List<Long> members(long groupId) throws IOException {
    List<Long> pids = new ArrayList<>();
    try (var dirs = Files.list(Path.of("/proc"))) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        String name = dir.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String stat = Files.readString(dir.resolve("stat"));
          // Fields after the parenthesised command: state, ppid, pgrp, …
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          if (Long.parseLong(fields[2]) == groupId && !fields[0].equals("Z")) {
            pids.add(Long.parseLong(name));
          }
        } catch (IOException | RuntimeException gone) {
          // The process ended while we looked.
        }
      }
    }
    return pids;
  }

  private static void signal(String signal, long groupId) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-s", signal, "--", "-" + groupId).inheritIO().start().waitFor(5, TimeUnit.SECONDS);
  }
}
