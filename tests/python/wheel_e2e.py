"""Run by tests/python_wheel_e2e.rs with the Python of a venv the wheel was installed in:
    wheel_e2e.py URL WORK
WORK/plan.json is the plan the test also ran with the CLI. Runs it through gauntlet.profile
(a dict config), checks a bad config's error, then starts a long run (a YAML config), cancels
it from another thread once its live progress shows finished requests, and prints what it saw
as one JSON line for the Rust side to compare with the CLI's run."""

import json
import os
import sys
import threading
import time

import gauntlet


def main():
    url, work = sys.argv[1], sys.argv[2]
    with open(os.path.join(work, "plan.json"), encoding="utf-8") as f:
        plan = json.load(f)
    result = {"version": gauntlet.__version__, "module": gauntlet.__file__}

    complete_dir = os.path.join(work, "python")
    summary = gauntlet.profile(plan, artifact_dir=complete_dir)
    result["complete"] = {
        "accounting": summary["request_accounting"],
        "request_count": summary["request_count"]["avg"],
        "files": sorted(os.listdir(complete_dir)),
    }

    try:
        gauntlet.Run('schemaVersion: "2.0"\nbenchmark:\n  modle: m\n', name="bad.yaml")
        result["bad_config"] = None
    except gauntlet.GauntletError as e:
        result["bad_config"] = {"status": e.status, "message": str(e)}

    long_run = (
        'schemaVersion: "2.0"\n'
        "benchmark:\n"
        "  model: mock-model\n"
        f'  endpoint: {{url: "{url}", type: chat, streaming: true}}\n'
        "  dataset: {type: synthetic, entries: 8, prompts: {isl: {mean: 32}, osl: {mean: 16}}}\n"
        "  phases:\n"
        "    - {type: concurrency, concurrency: 2, requests: 100000}\n"
    )
    cancelled_dir = os.path.join(work, "python-cancelled")
    seen = {}

    with gauntlet.Run(long_run, artifact_dir=cancelled_dir, name="long.yaml") as run:
        run.start()

        def cancel_midway():
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                progress = run.progress()
                if progress["state"] == "running" and (progress["completed"] or 0) >= 3:
                    seen.update(progress)
                    run.cancel()
                    return
                time.sleep(0.05)

        canceller = threading.Thread(target=cancel_midway)
        canceller.start()
        ended = run.wait(60)
        canceller.join()
        result["cancelled"] = {
            "ended": ended,
            "live": seen,
            "progress": run.progress(),
            "was_cancelled": run.summary()["was_cancelled"],
            "artifact_dir": run.artifact_dir,
            "files": sorted(os.listdir(cancelled_dir)),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
