#!/usr/bin/env python3
"""Side-by-side load comparison: gauntlet against AIPerf, GuideLLM and vllm-bench.

Every tool drives the same workload (streaming chat, ISL 100, OSL 16) against gauntlet's
zero-latency mock server on this machine, one tool at a time, and is measured from the
outside the same way:

* achieved requests/s: the mock's own request counter, from the first request it saw to the
  last (polled every 2 ms from /metrics), so no tool's self-report is trusted;
* CPU-seconds per 1,000 requests: user + system time of the tool's whole process tree
  (/usr/bin/time counts waited-for children), preparation included;
* peak memory: the largest sum of RSS over the tool's process tree (sampled from /proc);
* time to first request: process start to the mock's first request;
* send lag (open loop, constant gaps): from each request's send time in the tool's own
  per-request export, lag_i = start_i - (start_0 + i / rate), p50 and p99 — for tools whose
  export has per-request send times (gauntlet, AIPerf); "n/a" otherwise.

Usage: scripts/compare-peers.sh (it builds gauntlet and the peers' virtualenvs first).
"""

import argparse
import json
import os
import re
import ssl
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAT_COUNTER = re.compile(r'^gauntlet_mock_requests_total\{endpoint="/v1/chat/completions"\} (\d+)', re.M)


def mock_count(url):
    # The TLS mock's certificate is self-signed: its own counter is read without verifying it.
    ctx = ssl._create_unverified_context() if url.startswith("https://") else None
    with urllib.request.urlopen(url + "/metrics", timeout=2, context=ctx) as r:
        m = CHAT_COUNTER.search(r.read().decode())
    return int(m.group(1)) if m else 0


class Poller(threading.Thread):
    """Watches the mock's request counter: when it first moved and when it last moved."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.stop = url, threading.Event()
        self.base = mock_count(url)
        self.first = self.last = None
        self.count = 0

    def run(self):
        while not self.stop.is_set():
            n = mock_count(self.url) - self.base
            now = time.monotonic()
            if n > 0 and self.first is None:
                self.first = now
            if n > self.count:
                self.count, self.last = n, now
            time.sleep(0.002)


def tree_rss_kib(pid):
    """Sum of VmRSS over pid and all its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, ValueError, IndexError):
            pass
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        stack.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def run_measured(cmd, url, env=None, cwd=None, log=None):
    poller = Poller(url)
    poller.start()
    start = time.monotonic()
    timed = ["/usr/bin/time", "-f", "TIME %U %S", *cmd]
    proc = subprocess.Popen(timed, stdout=log, stderr=subprocess.PIPE, env=env, cwd=cwd, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kib(proc.pid))
        time.sleep(0.05)
    stderr = proc.stderr.read()
    poller.stop.set()
    poller.join()
    if log:
        log.write(stderr)
    cpu = None
    for line in stderr.splitlines():
        if line.startswith("TIME "):
            u, s = line.split()[1:3]
            cpu = float(u) + float(s)
    n = poller.count
    span = (poller.last - poller.first) if poller.first and poller.last and poller.last > poller.first else None
    return {
        "rc": proc.returncode,
        "requests_seen": n,
        "achieved_rps": (n - 1) / span if span and n > 1 else None,
        "cpu_s_per_1000": cpu * 1000.0 / n if cpu is not None and n else None,
        "peak_mib": peak / 1024.0,
        "first_request_s": poller.first - start if poller.first else None,
        "wall_s": time.monotonic() - start,
    }


def lag_from_starts(starts_ns, rate):
    if not starts_ns or not rate:
        return None
    starts = sorted(starts_ns)
    gap = 1e9 / rate
    lags = sorted(max(0.0, s - (starts[0] + i * gap)) for i, s in enumerate(starts))
    pick = lambda q: lags[min(len(lags) - 1, int(round((len(lags) - 1) * q)))] / 1e6
    return {"p50_ms": pick(0.5), "p99_ms": pick(0.99)}


