#!/usr/bin/env python3
"""Trace replay start-up side by side: gauntlet and AIPerf replay the same Mooncake trace with
--fixed-schedule against one `gauntlet mock-server`, each measured from the outside the same
way (compare_peers.py's poller: process start to the mock's first /v1/completions request;
peak RSS summed over the process tree). A tool that has sent nothing after --timeout seconds
is stopped and reported as such.

Both replay at the trace's own pace (AIPerf 0.13 has no speedup flag), so a tool is usually
stopped at the timeout; what is compared is how soon the first request leaves and the memory
held by then. Usage: scripts/trace_vs_aiperf.py --gauntlet BIN --aiperf VENV/bin/aiperf
[--trace FILE] [--timeout 300]
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_peers as peers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
peers.CHAT_COUNTER = re.compile(
    r'^gauntlet_mock_requests_total\{endpoint="/v1/completions"\} (\d+)', re.M)


def measure(cmd, url, timeout, env=None):
    poller = peers.Poller(url)
    poller.start()
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env, start_new_session=True)
    peak = 0
    while proc.poll() is None and time.monotonic() - start < timeout:
        peak = max(peak, peers.tree_rss_kib(proc.pid))
        time.sleep(0.1)
    stopped = proc.poll() is None
    if stopped:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    poller.stop.set()
    poller.join()
    return {
        "first_request_s": poller.first - start if poller.first else None,
        "requests_seen": poller.count,
        "peak_mib": peak / 1024.0,
        "wall_s": time.monotonic() - start,
        "stopped_at_timeout": stopped,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gauntlet", required=True)
    p.add_argument("--aiperf", required=True)
    p.add_argument("--trace", default=str(ROOT.parent / "shared/data/traces/mooncake_conversation_trace.jsonl"))
    p.add_argument("--timeout", type=float, default=300)
    args = p.parse_args()
    work = Path(tempfile.mkdtemp())
    mock = subprocess.Popen([args.gauntlet, "mock-server", "--port", "0", "--workers", "1"],
                            stdout=open(work / "mock.log", "w"), stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            text = (work / "mock.log").read_text()
            m = re.search(r"http://[0-9.:]+", text)
            if m:
                break
            time.sleep(0.05)
        url = m.group(0)
        tok = str(ROOT / "assets")
        gauntlet = [args.gauntlet, "profile", "--model", "mock-model", "--url", url,
                    "--endpoint-type", "completions", "--input-file", args.trace,
                    "--custom-dataset-type", "mooncake_trace", "--fixed-schedule",
                    "--output-artifact-dir", str(work / "gauntlet")]
        aiperf = [args.aiperf, "profile", "--model", "mock-model", "--url", url,
                  "--endpoint-type", "completions", "--input-file", args.trace,
                  "--custom-dataset-type", "mooncake_trace", "--fixed-schedule",
                  "--tokenizer", tok,
                  "--artifact-dir", str(work / "aiperf"), "--ui-type", "none"]
        print("| tool | first request s | requests seen | peak MiB | wall s | stopped at timeout |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, cmd in (("gauntlet", gauntlet), ("aiperf", aiperf)):
            r = measure(cmd, url, args.timeout)
            first = f"{r['first_request_s']:.2f}" if r["first_request_s"] is not None else "none"
            print(f"| {name} | {first} | {r['requests_seen']} | {r['peak_mib']:.0f} | "
                  f"{r['wall_s']:.1f} | {r['stopped_at_timeout']} |", flush=True)
    finally:
        mock.kill()


if __name__ == "__main__":
    main()
