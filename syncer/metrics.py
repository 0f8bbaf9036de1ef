"""The Prometheus collectors of SPEC §5 (names and labels are contract)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

RUNS = Counter("syncer_runs_total", "Runs per integration and result.", ["integration", "result"], registry=REGISTRY)
RUN_DURATION = Histogram(
    "syncer_run_duration_seconds",
    "Wall time of one run of one integration.",
    ["integration"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
    registry=REGISTRY,
)
ENTRIES = Gauge("syncer_entries", "Size of the list in Datadog after the run.", ["integration"], registry=REGISTRY)
CHANGES = Counter(
    "syncer_changes_total", "Entries added, removed or changed.", ["integration", "change"], registry=REGISTRY
)
LAST_SUCCESS = Gauge(
    "syncer_last_success_timestamp_seconds",
    "Unix time of the last successful run.",
    ["integration"],
    registry=REGISTRY,
)
SOURCE_ERRORS = Counter(
    "syncer_source_errors_total",
    "Source failures after retries.",
    ["integration", "source"],
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "syncer_http_requests_total",
    "HTTP requests sent, by API and status.",
    ["api", "status"],
    registry=REGISTRY,
)


def count_http(api: str, status: int | str) -> None:
    """Count one HTTP answer (status "error" when no answer came)."""
    HTTP_REQUESTS.labels(api=api, status=str(status)).inc()
