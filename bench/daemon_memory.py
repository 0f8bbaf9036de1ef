"""Benchmark of SPEC §8 (0.2, daemon memory): the daemon's RSS after 10 runs and after many more.

The real daemon (bench/daemon.py) against the small simulator in this process, no injected latency, every
integration configured (github.com and GHES, Jira Cloud and Data Center, two PagerDuty accounts), its schedule
far off. Runs are driven with `POST /sync?wait=true`, one after the other; a run here is one run of every
integration (syncer_runs_total counts one per integration). Every 10th run follows a change in the fake GitHub
(a repo created), so that some runs write to Datadog and the journal, as a daemon's do. RSS is VmRSS of
/proc/PID/status, sampled after the 10th run, every `every` runs, and after the last.
"""

from __future__ import annotations

import time
from typing import Any

from bench.daemon import FAR_FUTURE, Daemon
from syncer.simulator import Simulator

CHANGE_EVERY = 10


def daemon_config(sim: Simulator) -> dict[str, Any]:
    """The simulator's whole configuration, scheduled far in the future."""
    tree = sim.config_dict()
    tree["defaults"] = {"schedule": FAR_FUTURE}
    return tree


def run(runs: int = 200, baseline: int = 10, every: int = 50, change_every: int = CHANGE_EVERY) -> dict[str, Any]:
    """Drive `runs` runs (the daemon's first, scheduled one included); RSS after `baseline` and after `runs`."""
    if runs <= baseline:
        raise ValueError("runs must exceed the baseline")
    with Simulator(scale="small") as sim, Daemon(daemon_config(sim), sim.env()) as daemon:
        daemon.wait_ready(timeout=120)
        integrations = len(daemon_config(sim)) - 2  # datadog and defaults are not integrations
        done = daemon.wait_runs(integrations, settle=0.5) // integrations
        samples: dict[int, float] = {}
        failed = 0
        started = time.perf_counter()
        while done < runs:
            if change_every and done % change_every == 0:
                sim.github.add_repo("acme", f"bench-memory-{done:04d}")
            report = daemon.sync()
            failed += sum(1 for r in report.get("integrations", []) if r.get("result") != "success")
            done += 1
            if done in (baseline, runs) or done % every == 0:
                samples[done] = daemon.rss_mb()
        seconds = time.perf_counter() - started
        total = daemon.runs()
    return {
        "scale": "small (every integration)",
        "change_every": change_every,
        "runs": runs,
        "baseline_runs": baseline,
        "rss_mb_after_baseline": samples[baseline],
        "rss_mb_after_runs": samples[runs],
        "growth_mb": samples[runs] - samples[baseline],
        "rss_mb_by_run": {str(k): round(v, 1) for k, v in sorted(samples.items())},
        "integration_runs": total,
        "failed_integration_runs": failed,
        "seconds": seconds,
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 200), indent=2))
