package io.ltm.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The processes of an LTM environment as an operator would look for them, straight from {@code /proc}: every process
 * whose environment carries the environment's tag ({@code LTM_TAG_ENV}, set on each agent and inherited by its
 * ffmpeg), and every agent JVM named by its command line. Independent of the provider's own listing on purpose.
 */
final class TaggedProcesses {
  private TaggedProcesses() {
  }

  /** One tagged process: its pid, the machine it belongs to, and what it runs. */
  record Tagged(long pid, String machineId, String command) {
    boolean isAgent() {
      return command.contains("io.ltm.Main agent") || command.contains("-Dltm.machine=");
    }

    boolean isFfmpeg() {
      return command.startsWith("ffmpeg") || command.contains("/ffmpeg ");
    }
  }

  /** Every live process of environment {@code env}, by environment tag or by the agent's command-line tag. */
  static List<Tagged> of(String env) {
    List<Tagged> found = new ArrayList<>();
    long self = ProcessHandle.current().pid();
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.toList()) {
        String name = proc.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit) || Long.parseLong(name) == self) {
          continue;
        }
        Map<String, String> vars = variables(read(proc.resolve("environ")));
        String cmdline = read(proc.resolve("cmdline")).replace('\0', ' ').trim();
        String machine = null;
        if (env.equals(vars.get("LTM_TAG_ENV"))) {
          machine = vars.get("LTM_TAG_MACHINE");
        } else if (cmdline.contains("-Dltm.env=" + env + " ")) {
          int at = cmdline.indexOf("-Dltm.machine=");
          machine = at < 0 ? "?" : cmdline.substring(at + 14, cmdline.indexOf(' ', at));
        } else {
          continue;
        }
        boolean alive = ProcessHandle.of(Long.parseLong(name)).map(ProcessHandle::isAlive).orElse(false);
        if (alive && !isZombie(proc)) {
          found.add(new Tagged(Long.parseLong(name), machine, cmdline));
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc", e);
    }
    return found;
  }

  /** The agent JVMs of {@code env}, by machine id (more than one entry per machine would be a duplicate). */
  static Map<String, List<Long>> agents(String env) {
    Map<String, List<Long>> agents = new TreeMap<>();
    for (Tagged t : of(env)) {
      if (t.isAgent()) {
        agents.computeIfAbsent(t.machineId(), k -> new ArrayList<>()).add(t.pid());
      }
    }
    return agents;
  }

  /** SIGKILL to every process of {@code env}: the cleanup of a test that failed half-way. */
  static void killAll(String env) {
    for (Tagged t : of(env)) {
      ProcessHandle.of(t.pid()).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  private static boolean isZombie(Path proc) {
    String stat = read(proc.resolve("stat"));
    int close = stat.lastIndexOf(')');
    return close < 0 || stat.length() < close + 3 || stat.charAt(close + 2) == 'Z';
  }

  private static Map<String, String> variables(String environ) {
    Map<String, String> vars = new TreeMap<>();
    for (String entry : environ.split("\0")) {
      int eq = entry.indexOf('=');
      if (eq > 0 && entry.startsWith("LTM_TAG_")) {
        vars.put(entry.substring(0, eq), entry.substring(eq + 1));
      }
    }
    return vars;
  }

  private static String read(Path file) {
    try {
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException gone) {
      return "";
    }
  }
}
