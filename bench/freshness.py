"""Benchmark of SPEC §8 (0.2, freshness) and §9: from a signed `repository` `created` delivery to the PUT.

20 orgs x 1,000 repos on the fake github.com (simulator scale "large"), 200 ms per request on every fake (GitHub
and Datadog alike). The real daemon runs in a subprocess (bench/daemon.py), so syncer's CPU is the daemon's
alone; the simulator runs in this process and sends the signed deliveries itself (`FakeGitHub.hook`: creating a
repo POSTs its `repository` `created` delivery and returns once the daemon answered).

- Freshness: each delivery creates a repo in another org, once the daemon is idle and more than the debounce
  after the previous one, so each starts a fresh targeted run. Measured from just before `add_repo` to the moment
  the fake Datadog holds the new repo (its store is replaced by each PUT; polled every 2 ms).
- Burst: 50 deliveries for one org, sent back to back; the runs they cause, from the daemon's syncer_runs_total.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from bench.daemon import FAR_FUTURE, Daemon
from syncer.simulator import Simulator

WEBHOOK_SECRET = "syncer-bench-webhook-secret"  # noqa: S105 - the simulator's own, on loopback only
POLL = 0.002
FOLLOW_UP = 8.0  # seconds past the debounce in which a follow-up run of the burst would have finished


def daemon_config(sim: Simulator, debounce: str) -> dict[str, Any]:
    """The simulator's github.com source alone (20 orgs at scale large), its webhook secret, a far-off schedule."""
    tree = sim.config_dict()
    tree["github"]["sources"] = tree["github"]["sources"][:1]
    tree.pop("jira", None)
    tree.pop("pagerduty", None)
    tree["defaults"] = {"schedule": FAR_FUTURE}
    tree["webhooks"] = {"debounce": debounce, "github": {"secret": WEBHOOK_SECRET}}
    return tree


def held(sim: Simulator, org: str, names: set[str]) -> set[str]:
    """Which of `names` (repos of `org`) the fake Datadog holds right now."""
    config = sim.datadog.store.get("github", {})
    return {
        str(e.get("repo_name"))
        for e in config.get("enabled_repos", [])
        if e.get("github_org_name") == org and e.get("repo_name") in names
    }


def until_held(sim: Simulator, org: str, names: set[str], timeout: float) -> float | None:
    """Wait until the fake Datadog holds every repo of `names`; the perf_counter then, None after `timeout`."""
    deadline = time.perf_counter() + timeout
    last: object = None
    while time.perf_counter() < deadline:
        config = sim.datadog.store.get("github")
        if config is not last:  # every PUT stores a new object: only then is the list read again
            last = config
            if held(sim, org, names) == names:
                return time.perf_counter()
        time.sleep(POLL)
    return None


def percentile(values: list[float], share: float) -> float:
    """The `share` percentile of `values` (nearest rank)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def targeted_durations(daemon: Daemon) -> list[float]:
    """`duration_seconds` of every targeted run the daemon logged, in order."""
    found: list[float] = []
    for line in daemon.log.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("event") == "integration_run" and record.get("targeted"):
            found.append(float(record["duration_seconds"]))
    return found


def freshness(sim: Simulator, daemon: Daemon, deliveries: int, debounce: float) -> dict[str, Any]:
    """`deliveries` repos created one at a time, each in the next org; seconds from delivery to the PUT."""
    orgs = list(sim.config_dict()["github"]["sources"][0]["orgs"])
    seconds: list[float] = []
    answered: list[float] = []
    runs: list[int] = []
    settled = daemon.wait_runs(1, settle=debounce + 0.3)
    cpu, own = daemon.cpu_seconds(), time.process_time()
    for n in range(deliveries):
        org, name = orgs[n % len(orgs)], f"bench-fresh-{n:02d}"
        before = settled
        started = time.perf_counter()
        record = sim.github.add_repo(org, name)
        assert record["name"] == name
        reached = until_held(sim, org, {name}, timeout=30)
        if reached is None:
            raise RuntimeError(f"{org}/{name} did not reach the fake Datadog within 30 s:\n{daemon.log[-4000:]}")
        seconds.append(reached - started)
        delivery = sim.github.deliveries[-1]
        assert delivery.ok, (delivery.status, delivery.error)
        answered.append(delivery.seconds)
        settled = daemon.wait_runs(before + 1, settle=debounce + 0.3)  # spaces the next delivery past the debounce
        runs.append(settled - before)
    cpu, own = daemon.cpu_seconds() - cpu, time.process_time() - own
    durations = targeted_durations(daemon)[-deliveries:]
    return {
        "deliveries": deliveries,
        "p50_seconds": statistics.median(seconds),
        "p95_seconds": percentile(seconds, 0.95),
        "max_seconds": max(seconds),
        "min_seconds": min(seconds),
        "seconds": [round(s, 4) for s in seconds],
        "delivery_answered_p50_seconds": statistics.median(answered),
        "runs_per_delivery": sorted(set(runs)),
        "targeted_run_p50_seconds": statistics.median(durations) if durations else None,
        "daemon_cpu_seconds_per_targeted_run": cpu / max(1, sum(runs)),
        "simulator_cpu_seconds_per_targeted_run": own / max(1, sum(runs)),
    }


def burst(sim: Simulator, daemon: Daemon, count: int, debounce: float) -> dict[str, Any]:
    """`count` repos created in one org back to back (each its own delivery); runs caused and time to the PUT."""
    org = next(iter(sim.config_dict()["github"]["sources"][0]["orgs"]))
    names = {f"bench-burst-{n:02d}" for n in range(count)}
    before = daemon.wait_runs(1, settle=debounce + 0.3)
    sent = len(sim.github.deliveries)
    started = time.perf_counter()
    for name in sorted(names):
        sim.github.add_repo(org, name)
    span = time.perf_counter() - started
    reached = until_held(sim, org, names, timeout=60)
    after = daemon.wait_runs(before + 1, settle=debounce + FOLLOW_UP)
    deliveries = sim.github.deliveries[sent:]
    return {
        "deliveries": len(deliveries),
        "accepted": sum(1 for d in deliveries if d.ok),
        "sent_within_seconds": span,
        "runs": after - before,
        "all_held": reached is not None,
        "last_held_after_seconds": None if reached is None else reached - started,
    }


def run(latency: float = 0.2, deliveries: int = 20, burst_size: int = 50, debounce: str = "2s") -> dict[str, Any]:
    """Start the large simulator and the daemon; measure freshness, then the burst."""
    wait = float(debounce.removesuffix("s"))
    with Simulator(scale="large", latency=latency) as sim, Daemon(daemon_config(sim, debounce), sim.env()) as daemon:
        started = time.perf_counter()
        daemon.wait_ready(timeout=600)
        daemon.wait_runs(1, settle=0.0, timeout=600)
        first_run = time.perf_counter() - started
        sim.github.hook(f"{daemon.url}/webhooks/github", WEBHOOK_SECRET)
        try:
            fresh = freshness(sim, daemon, deliveries, wait)
            bursted = burst(sim, daemon, burst_size, wait)
        finally:
            sim.github.unhook()
        return {
            "scale": "large (20 orgs x 1,000 repos on github.com)",
            "latency": latency,
            "debounce": debounce,
            "first_full_run_seconds": first_run,
            "freshness": fresh,
            "burst": bursted,
        }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
