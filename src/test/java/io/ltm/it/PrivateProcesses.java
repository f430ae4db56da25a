package io.ltm.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@link PrivateRabbitMq} and {@link PrivateMariaDb} share: a data dir of their own under
 * {@code target/private/<kind>-<owner pid>-<n>}, free ports, commands with a timeout, and the sweep that kills
 * whatever an earlier test JVM left behind when it was killed before its shutdown hook could run.
 * Processes are found by that data dir on their command line or in their environment, never by name, so
 * the shared servers and other checkouts' instances are never touched.
 */
final class PrivateProcesses {
  private static final Path BASE = Path.of("target", "private").toAbsolutePath();
  private static final Pattern OWNED = Pattern.compile("[a-z]+-(\\d+)-\\d+");
  private static final AtomicInteger SEQ = new AtomicInteger();
  /**
   * PR_SET_PDEATHSIG fires when the thread that forked the child ends, not the JVM: children are spawned from
   * this one thread, which lives as long as the JVM, so they die with the test JVM and not with a test thread.
   */
  private static final ExecutorService SPAWNER = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "private-services-spawner");
    t.setDaemon(true);
    return t;
  });

  private PrivateProcesses() {
  }

  /** A fresh, empty data dir for one instance of {@code kind}, after sweeping the leftovers of dead JVMs. */
  static synchronized Path newDir(String kind) throws IOException {
    sweepStale();
    Path dir = BASE.resolve(kind + "-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet());
    deleteTree(dir);
    Files.createDirectories(dir);
    return dir;
  }

  /** Instances whose owning JVM is gone: their processes are killed and their dirs deleted. */
  private static void sweepStale() throws IOException {
    if (!Files.isDirectory(BASE)) {
      return;
    }
    try (var dirs = Files.list(BASE)) {
      for (Path dir : dirs.toList()) {
        Matcher m = OWNED.matcher(dir.getFileName().toString());
        if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).map(ProcessHandle::isAlive).orElse(false)) {
          continue;
        }
        killReferencing(dir);
        deleteTree(dir);
      }
    }
  }

  /** SIGKILL to every process that names {@code dir} in its command line or environment. */
  static void killReferencing(Path dir) {
    for (ProcessHandle p : referencing(dir)) {
      p.destroyForcibly();
    }
    long deadline = System.currentTimeMillis() + 10_000;
    while (!referencing(dir).isEmpty() && System.currentTimeMillis() < deadline) {
      sleep(100);
    }
  }

  static List<ProcessHandle> referencing(Path dir) {
    String needle = dir.toString();
    List<ProcessHandle> found = new ArrayList<>();
    long self = ProcessHandle.current().pid();
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.toList()) {
        String name = proc.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit) || Long.parseLong(name) == self) {
          continue;
        }
        if (mentions(proc.resolve("cmdline"), needle) || mentions(proc.resolve("environ"), needle)) {
          ProcessHandle.of(Long.parseLong(name)).filter(ProcessHandle::isAlive).ifPresent(found::add);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc", e);
    }
    return found;
  }

  private static boolean mentions(Path file, String needle) {
    try {
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).contains(needle);
    } catch (IOException | RuntimeException gone) {
      return false;
    }
  }

  /** Starts a child from the long-lived spawner thread (see {@link #SPAWNER}). */
  static Process spawn(ProcessBuilder builder) throws IOException {
    try {
      return SPAWNER.submit(builder::start).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IOException("could not start " + builder.command() + ": " + e.getMessage(), e);
    }
  }

  /** Runs a command to its end (at most {@code timeoutSeconds}); its exit code and merged output. */
  static Result run(List<String> command, java.util.Map<String, String> env, long timeoutSeconds) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    Path out = Files.createTempFile("ltm-private-", ".out");
    builder.redirectOutput(out.toFile());
    try {
      Process p = spawn(builder);
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        return new Result(-1, String.join(" ", command) + " timed out after " + timeoutSeconds + " s\n"
          + Files.readString(out));
      }
      return new Result(p.exitValue(), Files.readString(out));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      Files.deleteIfExists(out);
    }
  }

  record Result(int exitCode, String output) {
    Result orThrow(String what) throws IOException {
      if (exitCode != 0) {
        throw new IOException(what + " failed (exit " + exitCode + "):\n" + output);
      }
      return this;
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static boolean answers(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 300);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no " + file + ")";
    }
  }

  static void sleep(long ms) {
    try {
      TimeUnit.MILLISECONDS.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
