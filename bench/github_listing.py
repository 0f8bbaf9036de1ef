"""Benchmark of SPEC §8: GitHub listing wall time, requests, CPU per 1,000 repos, peak memory.

`make bench` (python -m bench) runs these scenarios with the others of SPEC §8 and writes the results;
`python -m bench.github_listing` runs only these and prints them. The simulator runs in its own process
(`syncer simulate`), so its CPU is not counted against syncer's; the exit code is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.report import Check, print_checks
from syncer import metrics, runner
from syncer.config import loader
from syncer.config.schema import Config
from syncer.sources.github import GithubRepos

SECTION = "listing"


def free_port_base(count: int = 6) -> int:
    """A base port with `count` free ports after it."""
    for base in range(24000, 60000, 10):
        try:
            for offset in range(count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no free ports")


@contextmanager
def simulator(scale: str, latency: float) -> Iterator[Config]:
    """`syncer simulate` in a subprocess; yields a config for it."""
    folder = Path(tempfile.mkdtemp(prefix="syncer-bench-"))
    path = folder / "config.yaml"
    base = free_port_base()
    command = [sys.executable, "-m", "syncer", "simulate", "--scale", scale, "--latency", str(latency)]
    command += ["--port-base", str(base), "--write-config", str(path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        env: dict[str, str] = {}
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip().startswith("export "):
                name, _, value = line.strip().removeprefix("export ").partition("=")
                env[name] = value
            if len(env) == 8:
                break
        config = loader.load(path, env)
        yield config
    finally:
        process.terminate()
        process.wait(timeout=30)


def github_com(config: Config, concurrency: int) -> GithubRepos:
    """The github.com source of the simulator config."""
    assert config.github is not None
    return GithubRepos(config.github.sources[0], concurrency=concurrency)


def github_requests() -> float:
    """syncer_http_requests_total for api=github, summed over statuses."""
    total = 0.0
    for family in metrics.REGISTRY.collect():
        for sample in family.samples:
            if sample.name == "syncer_http_requests_total" and sample.labels.get("api") == "github":
                total += sample.value
    return total


def listing(config: Config, concurrency: int) -> dict[str, float]:
    """Discover every repo of github.com once; wall time, CPU and requests."""
    before = github_requests()
    cpu, wall = time.process_time(), time.perf_counter()
    discoveries = github_com(config, concurrency).discover()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert all(d.ok for d in discoveries), [d.error for d in discoveries if not d.ok]
    repos = sum(d.seen for d in discoveries)
    return {"wall": wall, "cpu": cpu, "requests": github_requests() - before, "repos": repos}


def memory_child(config_path: str, env_json: str) -> None:
    """In a fresh process: a dry-run sync of github and print the peak RSS in MB."""
    config = loader.load(config_path, json.loads(env_json))
    report = runner.run(config, dry_run=True)
    entries = sum(len(r.plan.to_write) for r in report.integrations if r.plan)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_rss_mb": peak_mb, "entries": entries, "exit_code": report.exit_code}))


def memory(scale: str = "xlarge") -> dict[str, float]:
    """Peak RSS of a whole dry-run sync over 100,000 repos, measured in its own process."""
    with simulator(scale, 0.0) as config:
        folder = Path(tempfile.mkdtemp(prefix="syncer-bench-mem-"))
        tree = {
            "datadog": {
                "api_url": config.datadog.api_url,
                "api_key": config.datadog.api_key.get_secret_value(),
                "app_key": config.datadog.app_key.get_secret_value(),
            },
            "github": {"sources": [_source_tree(config)]},
        }
        path = folder / "config.yaml"
        path.write_text(json.dumps(tree))
        out = subprocess.run(
            [sys.executable, "-m", "bench.github_listing", "--memory-child", str(path), "{}"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
        )
        result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
        return result


def _source_tree(config: Config) -> dict[str, object]:
    assert config.github is not None
    source = config.github.sources[0]
    assert source.token is not None
    return {
        "hostname": source.hostname,
        "api_url": source.api_url,
        "token": source.token.get_secret_value(),
        "orgs": source.orgs,
    }


def measure(
    latency: float, concurrency: int, skip_sequential: bool = False, skip_memory: bool = False
) -> tuple[dict[str, Any], list[Check]]:
    """The listing scenarios: their results and the checks of their targets."""
    results: dict[str, Any] = {"latency": latency, "concurrency": concurrency}
    checks: list[Check] = []

    def check(target: str, met: bool, measured: str) -> None:
        checks.append(Check(SECTION, target, met, measured))

    with simulator("large", latency) as config:
        listing(config, concurrency)  # warm-up: imports, connection pools
        concurrent = listing(config, concurrency)
        results["concurrent"] = concurrent
        pages_needed = 20 * math.ceil(1000 / 100)
        bound = max(2 * latency, concurrent["requests"] * latency / concurrency)
        ratio = concurrent["wall"] / bound
        check("requests = pages", concurrent["requests"] == pages_needed, f"{concurrent['requests']:.0f}")
        check("wall within 1.5x of lower bound", ratio <= 1.5, f"{concurrent['wall']:.2f}s / {bound:.2f}s")
        cpu_per_1000 = concurrent["cpu"] / concurrent["repos"] * 1000
        results["cpu_seconds_per_1000_repos"] = cpu_per_1000
        check("CPU per 1,000 repos < 0.1 s", cpu_per_1000 < 0.1, f"{cpu_per_1000:.3f}s")
        if not skip_sequential:
            sequential = listing(config, 1)
            results["sequential"] = sequential
            speedup = sequential["wall"] / concurrent["wall"]
            check("5x faster than sequential", speedup >= 5, f"{speedup:.1f}x")
    if not skip_memory:
        mem = memory()
        results["memory"] = mem
        check("peak RSS for 100,000 repos < 250 MB", mem["peak_rss_mb"] < 250, f"{mem['peak_rss_mb']:.0f} MB")
    return results, checks


def main() -> int:
    """Only the listing scenarios: print the results and a PASS/MISS line per target (`python -m bench` runs
    them with the others and writes the results files)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--skip-sequential", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--memory-child", nargs=2, metavar=("CONFIG", "ENV_JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return 0
    results, checks = measure(args.latency, args.concurrency, args.skip_sequential, args.skip_memory)
    print(json.dumps(results, indent=2))
    print_checks(checks)
    return 0 if all(c.met for c in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
