"""The write lock: writers of one Datadog list on one machine take turns from the re-read to the PUT.

Two syncer processes at once (a CronJob's run and a manual one, two terminals) would otherwise both re-read the
list, both plan, and the later PUT would drop what the earlier one added. Holding an advisory lock (`flock`) on a
file named after the Datadog API and the integration from the re-read through the PUT makes the second writer
re-read after the first one wrote. The file is in `SYNCER_LOCK_DIR`, else the temporary directory; waiting for it
is bounded by the run's deadline. Writers on other machines are covered by the re-read alone (README, *Safety*).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from syncer.deadline import Deadline
from syncer.errors import DeadlineExceeded

POLL_SECONDS = 0.05
WriteLock = Callable[[Deadline], AbstractContextManager[None]]


def path_for(api: str, integration: str, directory: str | None = None) -> Path:
    """The lock file of one Datadog API base URL and integration."""
    digest = hashlib.sha256(f"{api.rstrip('/').lower()}|{integration}".encode()).hexdigest()[:16]
    base = directory or os.environ.get("SYNCER_LOCK_DIR") or tempfile.gettempdir()
    return Path(base) / f"syncer-{integration}-{digest}.lock"


def file_lock(path: Path) -> WriteLock:
    """A WriteLock on `path`: exclusive among the processes of this machine, waited for up to the deadline."""

    @contextlib.contextmanager
    def held(deadline: Deadline) -> Iterator[None]:
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            yield  # an unwritable lock directory must not stop a run: the re-read still protects the list
            return
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    deadline.check("waiting for another syncer writing the same list")
                    if not deadline.allows(POLL_SECONDS):
                        raise DeadlineExceeded(
                            "another syncer process kept writing the same list until the run's deadline"
                        ) from None
                    deadline.sleep(POLL_SECONDS)
            yield
        finally:
            os.close(handle)  # closing the descriptor releases the lock

    return held


@contextlib.contextmanager
def unlocked(deadline: Deadline) -> Iterator[None]:
    """No lock (tests of a single writer, in-memory targets)."""
    yield
