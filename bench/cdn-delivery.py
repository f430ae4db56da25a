#!/usr/bin/env python3
"""CDN delivery: how soon a segment the agent closed is playable on the CDN, and what delivery costs the agent.

One run, same machine, same ladder (the `mobile` offer: 240p + 144p, 2 s segments, test pattern):
  A. baseline: a stream on the built-in origin (no delivery) for SECONDS, agent CPU measured;
  B. the same stream delivered by http-put to a real nginx WebDAV peer on this host for SECONDS, agent CPU measured,
     and for every playlist the agent published on the CDN the delay from the segment closing (the local playlist
     written by ffmpeg) to the CDN answering the upload of the playlist that names it (the agent logs each as
     `delivered cdn=… format=hls closedToPlayableMs=…`).
Agent CPU is the agent JVM plus its ffmpeg (every process whose command line names the run's agent folder), from
/proc utime+stime over the same window. Figures: p50/p99 closed→playable, and CPU B / CPU A.

Usage: bench/cdn-delivery.py [seconds] [--smoke] [--dash]   (needs target/ltm.jar, MariaDB, RabbitMQ, nginx)
--smoke: a few seconds, results to target/bench-cdn-delivery.md instead of bench/results/ (CI).
--dash: both streams also packaged as DASH (A and B alike, so the ratio is still delivery on / off); B's DASH manifest
        is measured the same way (`format=dash`: manifest written by ffmpeg → manifest on the CDN naming the segment).
        Results to bench/results/cdn-delivery-dash.md.
Everything it starts (LTM, agents, nginx, database, vhost, folders) is removed when it ends, even on failure.
"""
import json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

SMOKE = "--smoke" in sys.argv
DASH = "--dash" in sys.argv
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
SECONDS = int(ARGS[0]) if ARGS else (4 if SMOKE else 60)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAG = f"{os.getpid()}"
DB = f"ltm_bench_cdn_{TAG}"
VHOST = f"ltm-bench-cdn-{TAG}"
WORK = tempfile.mkdtemp(prefix="ltm-bench-cdn-")
AGENTS = os.path.join(WORK, "agents")
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def quiet(*cmd):
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Api:
    def __init__(self, port, key):
        self.port, self.key = port, key

    def __call__(self, method, path, body=None):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            data = r.read()
            return json.loads(data) if data else None

    def wait(self, sid, state, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            s = self("GET", f"/api/v1/streams/{sid}")
            if s["state"] == state:
                return s
            if s["state"] == "FAILED":
                raise RuntimeError(s["stateReason"])
            time.sleep(0.2)
        raise TimeoutError(f"{sid} never reached {state}")


def agent_cpu_ticks():
    """utime+stime of every process whose command line names this run's agent folder."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if AGENTS.encode() not in f.read():
                    continue
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return total


def start_nginx():
    d = os.path.join(WORK, "nginx")
    os.makedirs(os.path.join(d, "www"))
    port = free_port()
    root = "user root root;\n" if os.geteuid() == 0 else ""
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(f"""{root}daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 256; }}
http {{ access_log off; client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/f;
  uwsgi_temp_path {d}/u; scgi_temp_path {d}/s;
  server {{ listen 127.0.0.1:{port}; root {d}/www;
    location / {{ dav_methods PUT DELETE; create_full_put_path on; client_max_body_size 64m; }} }} }}
