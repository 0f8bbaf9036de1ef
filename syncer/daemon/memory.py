"""The native memory of a long-lived daemon on glibc: arenas capped, freed memory handed back after each run.

Every run lists its sources on fresh threads, and glibc gives threads their own malloc arenas (up to eight per
core), each keeping the memory it once held: RSS climbs for hundreds of runs before it levels off. Two arenas,
and `malloc_trim` once a run has ended, keep it flat. Elsewhere (musl, macOS) both calls do nothing.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from functools import cache

log = logging.getLogger("syncer")
M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)
ARENAS = 2


@cache
def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def cap_arenas(count: int = ARENAS) -> bool:
    """Let glibc use at most `count` malloc arenas from now on; True when it took the setting."""
    libc = _glibc()
    taken = libc is not None and libc.mallopt(M_ARENA_MAX, count) == 1
    log.debug("malloc arenas capped at %d: %s", count, taken)
    return taken


def trim() -> bool:
    """Hand the memory glibc holds but does not use back to the system; True when some was released."""
    libc = _glibc()
    return libc is not None and libc.malloc_trim(0) == 1
