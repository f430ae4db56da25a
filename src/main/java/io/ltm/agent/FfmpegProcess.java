package io.ltm.agent;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One running ffmpeg, seen from the agent's context. Nothing here blocks an event loop: the fork runs on a
 * worker, the exit arrives through {@link Process#onExit()}, and each output stream is drained by its own
 * daemon thread that hands every line back to the context.
 *
 * <p>ffmpeg dies with its agent: it runs under {@code setpriv --pdeathsig KILL}, so a SIGKILLed agent leaves no
 * encoder behind under pid 1. It also inherits the agent's environment, which carries the machine's tag
 * ({@code LTM_TAG_MACHINE}), so the reconciler finds it by tag should it survive anyway.
 */
final class FfmpegProcess {
  private static final String SETPRIV = "/usr/bin/setpriv";
  /**
   * PR_SET_PDEATHSIG fires when the thread that forked the child ends, not only the process: every ffmpeg is forked
   * from this one thread, which lives as long as the agent's JVM.
   */
  private static final ExecutorService SPAWNER = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "ffmpeg-spawner");
    t.setDaemon(true);
    return t;
  });

  /** How long ffmpeg gets after SIGTERM to close its playlists before it is killed. */
  static final long KILL_AFTER_MS = 3_000;

  private final Vertx vertx;
  private final Process process;
  private final Future<Integer> exit;

  private FfmpegProcess(Vertx vertx, Process process, Future<Integer> exit) {
    this.vertx = vertx;
    this.process = process;
    this.exit = exit;
  }

  /** Handlers run on {@code context}, one line at a time, in order per stream. */
  static Future<FfmpegProcess> start(Vertx vertx, Context context, List<String> command, Handler<String> stdout,
                                     Handler<String> stderr) {
    return start(vertx, context, command, null, stdout, stderr);
  }

  /**
   * @param stdin what ffmpeg reads on its stdin (a few hundred bytes: the pipe takes them at once), then end of
   *              file; null: nothing. How a secret reaches ffmpeg without being on its command line.
   */
  static Future<FfmpegProcess> start(Vertx vertx, Context context, List<String> command, String stdin,
                                     Handler<String> stdout, Handler<String> stderr) {
    Promise<Process> forked = Promise.promise();
    SPAWNER.execute(() -> {
      try {
        Process process = new ProcessBuilder(diesWithParent(command)).start();
        if (stdin != null) {
          try {
            process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
          } catch (IOException e) {
            // ffmpeg died at once; its exit and stderr say why.
          }
        }
        context.runOnContext(v -> forked.complete(process));
      } catch (IOException | RuntimeException e) {
        context.runOnContext(v -> forked.fail(e));
      }
    });
    return forked.future()
      .map(process -> {
      closeQuietly(process);
      Future<Void> outDone = drain(context, process.getInputStream(), stdout, "ffmpeg-stdout-" + process.pid());
      Future<Void> errDone = drain(context, process.getErrorStream(), stderr, "ffmpeg-stderr-" + process.pid());
      Future<Process> exited = Future.fromCompletionStage(process.onExit(), context);
      // Wait for both streams to end too, so whoever reads the exit already has ffmpeg's last error line.
      Future<Integer> exit = Future.all(exited, outDone, errDone).map(all -> process.exitValue());
      return new FfmpegProcess(vertx, process, exit);
    });
  }

  /** The command under {@code setpriv --pdeathsig KILL} where util-linux has it (Debian always does). */
  static List<String> diesWithParent(List<String> command) {
    if (!Files.isExecutable(Path.of(SETPRIV))) {
      return command;
    }
    List<String> wrapped = new ArrayList<>(List.of(SETPRIV, "--pdeathsig", "KILL", "--"));
    wrapped.addAll(command);
    return wrapped;
  }

  long pid() {
    return process.pid();
  }

  /** Completes with the exit code when ffmpeg has exited and its output is read. */
  Future<Integer> exit() {
    return exit;
  }

  /** SIGTERM, then SIGKILL if ffmpeg is still there after {@link #KILL_AFTER_MS}. */
  Future<Integer> stop() {
    if (process.isAlive()) {
      process.destroy();
      long timer = vertx.setTimer(KILL_AFTER_MS, id -> process.destroyForcibly());
      exit.onComplete(ar -> vertx.cancelTimer(timer));
    }
    return exit;
  }

  private static Future<Void> drain(Context context, InputStream in, Handler<String> lines, String name) {
    Promise<Void> done = Promise.promise();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          String l = line;
          context.runOnContext(v -> lines.handle(l));
        }
      } catch (IOException e) {
        // The stream closes under us when ffmpeg is killed: the end of output, not an error.
      }
      context.runOnContext(v -> done.complete());
    }, name);
    reader.setDaemon(true);
    reader.start();
    return done.future();
  }

  private static void closeQuietly(Process process) {
    try {
      process.getOutputStream().close();
    } catch (IOException ignored) {
      // ffmpeg runs with -nostdin; an unclosable stdin changes nothing.
    }
  }
}
