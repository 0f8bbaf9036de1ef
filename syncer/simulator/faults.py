"""Scripted misbehaviour of a simulated API: error statuses, delays, timeouts and broken bodies."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

GITHUB_RATE_DOC = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
GITHUB_SECONDARY_DOC = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)


@dataclass
class Fault:
    """One scripted misbehaviour, applied to requests whose method and path match.

    `path` is a regular expression searched in the request path (without a GHES `/api/v3` prefix),
    `method` None matches every method, `times` None applies forever. `status` answers with that
    status and the API's own error body unless `body` is given; `latency` delays the request;
    `timeout` holds the request until the client gives up; `malformed` answers 200 with the real
    body cut in half; `trickle` answers with the real status, headers and body (or `body`, when given) but
    sends the body one byte every `trickle` seconds. `reset_after` adds a rate-limit reset header computed
    when the answer is sent
    (`reset_header`, as an epoch when `reset_epoch`, else as seconds to wait).
    """

    method: str | None = None
    path: str = ""
    query: str = ""  # a regular expression searched in the query string ("" matches every query)
    status: int | None = None
    times: int | None = 1
    latency: float = 0.0
    timeout: bool = False
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    malformed: bool = False
    trickle: float | None = None
    reset_after: float | None = None
    reset_header: str = ""
    reset_epoch: bool = False
    hits: int = field(default=0, compare=False)

    def matches(self, method: str, path: str, query: str = "") -> bool:
        """Whether this fault applies to a request (ignoring how often it already applied)."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.query and re.search(self.query, query) is None:
            return False
        return re.search(self.path, path) is not None

    @property
    def exhausted(self) -> bool:
        """True once the fault has applied `times` times."""
        return self.times is not None and self.hits >= self.times

    @classmethod
    def rate_limited(
        cls,
        api: str,
        *,
        method: str | None = None,
        path: str = "",
        times: int | None = 1,
        retry_after: float = 1.0,
        status: int | None = None,
    ) -> Fault:
        """The realistic rate-limit answer of `api`.

        `api` is one of "github" (primary limit: 403, `x-ratelimit-remaining: 0`, reset epoch),
        "github-secondary" (403 or 429 with `retry-after`), "jira", "pagerduty" or "datadog".
        """
        seconds = max(0, round(retry_after))
        common: dict[str, Any] = {"method": method, "path": path, "times": times, "reset_after": retry_after}
        if api == "github":
            return cls(
                status=status or 403,
                headers={"x-ratelimit-remaining": "0", "x-ratelimit-resource": "core"},
                body={
                    "message": "API rate limit exceeded for user ID 1000001. If you reach out to GitHub "
                    "Support for help, please include the request ID 0000:1111:2222222:3333333:44444444 "
                    "and timestamp 2025-01-01 00:00:00 UTC.",
                    "documentation_url": GITHUB_RATE_DOC,
                    "status": str(status or 403),
                },
                reset_header="x-ratelimit-reset",
                reset_epoch=True,
                **common,
            )
        if api == "github-secondary":
            code = status or 403
            return cls(
                status=code,
                headers={"retry-after": str(seconds)},
                body={
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
                    "you try again. If you reach out to GitHub Support for help, please include the "
                    "request ID 0000:1111:2222222:3333333:44444444.",
                    "documentation_url": GITHUB_SECONDARY_DOC,
                    "status": str(code),
                },
                **common,
            )
        if api == "jira":
            return cls(
                status=status or 429,
                headers={"Retry-After": str(seconds), "X-RateLimit-NearLimit": "true"},
                body={"errorMessages": ["Rate limit exceeded."], "errors": {}},
                **common,
            )
        if api == "pagerduty":
            return cls(
                status=status or 429,
                headers={"Retry-After": str(seconds), "ratelimit-remaining": "0"},
                body={"error": {"message": "Rate Limit Exceeded", "code": 2020}},
                reset_header="ratelimit-reset",
                **common,
            )
        if api == "datadog":
            return cls(
                status=status or 429,
                headers={"X-RateLimit-Remaining": "0"},
                body={"errors": ["Too many requests"]},
                reset_header="X-RateLimit-Reset",
                **common,
            )
        raise ValueError(f"unknown api {api!r}: use github, github-secondary, jira, pagerduty or datadog")


class FaultInjector:
    """Thread-safe, ordered set of faults; the first matching fault that is not exhausted applies."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        """Register a fault and return it (its `hits` count how often it applied)."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str, query: str = "") -> Fault | None:
        """The fault that applies to this request, counting the hit; None when none does."""
        with self._lock:
            for fault in self._faults:
                if not fault.exhausted and fault.matches(method, path, query):
                    fault.hits += 1
                    return fault
        return None

    @property
    def active(self) -> list[Fault]:
        """Faults that still apply to future requests."""
        with self._lock:
            return [f for f in self._faults if not f.exhausted]

    def __len__(self) -> int:
        return len(self.active)
