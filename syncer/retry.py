"""Bounded exponential backoff shared by every client; waits the server asks for are honoured up to a cap.

Every retry is logged here, as one WARNING line of the `syncer.retry` logger naming the system, the request and
what went wrong, then which retry it is and the wait before it:

    github: github.com/acme: GET /orgs/acme/repos page 3 answered 502: Bad Gateway; retry 1 of 4 in 0.3s

The clients retry nothing themselves (urllib3 `max_retries=0`, no library retry loop), so no other line tells of a
retry.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from syncer.deadline import Deadline
from syncer.errors import TransientError
from syncer.redact import redact

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, and how long to wait between them."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    max_wait: float = 120.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("a retry policy makes at least one attempt")

    def delay(self, attempt: int, asked: float | None = None) -> float:
        """Seconds to wait before retry number `attempt` (0-based); `asked` is the server's own wait."""
        if asked is not None and asked >= 0:
            return min(asked, self.max_wait)
        backoff: float = min(self.cap, self.base * 2**attempt)
        return backoff * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography


def parse_seconds(value: str | None) -> float | None:
    """A Retry-After / X-RateLimit-Reset style number of seconds, or None when absent or unreadable."""
    if value is None:
        return None
    try:
        return max(float(value.strip()), 0.0)
    except ValueError:
        return None


class Sleeper:
    """An interruptible sleep: `stop()` wakes every waiter, so shutdown never waits out a backoff."""

    def __init__(self) -> None:
        self._stopped = threading.Event()

    def __call__(self, seconds: float) -> None:
        self._stopped.wait(seconds)

    def stop(self) -> None:
        """Wake all sleepers now and make later sleeps return at once."""
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        """True once stop() was called."""
        return self._stopped.is_set()


Sleep = Callable[[float], None]
T = TypeVar("T")


def call(attempt: Callable[[], T], policy: RetryPolicy, sleep: Sleep, deadline: Deadline | None = None) -> T:
    """Run `attempt` until it returns; a TransientError is retried with backoff, anything else propagates.

    With a deadline, no attempt starts once it has passed (or the run was stopped), and a wait that would end
    past it is not waited: the last error is raised instead. A wait the server asks for is honoured up to the
    policy's `max_wait`.
    """
    for number in range(1, policy.attempts + 1):
        if deadline is not None:
            deadline.check()
        try:
            return attempt()
        except TransientError as exc:
            if number >= policy.attempts:
                raise _noted(exc, f"gave up after {number} attempts") from exc.__cause__
            wait = policy.delay(number - 1, exc.retry_after)
            if deadline is not None and not deadline.allows(wait):
                deadline.check()
                raise _noted(exc, "no time left before the run's deadline to retry") from exc.__cause__
            _log_retry(exc, number, policy.attempts - 1, wait)
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def _log_retry(exc: TransientError, number: int, retries: int, wait: float) -> None:
    """One line: `system: what failed; retry N of M in Xs` (redacted; the system is named once)."""
    text = redact(str(exc)).replace("\n", " ")
    system = exc.system or ""
    if system and not text.casefold().startswith((f"{system.casefold()}:", f"{system.casefold()} ")):
        text = f"{system}: {text}"
    extra: dict[str, object] = {"event": "retry"}
    if exc.status is not None:
        extra["http.status_code"] = exc.status  # Datadog's standard attribute
    log.warning("%s; retry %d of %d in %.1fs", text, number, retries, wait, extra=extra)


def _noted(exc: TransientError, note: str) -> TransientError:
    """The same error (same type, same attributes) with why retrying stopped added to its message."""
    exc.args = (f"{exc} ({note})",)
    return exc
