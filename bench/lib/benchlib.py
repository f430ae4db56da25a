"""What every control-plane benchmark shares: its own database, vhost, ports and processes, the LTM jar, the
bench's Java helpers, percentiles, and the results file. Everything a bench starts is stopped by `Bench.close`,
which runs on exit, on an exception and on SIGTERM/SIGINT."""
import atexit, hashlib, json, os, secrets, shutil, signal, socket, subprocess, sys, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# BENCH_LTM_JAR: measure another build of LTM (an optimisation's before and after, run back to back).
JAR = os.environ.get("BENCH_LTM_JAR") or os.path.join(ROOT, "target", "ltm.jar")
BENCH_CLASSES = os.path.join(ROOT, "target", "bench-classes")


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load():
    """The machine's load averages (1, 5, 15 min) and its CPU count: recorded beside every figure."""
    with open("/proc/loadavg") as f:
        one, five, fifteen = f.read().split()[:3]
    return f"load average {one}, {five}, {fifteen} on {os.cpu_count()} cores"


def cpu_seconds(pid):
    """CPU time (user + system, all threads) a process has used so far. Per request, it is a figure the other
    helpers' load barely moves, unlike requests per second."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Jfr:
    """A Flight Recorder recording of a running JVM between start() and stop() (jcmd), so it covers exactly the
    phase measured."""

    def __init__(self, pid, path):
        self.pid, self.path = pid, path

    def start(self):
        subprocess.run(["jcmd", str(self.pid), "JFR.start", "name=bench", "settings=profile"], check=True,
                       capture_output=True)

    def stop(self):
        subprocess.run(["jcmd", str(self.pid), "JFR.stop", "name=bench", f"filename={self.path}"], check=True,
                       capture_output=True)
        return self.path


def jfr_top(path, n=25):
    """The recording's execution samples: the hottest top frames, and the LTM methods most often on the stack.
    `jfr print` writes each sample as `jdk.ExecutionSample {`, then `stackTrace = [`, one frame a line
    (`pkg.Class.method(args) line: N`, `...` when cut), and `]`."""
    out = subprocess.run(["jfr", "print", "--events", "jdk.ExecutionSample", "--stack-depth", "64", path],
                         capture_output=True, text=True).stdout
    top, ours, samples, in_stack = {}, {}, 0, False
    frames = []
    for line in out.splitlines() + ["jdk.ExecutionSample {"]:
        s = line.strip()
        if s.startswith("jdk.ExecutionSample"):
            if frames:
                samples += 1
                top[frames[0]] = top.get(frames[0], 0) + 1
                for f in set(frames):
                    if f.startswith("io.ltm."):
                        ours[f] = ours.get(f, 0) + 1
            frames, in_stack = [], False
        elif s.startswith("stackTrace = ["):
            in_stack = True
        elif in_stack and s == "]":
            in_stack = False
        elif in_stack and s and s != "...":
            frames.append(s.split(" line:")[0].strip())
    fmt = lambda d: [f"{100.0 * c / max(1, samples):5.1f} %  {f}" for f, c in sorted(d.items(), key=lambda x: -x[1])[:n]]
    return samples, fmt(top), fmt(ours)


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100.0 * len(s) + 0.5)) - 1))]


def sql(database, statement):
    out = subprocess.run(["mariadb", "-h127.0.0.1", "-uroot", "-N", "-B", database, "-e", statement],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


# A smoke only checks that a bench still runs: its JVMs skip the C2 compiler, whose warm-up on a busy 2-core
# machine tripled LTM's start (19 s against 6 s) and is worth nothing in a run of a second.
SMOKE_JVM = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]


def ensure_ready(smoke):
    """wrk from Debian, the local services, the jar and the bench's own Java helpers."""
    if shutil.which("wrk") is None:
        apt = ["apt-get", "-o", "DPkg::Lock::Timeout=600"]
        subprocess.run(apt + ["update", "-q"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(apt + ["install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    # ensure-services asks rabbitmq-diagnostics (two seconds); two open ports are all a bench needs to know.
    if not (port_open(3306) and port_open(5672)):
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "ensure-services")], check=True,
                       stdout=subprocess.DEVNULL)
    if not os.path.exists(JAR):
        subprocess.run(["mvn", "-B", "-q", "package", "-DskipTests"], cwd=ROOT, check=True)
    sources = [os.path.join(ROOT, "bench", "java", f) for f in os.listdir(os.path.join(ROOT, "bench", "java"))]
    stamp = os.path.join(BENCH_CLASSES, ".built")
    newest = max(os.path.getmtime(p) for p in sources + [JAR])
    if not os.path.exists(stamp) or os.path.getmtime(stamp) < newest:
        shutil.rmtree(BENCH_CLASSES, ignore_errors=True)
        os.makedirs(BENCH_CLASSES)
        subprocess.run(["javac", "-nowarn", "-cp", JAR, "-d", BENCH_CLASSES] + sources, check=True)
        open(stamp, "w").close()


class Bench:
    """One run's private world: database ltm_bench_<name>_<checkout>, vhost of the same name, free ports.
    `smoke`: every JVM it starts runs with SMOKE_JVM."""

    def __init__(self, name, smoke=False):
        checkout = hashlib.sha1(ROOT.encode()).hexdigest()[:8]
        self.name = name
        self.smoke = smoke
        self.database = f"ltm_bench_{name.replace('-', '_')}_{checkout}"
        # The vhost is new for every run (named after this process), so it never needs emptying first; those of
        # runs that were killed before their cleanup are swept meanwhile (_sweep_vhosts).
        self.vhost_prefix = f"ltm-bench-{name}-{checkout}-"
        self.vhost = f"{self.vhost_prefix}{os.getpid()}"
        self.workdir = f"/tmp/ltm-bench-{name}-{checkout}"
        self.processes = []
        self.closed = False
        atexit.register(self.close)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: sys.exit(130))
        subprocess.run(["mariadb", "-h127.0.0.1", "-uroot", "-e",
                        f"DROP DATABASE IF EXISTS {self.database}; CREATE DATABASE {self.database} CHARACTER SET utf8mb4"],
                       check=True)
        os.makedirs(self.workdir, exist_ok=True)
        self.databases = [self.database]
        self.vhosts = [self.vhost]
        self.account_databases = [self.database]
        # rabbitmqctl takes a second or two per call: the vhost is made while the first JVM boots (LTM retries its
        # broker connections until the vhost is there); whoever needs the broker waits for it (vhost_ready).
        self._vhost_error = None
        self._vhost = threading.Thread(target=self._make_vhost, daemon=True)
        self._vhost.start()
        self._sweep = threading.Thread(target=self._sweep_vhosts, daemon=True)
        self._sweep.start()

    def _sweep_vhosts(self):
        listed = subprocess.run(["rabbitmqctl", "-q", "list_vhosts"], capture_output=True, text=True).stdout.split()
        for vhost in listed:
            pid = vhost[len(self.vhost_prefix):].split("-")[0]  # <prefix><pid>, or <prefix><pid>-<suffix>
            if vhost.startswith(self.vhost_prefix) and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)

    def _make_vhost(self):
        try:
            make_vhost(self.vhost)
        except Exception as e:  # reported by vhost_ready, on the bench's own thread
            self._vhost_error = e

    def extra_vhost(self, suffix):
        """Another vhost of this run (a second LTM's own), deleted with the rest."""
        name = f"{self.vhost}-{suffix}"
        make_vhost(name)
        self.vhosts.append(name)
        return name

    def extra_database(self, suffix):
        """Another empty database of this run (a baseline's own), dropped with the rest."""
        name = f"{self.database}_{suffix}"
        subprocess.run(["mariadb", "-h127.0.0.1", "-uroot", "-e",
                        f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name} CHARACTER SET utf8mb4"], check=True)
        self.databases.append(name)
        return name

    def vhost_ready(self):
        self._vhost.join()
        if self._vhost_error:
            raise self._vhost_error

    def jvm(self):
        return SMOKE_JVM if self.smoke else []

    def start(self, what, cmd, env=None, log_name=None):
        """Starts a process of the bench (output to its log; stdin a pipe the bench may write to)."""
        log = open(os.path.join(self.workdir, (log_name or what) + ".log"), "w")
        proc = subprocess.Popen(cmd, env=dict(os.environ, **(env or {})), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.PIPE, text=True, start_new_session=True)
        self.processes.append((what, proc))
        return proc

    def ltm(self, role="dev", heap="1g", extra_env=None, jvm_args=(), port=None, jar=None, database=None, vhost=None,
            what="ltm"):
        """Starts `ltm <role>` against this bench's database and vhost on `port` (else a free one); returns its base
        URL once it is ready. `jar`, `database`, `vhost`: a second LTM (another build) beside the first."""
        port = port or free_port()
        env = {"LTM_HTTP_PORT": str(port), "LTM_HTTP_HOST": "127.0.0.1", "LTM_PUBLIC_URL": f"http://127.0.0.1:{port}",
               "LTM_MYSQL_DATABASE": database or self.database,
               "LTM_RABBITMQ_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost or self.vhost}",
               "LTM_ENV": f"bench-{self.name}", "LTM_AGENT_WORK_DIR": os.path.join(self.workdir, "agents"),
               # No per-key rate limit: a bench's few keys make thousands of requests a minute, and 429s answered
               # in microseconds would pass for throughput.
               "LTM_API_RATE_LIMIT": "0"}
        env.update(extra_env or {})
        proc = self.start(what, ["java", f"-Xmx{heap}", *self.jvm(), *jvm_args, "-jar", jar or JAR, role], env)
        if what == "ltm":
            self.ltm_pid = proc.pid
        self.pids = getattr(self, "pids", {})
        self.pids[what] = proc.pid
        self.vhost_ready()
        wait_http(f"http://127.0.0.1:{port}/ready", 120, self.workdir, proc)
        return f"http://127.0.0.1:{port}"

    def java(self, what, main, args, heap="512m", env=None):
        return self.start(what, self.java_cmd(main, args, heap), env)

    def java_cmd(self, main, args, heap="512m"):
        """The command line of one of the bench's Java helpers (bench/java)."""
        return ["java", f"-Xmx{heap}", *self.jvm(), "-cp", f"{JAR}:{BENCH_CLASSES}", main, *map(str, args)]

    def accounts(self, n):
        """n accounts with an API key each, written as LTM writes them (key hashed, prefix to find it)."""
        keys, rows_a, rows_k = [], [], []
        for i in range(n):
            acc = "acc_bench" + secrets.token_hex(6)
            prefix = secrets.token_hex(5)
            key = f"ltm_{prefix}_{secrets.token_hex(16)}"
            rows_a.append(f"('{acc}', 'bench {i}', 'bench-{i}-{acc}@example.test')")
            rows_k.append(f"('key_{acc}', '{acc}', '{prefix}', '{hashlib.sha256(key.encode()).hexdigest()}', 'bench')")
            keys.append((acc, key))
        for database in self.account_databases:
            for chunk in range(0, n, 500):
                sql(database, "INSERT INTO accounts (id, name, email) VALUES " + ",".join(rows_a[chunk:chunk + 500]))
                sql(database, "INSERT INTO api_keys (id, account_id, prefix, key_hash, label) VALUES "
                    + ",".join(rows_k[chunk:chunk + 500]))
        return keys

    def close(self):
        if self.closed:
            return
        self.closed = True
        # Everything is asked to stop at once, then waited for (SIGKILL after 20 s).
        running = [proc for _, proc in reversed(self.processes) if proc.poll() is None]
        for proc in running:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.time() + 20
        for proc in running:
            try:
                proc.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._vhost.join()
        self._sweep.join()
        vhosts = [subprocess.Popen(["rabbitmqctl", "-q", "delete_vhost", v], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL) for v in self.vhosts]
        subprocess.run(["mariadb", "-h127.0.0.1", "-uroot", "-e",
                        "".join(f"DROP DATABASE IF EXISTS {d};" for d in self.databases)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for v in vhosts:
            v.wait()
        if os.environ.get("BENCH_KEEP_LOGS") is None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def make_vhost(name):
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"], check=True,
                   stdout=subprocess.DEVNULL)


def wait_http(url, seconds, logdir=None, proc=None):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process serving {url} exited with {proc.returncode} (logs in {logdir})")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer 200 within {seconds} s (logs in {logdir})")


def metrics(base):
    """/metrics as {name{labels}: value}."""
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            try:
                out[name] = float(value)
            except ValueError:
                pass
    return out


def server_pct_ms(before, after, route, p=99):
    """LTM's own latency for a route between two /metrics samples (its histogram, every status): the upper bound of
    the bucket holding the p-th percentile, in ms, as Prometheus' histogram_quantile would read it without
    interpolation. What LTM took, without the client's own waits on a shared machine."""
    buckets = {}
    for k, v in after.items():
        # A route reached through several matching routes is labelled with all of them joined by ">".
        if k.startswith("vertx_http_server_response_time_seconds_bucket{") and (
                f'route="{route}"' in k or f'>{route}"' in k):
            le = k.split('le="', 1)[1].split('"', 1)[0]
            bound = float("inf") if le == "+Inf" else float(le)
            buckets[bound] = buckets.get(bound, 0) + v - before.get(k, 0)
    if not buckets:
        return float("nan")
    total = buckets[float("inf")]
    for bound in sorted(buckets):
        if total and buckets[bound] >= p / 100.0 * total:
            return 1000 * bound
    return float("nan")


def pool_wait_ms(before, after, pool="ltm-mysql"):
    """Mean wait for a MySQL connection (ms) between two /metrics samples, and how many queries waited."""
    def total(m, suffix):
        return sum(v for k, v in m.items() if k.startswith("vertx_pool_queue_time_seconds_" + suffix)
                   and f'pool_name="{pool}"' in k)
    n = total(after, "count") - total(before, "count")
    return (1000 * (total(after, "sum") - total(before, "sum")) / n if n else 0.0), n


def write_results(name, title, command, lines):
    path = os.path.join(ROOT, "bench", "results", name + ".md")
    with open(path, "w") as f:
        f.write(f"# {title}\n\nCommand: `{command}` on {time.strftime('%Y-%m-%d %H:%M')}, {load()} at the end "
                "(others were using the machine unless the load is below 0.5).\n\n")
        f.write("\n".join(lines) + "\n")
    return path
