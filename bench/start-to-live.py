#!/usr/bin/env python3
"""Start-to-live latency: how long a customer waits from "start" to a playable preview.

Baseline, measured in the same run on the same machine: plain ffmpeg with exactly the agent's settings (its command
line, read from /proc while the first warm start runs: test pattern, the `mobile` offer's 240p + 144p, 2 s HLS
segments, forced keyframes, the thumbnail output), until its master playlist and a segment of every rendition exist
(the agent's own LIVE rule). The ratio says what LTM adds on top of ffmpeg's own start: the API, the
outbox and RabbitMQ hop, the worker, starting the agent JVM, its call home, and the status report.

With `--provider ec2` the stream starts on the ec2 provider instead: LTM calls the EC2 API of moto_server (from
the machine image, started here on a free port and stopped after) through its production client, and a small
instance runner here plays EC2 + cloud-init, running each instance's user-data as the image would (the same
deploy/ami/ltm-agent-start). The LTM figure then includes RunInstances, the reconciler seeing the instance run and
the boot script; the ffmpeg baseline is measured in the same run as before.

Each run measures three starts, interleaved: plain ffmpeg, a **warm** start (the pool of the `mobile` offer's class
set to one booted agent, waited for) and a **cold** start (the pool set to 0): medians, p90 and the ratios to
ffmpeg, and for warm starts the time from `POST …/start` to the agent holding its pipeline (`machines.pipeline_at`).

Usage: bench/start-to-live.py [runs] [--provider local|ec2] [--smoke]
(builds nothing: run `mvn -B -q package -DskipTests` first). Needs the local MariaDB and RabbitMQ
(scripts/ensure-services). Writes bench/results/start-to-live.md (start-to-live-ec2.md for ec2); `--smoke` is one
run that writes nothing (CI). Each run has its own database, vhost, port and processes, removed at the end.
"""
import json, math, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.request

ARGS = [a for a in sys.argv[1:] if not a.startswith("--provider")]
PROVIDER = "ec2" if "--provider=ec2" in sys.argv or ("--provider" in sys.argv and
                                                     sys.argv[sys.argv.index("--provider") + 1] == "ec2") else "local"
