"""Requests in flight per API host: one semaphore per host, shared by every source that talks to that host."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit


class HostSlots:
    """Hands out one bounded semaphore per host (scheme, host and port) and size.

    Every source of one integration has the same `concurrency`, so the sources of one host share one bound.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}

    def for_url(self, url: str, size: int) -> threading.BoundedSemaphore:
        """The semaphore of the host `url` points at."""
        parts = urlsplit(url)
        host = f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or ''}"
        key = (host, max(size, 1))
        with self._lock:
            if key not in self._slots:
                self._slots[key] = threading.BoundedSemaphore(key[1])
            return self._slots[key]


SLOTS = HostSlots()
