"""The benchmark of SPEC §8, every scenario in one run: `make bench` (python -m bench), `make soak` (--soak).

- listing (bench/github_listing.py): requests, wall time, CPU per 1,000 repos, sequential speed-up, peak memory;
- no-change run (bench/conditional.py): a second full listing with a warm ETag cache, rate-limit points and CPU;
- webhooks (bench/freshness.py): delivery to PUT through the daemon, and a burst of deliveries for one org;
- daemon memory (bench/daemon_memory.py): RSS after 10 runs and after 200 (`--soak`: 1,000, nothing else).

Prints a PASS/MISS line per target, writes bench/results/latest.json (`--soak`: soak.json) and renders
docs/benchmarks.md from the results files (bench/report.py). The exit code is 1 when a target is missed, or a
scenario failed to run (its targets are then missed, with the error as the measured value).
"""

from __future__ import annotations

import argparse
import json
import traceback
from collections.abc import Callable
from typing import Any

from bench import conditional, daemon_memory, freshness, github_listing
from bench.report import Check, print_checks, stamp, write


def _no_change(latency: float, concurrency: int) -> tuple[dict[str, Any], list[Check]]:
    result = conditional.run(latency, concurrency)
    warm, cpu = result["warm"], result["cpu_seconds_per_1000_repos"]
    section = "no-change run"
    return {"conditional": result}, [
        Check(
            section,
            "every list page a 304 (ETag cache warm)",
            warm["not_modified"] == warm["requests"] > 0,
            f"{warm['not_modified']:.0f} of {warm['requests']:.0f} pages",
        ),
        Check(
            section,
            "GitHub rate-limit points spent = 0",
            warm["rate_limit_points"] == 0,
            f"{warm['rate_limit_points']}",
        ),
        Check(section, "CPU per 1,000 repos <= 0.02 s", cpu <= 0.02, f"{cpu:.3f}s"),
    ]


def _webhooks(latency: float, deliveries: int, burst: int) -> tuple[dict[str, Any], list[Check]]:
    result = freshness.run(latency, deliveries, burst)
    fresh, bursted = result["freshness"], result["burst"]
    section = "webhooks"
    late = "" if bursted["sent_within_seconds"] <= 1.0 else ", sent over more than 1 s"
    missing = "" if bursted["all_held"] else ", NOT every repo reached Datadog"
    return {"freshness": result}, [
        Check(
            section,
            f"delivery to PUT p95 <= 1.5 s ({fresh['deliveries']} deliveries)",
            fresh["p95_seconds"] <= 1.5,
            f"p95 {fresh['p95_seconds']:.2f}s, p50 {fresh['p50_seconds']:.2f}s",
        ),
        Check(
            section,
            f"{bursted['deliveries']} deliveries for one org within 1 s: <= 2 runs",
            bursted["runs"] <= 2 and bursted["all_held"],
            f"{bursted['runs']} runs (sent in {bursted['sent_within_seconds']:.2f}s{late}){missing}",
        ),
    ]


def _memory(runs: int) -> tuple[dict[str, Any], list[Check]]:
    result = daemon_memory.run(runs)
    growth = result["growth_mb"]
    return {"daemon_memory": result}, [
        Check(
            "daemon",
            f"RSS growth from 10 to {runs:,} runs <= 10 MB",
            growth <= 10,
            f"{growth:+.1f} MB ({result['rss_mb_after_baseline']:.0f} -> {result['rss_mb_after_runs']:.0f} MB)",
        )
    ]


Scenario = Callable[[], tuple[dict[str, Any], list[Check]]]


def _run(name: str, targets: list[tuple[str, str]], scenario: Scenario) -> tuple[dict[str, Any], list[Check]]:
    """Run one scenario; when it fails, each of its `targets` (section, target) is missed with the error."""
    print(f"== {name}", flush=True)
    try:
        results, checks = scenario()
    except Exception as exc:
        traceback.print_exc()
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        said = lines[0] if len(lines) < 2 else f"{lines[0]} ... {lines[-1]}"  # the last: the daemon's own error
        error = f"error: {type(exc).__name__}: {said}"[:300]
        return {f"{name}_error": error}, [Check(section, target, False, error) for section, target in targets]
    print_checks(checks)
    return results, checks


def main() -> int:
    """Run the scenarios, print the checks, write the results and docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request (default 0.2)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--skip-sequential", action="store_true", help="skip the sequential listing (43 s)")
    parser.add_argument("--skip-memory", action="store_true", help="skip the peak memory over 100,000 repos")
    parser.add_argument("--deliveries", type=int, default=20, help="deliveries timed for freshness (default 20)")
    parser.add_argument("--burst", type=int, default=50, help="deliveries of the burst (default 50)")
    parser.add_argument("--memory-runs", type=int, default=None, help="daemon runs (default 200; --soak: 1,000)")
    parser.add_argument("--soak", action="store_true", help="only the daemon memory, over 1,000 runs")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    checks: list[Check] = []
    memory_runs = args.memory_runs or (1000 if args.soak else 200)
    memory_target = [("daemon", f"RSS growth from 10 to {memory_runs:,} runs <= 10 MB")]
    if args.soak:
        command = "make soak" if args.memory_runs is None else f"python -m bench --soak --memory-runs {memory_runs}"
        found, checked = _run("daemon_memory", memory_target, lambda: _memory(memory_runs))
        results.update(found)
        checks += checked
        name = "soak"
    else:
        command = "make bench" if not (args.skip_sequential or args.skip_memory) else "python -m bench (partial)"
        scenarios: list[tuple[str, list[tuple[str, str]], Scenario]] = [
            (
                "listing",
                [("listing", "the listing targets")],
                lambda: github_listing.measure(args.latency, args.concurrency, args.skip_sequential, args.skip_memory),
            ),
            (
                "conditional",
                [("no-change run", "rate-limit points = 0 and CPU per 1,000 repos <= 0.02 s")],
                lambda: _no_change(args.latency, args.concurrency),
            ),
            (
                "freshness",
                [("webhooks", "delivery to PUT p95 <= 1.5 s; a burst <= 2 runs")],
                lambda: _webhooks(args.latency, args.deliveries, args.burst),
            ),
            ("daemon_memory", memory_target, lambda: _memory(memory_runs)),
        ]
        for scenario_name, targets, scenario in scenarios:
            found, checked = _run(scenario_name, targets, scenario)
            results.update(found)
            checks += checked
        name = "latest"
    path = write(name, stamp(results, command, checks))
    print(json.dumps({k: v for k, v in results.items() if k != "checks"}, indent=2, default=str)[:4000])
    print(f"\n{path.relative_to(path.parent.parent.parent)} and docs/benchmarks.md written")
    print_checks(checks)
    return 0 if all(c.met for c in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