SMOKE = "--smoke" in ARGS
ARGS = [a for a in ARGS if a not in ("local", "ec2", "--smoke")]
RUNS = 1 if SMOKE else int(ARGS[0]) if ARGS else 10
PORT = None  # chosen free at start
NAME = f"ltm_bench_{os.getpid()}"
AGENTS_DIR = None
PEER = None
OPERATOR_TOKEN = f"bench-{os.getpid()}-{time.time()}"
LOG = f"/tmp/{NAME}.log"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def api(key, method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        data = r.read()
        return json.loads(data) if data else None


def wait_state(key, sid, state, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = api(key, "GET", f"/api/v1/streams/{sid}")
        if s["state"] == state:
            return s
        if s["state"] == "FAILED":
            raise RuntimeError(s["stateReason"])
        time.sleep(0.05)
    raise TimeoutError(f"{sid} never reached {state}")


AGENT_FFMPEG = None  # the agent's own ffmpeg command line, read from /proc during the first warm start


def capture_agent_ffmpeg(work_dir):
    """The exact argv of the ffmpeg an agent runs (NUL-separated in /proc), so the baseline runs the same settings:
    the same ladder, GOP, HLS muxer options and thumbnail output, not a look-alike."""
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = [a.decode() for a in f.read().split(b"\0") if a]
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == "ffmpeg" and any(work_dir in a for a in argv):
            return argv, work_dir
    return None


def ffmpeg_first_segment_seconds():
    """Plain ffmpeg, the agent's command line with its folder swapped for a scratch one, until the master playlist
    and a segment of every rendition exist (the agent's own LIVE rule)."""
    out = tempfile.mkdtemp(prefix="bench-ffmpeg-")
    argv, work_dir = AGENT_FFMPEG
    cmd = [a.replace(work_dir, out) for a in argv]
    renditions = sorted({os.path.relpath(os.path.dirname(a), os.path.join(out, "hls")).split(os.sep)[0]
                         for a in cmd if a.endswith("index.m3u8") and "%v" not in a} | {
        r for a in cmd for r in re.findall(r"name:([^ ,]+)", a)})
    os.makedirs(os.path.join(out, "hls", "dash"), exist_ok=True)
    start = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        while time.time() - start < 60:
            hls = os.path.join(out, "hls")
            if os.path.exists(os.path.join(hls, "master.m3u8")) and renditions and all(
                    os.path.exists(os.path.join(hls, r, "index.m3u8"))
                    and any(f.startswith("seg_") for f in os.listdir(os.path.join(hls, r))) for r in renditions):
                return time.time() - start
            time.sleep(0.05)
        raise TimeoutError("ffmpeg wrote no segment: " + " ".join(cmd))
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(out, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Ec2Peer:
    """moto_server on a free port, with subnets, a security group and an image for LTM, and an instance runner."""

    def __init__(self, env_tag):
        moto = shutil.which("moto_server")
        if not moto:
            raise SystemExit("moto_server is not on PATH: --provider ec2 needs Python moto (part of the machine image)")
        try:
            import boto3
        except ImportError:
            raise SystemExit("boto3 (installed with moto) is missing for " + sys.executable)
        self.port = free_port()
        self.log = open(f"/tmp/{NAME}-moto.log", "w")
        self.proc = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(self.port)], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=dict(os.environ, MOTO_ENABLE_AMI_VALIDATION="true"),
                                     start_new_session=True)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        kw = dict(endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id="bench",
                  aws_secret_access_key="bench")
        self.ec2 = boto3.client("ec2", **kw)
        ssm = boto3.client("ssm", **kw)
        subnets = sorted(self.ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"],
                         key=lambda s: s["AvailabilityZone"])[:2]
        group = self.ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
        ami = [i for i in self.ec2.describe_images(Owners=["amazon"])["Images"] if i["Architecture"] == "x86_64"][0]
        ssm.put_parameter(Name="/ltm/bench/agent-ami", Value=ami["ImageId"], Type="String", Overwrite=True)
        self.ltm_env = dict(LTM_CLOUD_PROVIDER="ec2", LTM_EC2_ENDPOINT=self.endpoint, LTM_EC2_REGION="us-east-1",
                            LTM_EC2_IMAGE="/ltm/bench/agent-ami", LTM_RECONCILE_SECONDS="1",
                            LTM_EC2_SUBNETS=",".join(s["SubnetId"] for s in subnets), LTM_EC2_SECURITY_GROUPS=group,
                            AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_EC2_METADATA_DISABLED="true")
        self.env_tag = env_tag
        self.sandbox = tempfile.mkdtemp(prefix="ltm-bench-ec2-")
        self.groups = {}
        self.running = True
        self.thread = threading.Thread(target=self.run_instances, daemon=True)
        self.thread.start()

    def run_instances(self):
        """EC2 + cloud-init: boot each tagged instance's user-data in a group of its own; power it off when ended."""
        import base64
        while self.running:
            try:
                found = self.ec2.describe_instances(Filters=[{"Name": "tag:ltm:env", "Values": [self.env_tag]}])
                for r in found["Reservations"]:
                    for i in r["Instances"]:
                        iid, state = i["InstanceId"], i["State"]["Name"]
                        if state in ("pending", "running") and iid not in self.groups:
                            data = self.ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")
                            script = base64.b64decode(data["UserData"]["Value"]).decode()
                            root = os.path.join(self.sandbox, iid)
                            os.makedirs(os.path.join(root, "opt/ltm/bin"))
                            shutil.copy(os.path.join(ROOT, "deploy/ami/ltm-agent-start"), os.path.join(root, "opt/ltm/bin/"))
                            os.symlink(os.path.join(ROOT, "target", "ltm.jar"), os.path.join(root, "opt/ltm/ltm.jar"))
                            with open(os.path.join(root, "user-data"), "w") as f:
                                f.write(script)
                            console = open(os.path.join(root, "console.log"), "w")
                            self.groups[iid] = subprocess.Popen(
                                ["sh", os.path.join(root, "user-data")], stdout=console, stderr=subprocess.STDOUT,
                                start_new_session=True, env=dict(os.environ, LTM_ROOT=root, LTM_ADVERTISED_HOST="127.0.0.1",
                                                                 LTM_AGENT_JAVA_OPTS="-Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"))
                        elif state not in ("pending", "running") and iid in self.groups:
                            self.power_off(self.groups.pop(iid))
            except Exception as e:  # a passing error of the peer: look again
                print("instance runner:", e, file=sys.stderr)
            time.sleep(0.2)

    @staticmethod
    def power_off(proc):
        for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            deadline = time.time() + wait
            while time.time() < deadline and proc.poll() is None:
                time.sleep(0.1)

    def close(self):
        self.running = False
        self.thread.join(timeout=5)
        for proc in list(self.groups.values()):
            self.power_off(proc)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        shutil.rmtree(self.sandbox, ignore_errors=True)


def main():
    global PORT, AGENTS_DIR, PEER
    PORT = free_port()
    vhost = NAME.replace("_", "-")
    subprocess.run(["mariadb", "-uroot", "-e", f"DROP DATABASE IF EXISTS {NAME}; CREATE DATABASE {NAME}"], check=True)
    sh("rabbitmqctl", "add_vhost", vhost)
    sh("rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    env = dict(os.environ, LTM_HTTP_PORT=str(PORT), LTM_PUBLIC_URL=f"http://127.0.0.1:{PORT}",
               LTM_MYSQL_DATABASE=NAME, LTM_RABBITMQ_URI=f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
               LTM_ENV=f"bench-{PROVIDER}-{os.getpid()}", LTM_AGENT_WORK_DIR=f"/tmp/{NAME}-agents",
               LTM_OPERATOR_TOKEN=OPERATOR_TOKEN,
               # The bench polls a stream's state every 50 ms through three starts a run: no API rate limit here.
               LTM_API_RATE_LIMIT="0")
    peer = ltm = None
    ok = False
    agents = env["LTM_AGENT_WORK_DIR"]
    AGENTS_DIR = agents
    try:
        peer = PEER = Ec2Peer(env["LTM_ENV"]) if PROVIDER == "ec2" else None
        if peer:
            env.update(peer.ltm_env)
        ltm = run_ltm(env)
        measure(ltm)
        ok = True
    finally:
        if ltm:
            try:  # a stopped LTM leaves its warm machines running, on purpose: this run's are drained first
                operator("POST", "pools/drain", {})
                deadline = time.time() + 30
                while time.time() < deadline and any(p["idle"] + p["booting"] + p["stopped"]
                                                     for p in operator("GET", "pools")["pools"]):
                    time.sleep(0.2)
            except Exception as e:
                print("drain:", e, file=sys.stderr)
            ltm.terminate()
            try:
                ltm.wait(timeout=30)
            except subprocess.TimeoutExpired:
                ltm.kill()
        if peer:
            peer.close()
        subprocess.run(["mariadb", "-uroot", "-e", f"DROP DATABASE IF EXISTS {NAME}"])
        subprocess.run(["rabbitmqctl", "delete_vhost", vhost], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        reap(agents)
        shutil.rmtree(agents, ignore_errors=True)
        if ok:  # a failed run keeps its logs to read
            for log in (LOG, f"/tmp/{NAME}-moto.log"):
                if os.path.exists(log):
                    os.remove(log)


def reap(work_dir):
    """Agents of this run (their command line names its work dir) must not outlive it, whatever happened."""
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if work_dir.encode() in f.read():
                    os.kill(int(pid), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass


def run_ltm(env):
    log = open(LOG, "w")
    return subprocess.Popen(["java", "-jar", os.path.join(ROOT, "target", "ltm.jar"), "dev"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def operator(method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}/operator/v1/{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {OPERATOR_TOKEN}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def pool_of(poolClass):
    for p in operator("GET", "pools")["pools"]:
        if p["class"] == poolClass:
            return p
    return {"idle": 0, "booting": 0, "stopped": 0}


def set_pool(poolClass, size, timeout=180):
    """A pool of `size` idle machines (0: none, booting ones gone too), waited for before anything is timed."""
    operator("PUT", f"pools/{poolClass}", {"minIdle": size, "maxIdle": size})
    deadline = time.time() + timeout
    while time.time() < deadline:
        p = pool_of(poolClass)
        if (size and p["idle"] >= size) or (not size and p["idle"] + p["booting"] + p["stopped"] == 0):
            return
        time.sleep(0.2)
    raise TimeoutError(f"pool {poolClass} never reached {size}")


def db_value(sql):
    out = subprocess.run(["mariadb", "-uroot", "-N", "-B", NAME, "-e", sql], check=True, capture_output=True,
                         text=True).stdout.strip()
    return out or None


def start_to_live(key, kind):
    """One start of a fresh `mobile` stream: seconds to LIVE, seconds to the agent holding its pipeline, and how
    the start was served (its STARTING event's detail.start)."""
    sid = api(key, "POST", "/api/v1/orders", {"offerId": "mobile"})["streams"][0]["id"]
    t0 = time.time()
    api(key, "POST", f"/api/v1/streams/{sid}/start")
    wait_state(key, sid, "LIVE")
    live = time.time() - t0
    global AGENT_FFMPEG
    if AGENT_FFMPEG is None:
        machine = db_value(f"SELECT machine_id FROM streams WHERE id = '{sid}'")
        if PROVIDER == "ec2":  # the instance runner's sandbox of the instance, laid out like the image
            ref = db_value(f"SELECT provider_ref FROM machines WHERE id = '{machine}'")
            AGENT_FFMPEG = capture_agent_ffmpeg(os.path.join(PEER.sandbox, ref, "var/lib/ltm/agent"))
        else:
            AGENT_FFMPEG = capture_agent_ffmpeg(os.path.join(AGENTS_DIR, machine))
    served = db_value(f"SELECT start_kind FROM machines WHERE stream_id = '{sid}'") or "cold"
    pipeline_at = db_value(f"SELECT UNIX_TIMESTAMP(pipeline_at) FROM machines WHERE stream_id = '{sid}'")
    api(key, "POST", f"/api/v1/streams/{sid}/stop")
    wait_state(key, sid, "STOPPED")
    if served != kind:
        raise RuntimeError(f"a {kind} run was served {served}")
    return live, (float(pipeline_at) - t0 if pipeline_at and pipeline_at != "NULL" else None)


def pct(values, q):
    """Nearest rank: the value below which q of the runs fall (with 10 runs, p90 is the 9th, p99 the slowest)."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(q * len(s)) - 1))]


def measure(ltm):
    key = None
    for _ in range(600):
        m = re.search(r"Demo API key: (\S+)", open(LOG).read())
        if m:
            key = m.group(1)
            break
        if ltm.poll() is not None:
            break
        time.sleep(0.1)
    if not key:
        raise RuntimeError("ltm dev did not start; see " + LOG)
    # The pool a `mobile` start takes from: the offer itself on local, its first instance type on ec2.
    poolClass = "mobile" if PROVIDER == "local" else "c6i.large"
    ffmpeg_times, warm_times, cold_times, handed = [], [], [], []
    # Interleaved, so a change of the machine's load touches all three alike.
    for i in range(RUNS):
        set_pool(poolClass, 1)
        live, pipeline = start_to_live(key, "warm")
        warm_times.append(live)
        if pipeline is not None:
            handed.append(pipeline)
        if AGENT_FFMPEG is None:
            raise RuntimeError("the agent's ffmpeg command line was not found")
        ffmpeg_times.append(ffmpeg_first_segment_seconds())
        set_pool(poolClass, 0)
        cold_times.append(start_to_live(key, "cold")[0])
        print(f"run {i + 1}: ffmpeg alone {ffmpeg_times[-1]:.2f} s, warm start->LIVE {warm_times[-1]:.2f} s "
              f"(pipeline after {handed[-1] * 1000 if handed else float('nan'):.0f} ms), cold {cold_times[-1]:.2f} s")
    ff = statistics.median(ffmpeg_times)
    load = open("/proc/loadavg").read().split()[:3]
    command = f"bench/start-to-live.py {RUNS}" + (" --provider ec2" if PROVIDER == "ec2" else "")
    where = " on the ec2 provider (moto_server EC2 API, user-data booted by the instance runner)" if PROVIDER == "ec2" else ""

    def row(what, times):
        return (f"| {what} | {statistics.median(times):.2f} s | {pct(times, 0.9):.2f} s | "
                f"{statistics.median(times) / ff:.2f}× | {', '.join(f'{t:.2f}' for t in times)} |\n")
    report = (f"# Start to live{' on ec2' if PROVIDER == 'ec2' else ''}\n\nCommand: `{command}` on "
              f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, load average {' '.join(load)} at the end "
              f"(others were working on this machine: figures are noisy). Warm, cold and ffmpeg runs interleaved.\n\n"
              f"| what | median of {RUNS} | p90 | ratio to ffmpeg (medians) | runs (s) |\n| --- | --- | --- | --- | --- |\n"
              + row("baseline: ffmpeg alone, the agent's own command line (read from /proc), to a segment of every rendition",
                    ffmpeg_times)
              + row(f"LTM{where}, **warm** start (a booted agent from a pool of 1): `POST …/start` to LIVE", warm_times)
              + row(f"LTM{where}, **cold** start (pool of 0, a machine launched): `POST …/start` to LIVE", cold_times)
              + (f"\n`POST …/start` to the warm agent holding its pipeline (the machine's `pipeline_at`): "
                 f"median {statistics.median(handed) * 1000:.0f} ms, p90 {pct(handed, 0.9) * 1000:.0f} ms, "
                 f"p99 {pct(handed, 0.99) * 1000:.0f} ms over {len(handed)} warm starts.\n" if handed else "")
              + f"\n**Warm / ffmpeg alone: {statistics.median(warm_times) / ff:.2f}×**; cold / ffmpeg alone: "
                f"{statistics.median(cold_times) / ff:.2f}× (LTM adds {statistics.median(warm_times) - ff:.2f} s warm, "
                f"{statistics.median(cold_times) - ff:.2f} s cold, to what ffmpeg itself needs).\n")
    if SMOKE:
        print(f"smoke: start->LIVE warm {warm_times[0]:.2f} s, cold {cold_times[0]:.2f} s on {PROVIDER} "
              f"(no results written)")
        return
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    name = "start-to-live-ec2.md" if PROVIDER == "ec2" else "start-to-live.md"
    with open(os.path.join(ROOT, "bench", "results", name), "w") as f:
        f.write(report)
    print(report)


if __name__ == "__main__":
    main()
