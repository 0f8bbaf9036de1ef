"""Deadline: when a run must end (`run_timeout`) and whether it was stopped (a signal, shutdown).

Every client bounds its request timeouts and its retry waits by the deadline, and checks it between pages; the
orchestrator checks it before the PUT. One object per run; `stop()` may be called from any thread (a signal
handler, the daemon's shutdown) and wakes every waiter at once.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from syncer.errors import DeadlineExceeded, Interrupted

Clock = Callable[[], float]


class Stop(threading.Event):
    """A stop event that says why: shared by every run a signal or a shutdown must stop."""

    def __init__(self) -> None:
        super().__init__()
        self.reason = "interrupted"
        self.signal: str | None = None

    def stop(self, reason: str, signal: str | None = None) -> None:
        """Set the event, with its reason and the signal behind it (the first ones given are kept)."""
        if not self.is_set():
            self.reason = reason
            self.signal = signal
        self.set()


class Deadline:
    """The end of one run: a monotonic time (or none), plus a stop event shared with whoever may interrupt it."""

    def __init__(
        self,
        seconds: float | None = None,
        *,
        stop: threading.Event | None = None,
        clock: Clock = time.monotonic,
        label: str = "run_timeout",
    ) -> None:
        self._clock = clock
        self._seconds = seconds
        self._at = math.inf if seconds is None else clock() + max(seconds, 0.0)
        self._stop = stop if stop is not None else threading.Event()
        self._reason = "interrupted"
        self._label = label

    def __repr__(self) -> str:
        return f"Deadline(remaining={self.remaining():.1f}, stopped={self.stopped})"

    @classmethod
    def unbounded(cls) -> Deadline:
        """No deadline and nobody to stop it (tests, one-off helpers)."""
        return cls(None)

    def child(self, seconds: float | None) -> Deadline:
        """A deadline that ends at `seconds` from now or at this one's end, whichever is first; stops with it."""
        child = Deadline(seconds, stop=self._stop, clock=self._clock, label=self._label)
        child._at = min(child._at, self._at)
        child._seconds = seconds if seconds is not None else self._seconds
        return child

    def stop(self, reason: str = "interrupted") -> None:
        """Stop the run now: waits end, the next check raises Interrupted."""
        if isinstance(self._stop, Stop):
            self._stop.stop(reason)
        else:
            self._reason = reason
            self._stop.set()

    @property
    def stopped(self) -> bool:
        """True once stop() was called."""
        return self._stop.is_set()

    @property
    def reason(self) -> str:
        """Why the run was stopped (e.g. "interrupted by SIGINT")."""
        return self._stop.reason if isinstance(self._stop, Stop) else self._reason

    def remaining(self) -> float:
        """Seconds left (0 when stopped or past the end; inf when unbounded)."""
        if self._stop.is_set():
            return 0.0
        return max(self._at - self._clock(), 0.0)

    @property
    def expired(self) -> bool:
        """True when stopped or past the end."""
        return self.remaining() <= 0.0

    def check(self, where: str = "") -> None:
        """Raise Interrupted when stopped, DeadlineExceeded when past the end; else return."""
        prefix = f"{where}: " if where else ""
        if self._stop.is_set():
            raise Interrupted(f"{prefix}{self.reason}")
        if self._clock() >= self._at:
            raise DeadlineExceeded(f"{prefix}{self._label} of {_duration(self._seconds)} exceeded")

    def timeout(self, limit: float) -> float:
        """A per-request timeout: `limit`, or less when the deadline is nearer (never 0, which means no timeout)."""
        return max(min(limit, self.remaining()), 0.001)

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`, less when the deadline comes first; returns at once when stopped."""
        wait = min(max(seconds, 0.0), self.remaining())
        if wait > 0:
            self._stop.wait(wait)

    def allows(self, seconds: float) -> bool:
        """True when a wait of `seconds` still ends before the deadline."""
        return seconds < self.remaining()


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "(none)"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