""")
    proc = subprocess.Popen(["/usr/sbin/nginx", "-p", d, "-c", os.path.join(d, "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}/cdn"
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nginx did not start")


def measure(api, cdn, label):
    sid = api("POST", "/api/v1/orders", {"offerId": "mobile"})["streams"][0]["id"]
    change = {}
    if cdn:
        change["cdn"] = {"primary": cdn}
    if DASH:
        change["outputs"] = {"dash": True}
    if change:
        api("PATCH", f"/api/v1/streams/{sid}", change)
    api("POST", f"/api/v1/streams/{sid}/start")
    api.wait(sid, "LIVE")
    time.sleep(2)  # past the start-up burst
    t0, c0 = time.time(), agent_cpu_ticks()
    time.sleep(SECONDS)
    cpu = (agent_cpu_ticks() - c0) / TICK / (time.time() - t0)
    latencies = {"hls": [], "dash": []}
    for m in os.listdir(AGENTS):
        log = os.path.join(AGENTS, m, "agent.log")
        if os.path.exists(log) and cdn:
            for fmt, ms in re.findall(r"format=(\w+) closedToPlayableMs=(\d+)", open(log).read()):
                latencies.setdefault(fmt, []).append(int(ms))
    api("POST", f"/api/v1/streams/{sid}/stop")
    api.wait(sid, "STOPPED")
    print(f"{label}: agent CPU {cpu:.3f} cores over {SECONDS} s" + (f", {len(latencies['hls'])} playlists and "
          f"{len(latencies['dash'])} DASH manifests delivered" if cdn else ""))
    return cpu, latencies


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    load = open("/proc/loadavg").read().split()[:3]
    nginx = ltm = None
    try:
        subprocess.run(["mariadb", "-uroot", "-e", f"DROP DATABASE IF EXISTS {DB}; CREATE DATABASE {DB}"], check=True)
        quiet("rabbitmqctl", "delete_vhost", VHOST)
        quiet("rabbitmqctl", "add_vhost", VHOST)
        quiet("rabbitmqctl", "set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")
        nginx, dav = start_nginx()
        port = free_port()
        env = dict(os.environ, LTM_HTTP_PORT=str(port), LTM_HTTP_HOST="127.0.0.1", LTM_PUBLIC_URL=f"http://127.0.0.1:{port}",
                   LTM_ADVERTISED_HOST="127.0.0.1", LTM_MYSQL_DATABASE=DB, LTM_RABBITMQ_URI=f"amqp://guest:guest@127.0.0.1:5672/{VHOST}",
                   LTM_ENV=f"bench-cdn-{TAG}", LTM_AGENT_WORK_DIR=AGENTS, LTM_HEARTBEAT_SECONDS="1")
        log_path = os.path.join(WORK, "ltm.log")
        ltm = subprocess.Popen(["java", "-jar", os.path.join(ROOT, "target", "ltm.jar"), "dev"], env=env,
                               stdout=open(log_path, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        key = None
        for _ in range(1200):
            m = re.search(r"Demo API key: (\S+)", open(log_path).read())
            if m:
                key = m.group(1)
                break
            if ltm.poll() is not None:
                break
            time.sleep(0.1)
        if not key:
            raise RuntimeError("ltm dev did not start:\n" + open(log_path).read()[-3000:])
        api = Api(port, key)
        profile = api("POST", "/api/v1/cdn-profiles", {"name": "bench dav", "kind": "http-put", "url": dav})["id"]
        cpu_off, _ = measure(api, None, "A: origin only (delivery off)")
        cpu_on, delivered = measure(api, profile, "B: http-put to nginx (delivery on)")
        lat, dash = delivered["hls"], delivered["dash"]
        if not lat or DASH and not dash:
            raise RuntimeError("no delivery measured")
        report = (f"# CDN delivery\n\nCommand: `bench/cdn-delivery.py {SECONDS}{' --smoke' if SMOKE else ''}{' --dash' if DASH else ''}` on "
                  f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load average {' '.join(load)} at start "
                  f"(a shared machine: figures are noisy; re-measure on a quiet host).\n\n"
                  f"Ladder: `mobile` offer (240p + 144p), test pattern, 2 s segments{', HLS and DASH' if DASH else ''}; "
                  f"CDN: nginx WebDAV on this host.\n\n"
                  f"| what | figure |\n| --- | --- |\n"
                  f"| segment closed on the agent → playable on the CDN, p50 | {pct(lat, 50)} ms |\n"
                  f"| same, p99 ({len(lat)} playlists) | {pct(lat, 99)} ms |\n"
                  + (f"| DASH: manifest written by ffmpeg → on the CDN, p50 | {pct(dash, 50)} ms |\n"
                     f"| same, p99 ({len(dash)} manifests) | {pct(dash, 99)} ms |\n" if DASH else "") +
                  f"| agent CPU, delivery off (baseline) | {cpu_off:.3f} cores |\n"
                  f"| agent CPU, delivery on | {cpu_on:.3f} cores |\n\n"
                  f"**CPU with delivery / without: {cpu_on / cpu_off:.3f}×** (target ≤ 1.05×); p99 target ≤ 500 ms.\n")
        out = os.path.join(ROOT, "target", "bench-cdn-delivery.md") if SMOKE else \
            os.path.join(ROOT, "bench", "results", "cdn-delivery-dash.md" if DASH else "cdn-delivery.md")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            f.write(report)
        print(report)
    finally:
        if ltm and ltm.poll() is None:
            ltm.terminate()
            try:
                ltm.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(ltm.pid, signal.SIGKILL)
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if AGENTS.encode() in f.read():
                        os.kill(int(pid), signal.SIGKILL)
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                pass
        if nginx:
            nginx.kill()
            nginx.wait()
        quiet("mariadb", "-uroot", "-e", f"DROP DATABASE IF EXISTS {DB}")
        quiet("rabbitmqctl", "delete_vhost", VHOST)
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
