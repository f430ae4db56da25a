package io.ltm.cloud;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Signals whole process groups (an agent and its ffmpeg). Blocking: call from a worker thread. */
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