def jsonl_starts(path):
    starts = []
    if not path or not Path(path).exists():
        return starts
    with open(path) as f:
        for line in f:
            try:
                meta = json.loads(line)["metadata"]
                if meta.get("benchmark_phase", "profiling") == "profiling":
                    starts.append(int(meta["request_start_ns"]))
            except (ValueError, KeyError, TypeError):
                pass
    return starts


def tool_commands(tool, args, url, out, load):
    """(command, per-request export path or None) for one tool and one load point."""
    n = str(load["requests"])
    tok = str(ROOT / "assets")
    if tool == "gauntlet":
        cmd = [str(args.gauntlet), "profile", "-m", "mock-model", "-u", url, "--streaming",
               "--isl", "100", "--osl", "16", "--request-count", n,
               "--output-artifact-dir", str(out)]
        cmd += ["--ca-cert", args.ca_cert] if args.ca_cert else []
        cmd += ["--concurrency", str(load["concurrency"])] if load.get("concurrency") else []
        if load.get("rate"):
            cmd += ["--request-rate", str(load["rate"]), "--arrival-pattern", "constant"]
        return cmd, out / "profile_export.jsonl"
    if tool == "aiperf":
        cmd = [str(args.peers / "aiperf/bin/aiperf"), "profile", "--model", "mock-model",
               "--url", url, "--endpoint-type", "chat", "--streaming",
               "--synthetic-input-tokens-mean", "100", "--output-tokens-mean", "16",
               "--request-count", n, "--tokenizer", tok, "--artifact-dir", str(out),
               "--ui-type", "none"]
        if load.get("concurrency"):
            cmd += ["--concurrency", str(load["concurrency"])]
        if load.get("rate"):
            cmd += ["--request-rate", str(load["rate"]), "--arrival-pattern", "constant"]
        return cmd, None  # located after the run: AIPerf nests its export folder
    if tool == "guidellm":
        # GuideLLM 0.8's `run` command takes kind=...,key=value option groups.
        profile = (f"kind=concurrent,streams={load['concurrency']}" if load.get("concurrency")
                   and not load.get("rate") else f"kind=constant,rate={load['rate']}")
        cmd = [str(args.peers / "guidellm/bin/guidellm"), "run",
               "--backend", f"kind=openai_http,target={url},model=mock-model",
               "--profile", profile, "--constraint", f"kind=max_requests,count={n}",
               "--data", "kind=synthetic_text,prompt_tokens=100,output_tokens=16",
               "--tokenizer", f"kind=hf_auto,model={tok}",
               "--output", f"kind=json,path={out / 'guidellm.json'}",
               "--disable-console-interactive"]
        return cmd, None
    if tool == "vllm-bench":
        cmd = [str(args.vllm_bench), "--base-url", url, "--model", "mock-model",
               "--num-prompts", n, "--random-input-len", "100", "--random-output-len", "16",
               "--endpoint", "/v1/chat/completions", "--backend", "openai-chat",
               "--tokenizer", tok]
        cmd += ["--insecure"] if args.ca_cert else []
        cmd += ["--max-concurrency", str(load["concurrency"])] if load.get("concurrency") else []
        cmd += ["--request-rate", str(load["rate"])] if load.get("rate") else []
        return cmd, None
    raise ValueError(tool)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gauntlet", type=Path, default=ROOT / "target/release/gauntlet")
    p.add_argument("--peers", type=Path, default=Path.home() / ".cache/gauntlet-peers")
    p.add_argument("--vllm-bench", type=Path)
    p.add_argument("--tools", default="gauntlet,aiperf,guidellm,vllm-bench")
    p.add_argument("--requests", type=int, default=10000)
    p.add_argument("--python-requests", type=int, default=3000,
                   help="requests for the Python tools (they are ~50x slower)")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--rates", default="1000,2000,5000,10000,20000")
    p.add_argument("--rate-seconds", type=float, default=3.0)
    p.add_argument("--sse-modes", default="one-body,chunked")
    p.add_argument("--out", type=Path, default=ROOT / "target/compare-peers")
    p.add_argument("--tls", action="store_true",
                   help="serve the mock over TLS (mock-server --tls); gauntlet trusts its CA "
                        "with --ca-cert, vllm-bench runs with --insecure")
    args = p.parse_args()
    args.ca_cert = None
    # Every tool runs in its own output folder: paths must not be relative to this one.
    args.gauntlet = args.gauntlet.resolve()
    if args.vllm_bench:
        args.vllm_bench = args.vllm_bench.resolve()

    tools = [t for t in args.tools.split(",") if t]
    if "vllm-bench" in tools and not args.vllm_bench:
        tools.remove("vllm-bench")
    for t, exe in (("aiperf", "aiperf/bin/aiperf"), ("guidellm", "guidellm/bin/guidellm")):
        if t in tools and not (args.peers / exe).exists():
            print(f"skipping {t}: {args.peers / exe} not installed", file=sys.stderr)
            tools.remove(t)
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for mode in args.sse_modes.split(","):
        mock_cmd = [str(args.gauntlet), "mock-server", "--port", "0", "--sse-mode", mode]
        mock = subprocess.Popen(mock_cmd + (["--tls"] if args.tls else []),
                                stdout=subprocess.PIPE, text=True)
        url = None
        while url is None:
            line = mock.stdout.readline()
            ca = re.search(r"CA certificate: (\S+)", line)
            if ca:
                args.ca_cert = ca.group(1)
            found = re.search(r"https?://\S+", line)
            url = found.group(0) if found else None
        try:
            loads = [{"name": f"closed c{args.concurrency}", "concurrency": args.concurrency}]
            if mode == args.sse_modes.split(",")[0]:
                for r in filter(None, args.rates.split(",")):
                    loads.append({"name": f"open {r}/s", "rate": float(r)})
            for load in loads:
                for tool in tools:
                    python = tool in ("aiperf", "guidellm")
                    if load.get("rate"):
                        n = int(load["rate"] * args.rate_seconds)
                        # The Python tools top out near 1,000/s: more requests only make
                        # the run longer, not the measurement better.
                        n = min(n, args.python_requests) if python else n
                    else:
                        n = args.python_requests if python else args.requests
                    load = dict(load, requests=n)
                    out = args.out / f"{mode}-{load['name'].replace(' ', '_').replace('/', '')}-{tool}"
                    shutil.rmtree(out, ignore_errors=True)
                    out.mkdir(parents=True)
                    cmd, export = tool_commands(tool, args, url, out, load)
                    with open(out / "log.txt", "w") as log:
                        row = run_measured(cmd, url, cwd=out, log=log)
                    if export is None:
                        found = list(out.rglob("profile_export.jsonl"))
                        export = found[0] if found else None
                    row.update(tool=tool, sse_mode=mode, load=load["name"], requests=n)
                    if load.get("rate"):
                        row["send_lag"] = lag_from_starts(jsonl_starts(export), load["rate"])
                    results.append(row)
                    print(json.dumps(row), flush=True)
        finally:
            mock.send_signal(signal.SIGTERM)
            mock.wait()
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    print_table(results)


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def print_table(results):
    print("\n| sse | load | tool | req/s | CPU-s/1000 | peak MiB | first request s | lag p50 ms | lag p99 ms |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        lag = r.get("send_lag") or {}
        print(f"| {r['sse_mode']} | {r['load']} | {r['tool']} | {fmt(r['achieved_rps'], ',.0f')} | "
              f"{fmt(r['cpu_s_per_1000'], '.3f')} | {fmt(r['peak_mib'], '.0f')} | "
              f"{fmt(r['first_request_s'], '.2f')} | {fmt(lag.get('p50_ms'), '.2f')} | "
              f"{fmt(lag.get('p99_ms'), '.2f')} |")


if __name__ == "__main__":
    main()
