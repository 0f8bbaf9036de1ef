"""The Prometheus collectors of SPEC §5 (names and labels are contract).

Label values pass through the redactor: a scope label is a host and org, but whatever text reaches a label
(an error, a URL with userinfo) is never shown with a secret in it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric

from syncer import __version__
from syncer.redact import display_url, redact


class _Registry(CollectorRegistry):
    """syncer's registry: it never exposes `*_created` series (SPEC §5), without a process-wide switch."""

    def collect(self) -> Iterator[Metric]:
        """Every metric family, without its `_created` samples."""
        for family in super().collect():
            family.samples = [sample for sample in family.samples if not sample.name.endswith("_created")]
            yield family


REGISTRY = _Registry(auto_describe=True)


def _safe(value: object) -> str:
    return redact(display_url(str(value)))


class _Counter(Counter):
    def labels(self, *values: object, **named: object) -> _Counter:
        return super().labels(*map(_safe, values), **{k: _safe(v) for k, v in named.items()})


class _Gauge(Gauge):
    def labels(self, *values: object, **named: object) -> _Gauge:
        return super().labels(*map(_safe, values), **{k: _safe(v) for k, v in named.items()})


class _Histogram(Histogram):
    def labels(self, *values: object, **named: object) -> _Histogram:
        return super().labels(*map(_safe, values), **{k: _safe(v) for k, v in named.items()})


RUNS = _Counter("syncer_runs_total", "Runs per integration and result.", ["integration", "result"], registry=REGISTRY)
RUN_DURATION = _Histogram(
    "syncer_run_duration_seconds",
    "Wall time of one run of one integration.",
    ["integration"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
    registry=REGISTRY,
)
ENTRIES = _Gauge("syncer_entries", "Size of the list in Datadog after the run.", ["integration"], registry=REGISTRY)
CHANGES = _Counter(
    "syncer_changes_total", "Entries added, removed or changed.", ["integration", "change"], registry=REGISTRY
)
LAST_SUCCESS = _Gauge(
    "syncer_last_success_timestamp_seconds",
    "Unix time of the last successful run.",
    ["integration"],
    registry=REGISTRY,
)
SOURCE_ERRORS = _Counter(
    "syncer_source_errors_total",
    "Source failures after retries.",
    ["integration", "source"],
    registry=REGISTRY,
)
HTTP_REQUESTS = _Counter(
    "syncer_http_requests_total",
    "HTTP requests sent, by API and status.",
    ["api", "status"],
    registry=REGISTRY,
)
BUILD_INFO = _Gauge("syncer_build_info", "Always 1; the version of syncer running.", ["version"], registry=REGISTRY)
CONFIG_RELOADS = _Counter(
    "syncer_config_reloads_total",
    "Configuration reloads (SIGHUP) by result: success, failure.",
    ["result"],
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = _Counter(
    "syncer_webhook_deliveries_total",
    "Webhook deliveries received, by source (github, jira) and result: accepted, duplicate, ignored, "
    "unauthorized, invalid.",
    ["source", "result"],
    registry=REGISTRY,
)
CONDITIONAL_REQUESTS = _Counter(
    "syncer_conditional_requests_total",
    "Answers to requests that carried If-None-Match: not_modified (304, the cached page reused) or modified (200).",
    ["api", "result"],
    registry=REGISTRY,
)
RATE_LIMIT_REMAINING = _Gauge(
    "syncer_rate_limit_remaining",
    "X-RateLimit-Remaining of the last answer of an API host.",
    ["api", "host"],
    registry=REGISTRY,
)
CHANGE_EVENTS = _Counter(
    "syncer_change_events_total",
    "Datadog change events of applied writes (datadog.events), by integration and result: posted, failed.",
    ["integration", "result"],
    registry=REGISTRY,
)
WEBHOOK_SOURCES = ("github", "jira")
WEBHOOK_RESULTS = ("accepted", "duplicate", "ignored", "unauthorized", "invalid")
BUILD_INFO.labels(version=__version__).set(1)
for _result in ("success", "failure"):
    CONFIG_RELOADS.labels(result=_result)
for _result in ("not_modified", "modified"):
    CONDITIONAL_REQUESTS.labels(api="github", result=_result)
for _source in WEBHOOK_SOURCES:
    for _result in WEBHOOK_RESULTS:
        WEBHOOK_DELIVERIES.labels(source=_source, result=_result)


def count_http(api: str, status: int | str) -> None:
    """Count one HTTP answer (status "error" when no answer came)."""
    HTTP_REQUESTS.labels(api=api, status=str(status)).inc()


def count_conditional(api: str, not_modified: bool) -> None:
    """Count one answer to a request that carried If-None-Match: 304 (not_modified) or 200 (modified)."""
    CONDITIONAL_REQUESTS.labels(api=api, result="not_modified" if not_modified else "modified").inc()


def observe_rate_limit(api: str, host: str, remaining: object) -> None:
    """Set syncer_rate_limit_remaining from an answer's X-RateLimit-Remaining; an absent or odd value is ignored."""
    if remaining is None:
        return
    try:
        value = float(str(remaining).strip())
    except ValueError:
        return
    if math.isfinite(value) and value >= 0:
        RATE_LIMIT_REMAINING.labels(api=api, host=host).set(value)


def api_host(url: str) -> str:
    """The host of an API base URL as the `host` label shows it: host[:port], never userinfo."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return "unknown"
    return netloc.rpartition("@")[2].lower() or "unknown"
