"""Benchmark of SPEC §8 (0.2, conditional requests): a no-change full listing with a warm ETag cache.

20 orgs x 1,000 repos on the fake github.com (simulator scale "large", run by `syncer simulate` in its own
process, so its CPU is not counted), 200 ms per request. The listing runs in this process, as `listing()` of
bench/github_listing.py does, twice with the same in-memory `StateStore` as the ETag cache: the first fills
the cache, the second is measured. Rate-limit points come from the fake's `GET /rate_limit` (which costs none)
before and after; 304s and requests from syncer's own syncer_http_requests_total.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from bench.github_listing import simulator
from syncer import metrics
from syncer.config.schema import Config
from syncer.sources.github import GithubRepos
from syncer.state.store import StateStore


def sample_sum(name: str, **labels: str) -> float:
    """The sum of syncer's own samples named `name` whose labels include `labels`."""
    total = 0.0
    for family in metrics.REGISTRY.collect():
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def points_used(config: Config) -> int:
    """The primary rate-limit points the source's token has spent so far (`resources.core.used`)."""
    assert config.github is not None
    source = config.github.sources[0]
    assert source.token is not None
    answer = httpx.get(
        f"{source.base_url.rstrip('/')}/rate_limit",
        headers={"Authorization": f"token {source.token.get_secret_value()}", "Accept": "application/vnd.github+json"},
        timeout=30,
    )
    answer.raise_for_status()
    return int(answer.json()["resources"]["core"]["used"])


def listing(config: Config, cache: StateStore, concurrency: int) -> dict[str, float]:
    """List every repo of github.com once through `cache`: wall, CPU, requests, 304s, rate-limit points."""
    assert config.github is not None
    source = GithubRepos(config.github.sources[0], concurrency=concurrency, cache=cache)
    requests = sample_sum("syncer_http_requests_total", api="github")
    not_modified = sample_sum("syncer_http_requests_total", api="github", status="304")
    points = points_used(config)
    cpu, wall = time.process_time(), time.perf_counter()
    discoveries = source.discover()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert all(d.ok for d in discoveries), [d.error for d in discoveries if not d.ok]
    return {
        "wall": wall,
        "cpu": cpu,
        "repos": sum(d.seen for d in discoveries),
        "requests": sample_sum("syncer_http_requests_total", api="github") - requests,
        "not_modified": sample_sum("syncer_http_requests_total", api="github", status="304") - not_modified,
        "rate_limit_points": points_used(config) - points,
    }


def run(latency: float = 0.2, concurrency: int = 8) -> dict[str, Any]:
    """A cold listing that fills the cache, a first warm one, then the no-change listing measured.

    The first warm listing also asks, once, the page after each org's last page when that page is full (its
    cached Link may predate a page added after it; the empty answer is cached too): every org here has 1,000
    repos, so it spends one point per org. The listing measured is the steady state after it.
    """
    with simulator("large", latency) as config:
        cache = StateStore()
        try:
            cold = listing(config, cache, concurrency)
            first_warm = listing(config, cache, concurrency)
            warm = listing(config, cache, concurrency)
        finally:
            cache.close()
    return {
        "scale": "large (20 orgs x 1,000 repos on github.com)",
        "latency": latency,
        "concurrency": concurrency,
        "cold": cold,
        "first_warm": first_warm,
        "warm": warm,
        "cpu_seconds_per_1000_repos": warm["cpu"] / warm["repos"] * 1000,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
