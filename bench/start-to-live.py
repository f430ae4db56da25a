#!/usr/bin/env python3
"""Start-to-live latency: how long a customer waits from "start" to a playable preview.

Baseline, measured in the same run on the same machine: plain ffmpeg, started by hand with the same kind of
ladder (test pattern, the `mobile` offer's 240p + 144p, 2 s HLS segments), until its master playlist and a first
segment of every rendition exist. The ratio says what LTM adds on top of ffmpeg's own start: the API, the
outbox and RabbitMQ hop, the worker, starting the agent JVM, its call home, and the status report.

Usage: bench/start-to-live.py [runs]   (builds nothing: run `mvn -B -q package -DskipTests` first)
Needs the local MariaDB and RabbitMQ (scripts/ensure-services). Writes bench/results/start-to-live.md.
"""
import json, os, re, shutil, statistics, subprocess, sys, tempfile, time, urllib.request

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
PORT = 8097
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


def ffmpeg_first_segment_seconds():
    out = tempfile.mkdtemp(prefix="bench-ffmpeg-")
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=426x240:rate=25",
           "-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
           "-filter_complex", "[0:v]split=2[a][b];[a]scale=426:240[v0];[b]scale=256:144[v1]",
           "-map", "[v0]", "-map", "1:a", "-map", "[v1]", "-map", "1:a",
           "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
           "-b:v:0", "400k", "-b:v:1", "180k", "-c:a", "aac", "-b:a", "64k",
           "-f", "hls", "-hls_time", "2", "-hls_list_size", "6", "-master_pl_name", "master.m3u8",
           "-var_stream_map", "v:0,a:0,name:240p v:1,a:1,name:144p",
           "-hls_segment_filename", f"{out}/%v/seg_%05d.ts", f"{out}/%v/index.m3u8"]
    start = time.time()
    proc = subprocess.Popen(cmd)
    try:
        while time.time() - start < 60:
            ready = os.path.exists(f"{out}/master.m3u8") and all(
                os.path.exists(f"{out}/{r}/index.m3u8") and any(f.endswith(".ts") for f in os.listdir(f"{out}/{r}"))
                for r in ("240p", "144p") if os.path.isdir(f"{out}/{r}"))
            if ready and os.path.isdir(f"{out}/144p"):
                return time.time() - start
            time.sleep(0.05)
        raise TimeoutError("ffmpeg wrote no segment")
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(out, ignore_errors=True)


def main():
    subprocess.run(["mariadb", "-uroot", "-e", "DROP DATABASE IF EXISTS ltm_bench; CREATE DATABASE ltm_bench"], check=True)
    subprocess.run(["rabbitmqctl", "delete_vhost", "ltm-bench"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sh("rabbitmqctl", "add_vhost", "ltm-bench")
    sh("rabbitmqctl", "set_permissions", "-p", "ltm-bench", "guest", ".*", ".*", ".*")
    env = dict(os.environ, LTM_HTTP_PORT=str(PORT), LTM_PUBLIC_URL=f"http://127.0.0.1:{PORT}",
               LTM_MYSQL_DATABASE="ltm_bench", LTM_RABBITMQ_URI="amqp://guest:guest@127.0.0.1:5672/ltm-bench",
               LTM_ENV="bench", LTM_AGENT_WORK_DIR="/tmp/ltm-bench-agents")
    log = open("/tmp/ltm-bench.log", "w")
    ltm = subprocess.Popen(["java", "-jar", os.path.join(ROOT, "target", "ltm.jar"), "dev"], env=env, stdout=log,
                           stderr=subprocess.STDOUT)
    try:
        key = None
        for _ in range(600):
            m = re.search(r"Demo API key: (\S+)", open("/tmp/ltm-bench.log").read())
            if m:
                key = m.group(1)
                break
            time.sleep(0.1)
        if not key:
            raise RuntimeError("ltm dev did not start; see /tmp/ltm-bench.log")
        ltm_times, ffmpeg_times = [], []
        for i in range(RUNS):
            ffmpeg_times.append(ffmpeg_first_segment_seconds())
            sid = api(key, "POST", "/api/v1/orders", {"offerId": "mobile"})["streams"][0]["id"]
            t0 = time.time()
            api(key, "POST", f"/api/v1/streams/{sid}/start")
            wait_state(key, sid, "LIVE")
            ltm_times.append(time.time() - t0)
            api(key, "POST", f"/api/v1/streams/{sid}/stop")
            wait_state(key, sid, "STOPPED")
            print(f"run {i + 1}: ltm start->LIVE {ltm_times[-1]:.2f} s, ffmpeg alone {ffmpeg_times[-1]:.2f} s")
        ltm_med, ff_med = statistics.median(ltm_times), statistics.median(ffmpeg_times)
        report = (f"# Start to live\n\nCommand: `bench/start-to-live.py {RUNS}` on {time.strftime('%Y-%m-%d')}, "
                  f"{os.cpu_count()} cores.\n\n"
                  f"| what | median of {RUNS} | runs (s) |\n| --- | --- | --- |\n"
                  f"| baseline: ffmpeg alone, start to first segment of every rendition | {ff_med:.2f} s | "
                  f"{', '.join(f'{t:.2f}' for t in ffmpeg_times)} |\n"
                  f"| LTM: `POST …/start` to stream LIVE (same ladder, preview playable) | {ltm_med:.2f} s | "
                  f"{', '.join(f'{t:.2f}' for t in ltm_times)} |\n\n"
                  f"**Ratio LTM / ffmpeg alone: {ltm_med / ff_med:.2f}×** — LTM adds "
                  f"{ltm_med - ff_med:.2f} s to what ffmpeg itself needs.\n")
        os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
        with open(os.path.join(ROOT, "bench", "results", "start-to-live.md"), "w") as f:
            f.write(report)
        print(report)
    finally:
        ltm.terminate()
        ltm.wait(timeout=30)


if __name__ == "__main__":
    main()
