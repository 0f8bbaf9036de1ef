"""Fixed-window request budgets, the way the simulated APIs count requests against a rate limit."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateWindow:
    """A budget of `limit` requests per `period` seconds, refilled at the end of each window."""

    def __init__(self, limit: int, period: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._lock = threading.Lock()
        self._start = clock()
        self._wall_start = time.time()
        self._used = 0

    def _roll(self) -> None:
        now = self._clock()
        if now - self._start >= self.period:
            elapsed_windows = math.floor((now - self._start) / self.period)
            self._start += elapsed_windows * self.period
            self._wall_start += elapsed_windows * self.period
            self._used = 0

    def consume(self) -> bool:
        """Count one request; False (and nothing counted) when the budget is exhausted."""
        with self._lock:
            self._roll()
            if self._used >= self.limit:
                return False
            self._used += 1
            return True

    def refund(self) -> None:
        """Give back one request counted in the current window (an answer the API does not charge for)."""
        with self._lock:
            self._roll()
            self._used = max(0, self._used - 1)

    @property
    def used(self) -> int:
        """Requests counted in the current window."""
        with self._lock:
            self._roll()
            return self._used

    @property
    def remaining(self) -> int:
        """Requests left in the current window."""
        with self._lock:
            self._roll()
            return max(0, self.limit - self._used)

    @property
    def reset_in(self) -> int:
        """Whole seconds until the window ends (at least 1)."""
        with self._lock:
            self._roll()
            return max(1, math.ceil(self._start + self.period - self._clock()))

    @property
    def reset_epoch(self) -> int:
        """Unix time at which the window ends."""
        with self._lock:
            self._roll()
            return math.ceil(self._wall_start + self.period)

    def reset(self) -> None:
        """Start a fresh, full window now."""
        with self._lock:
            self._start = self._clock()
            self._wall_start = time.time()
            self._used = 0
