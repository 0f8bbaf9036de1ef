"""What the daemon's runs may still write: a RunGuard per run and the PutGate every PUT goes through.

A run that was abandoned (its thread outlived `run_timeout` plus a grace), stopped, or is past its deadline may not
start a PUT; once the daemon shuts down, the gate refuses every new PUT and waits (bounded) for those in flight.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping

from syncer.datadog.target import Target
from syncer.deadline import Deadline
from syncer.errors import DeadlineExceeded, Interrupted
from syncer.model import JSON, Current, Integration

ABANDONED = "run_timeout exceeded; the run was abandoned and writes nothing"


class RunGuard:
    """What one run may still write: nothing once abandoned, nothing once its deadline passed or it was stopped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self._abandoned = False
        self.deadline: Deadline | None = None

    def __repr__(self) -> str:
        return f"RunGuard(abandoned={self._abandoned}, in_flight={self._in_flight})"

    @property
    def abandoned(self) -> bool:
        """True once the registry gave up on the run."""
        return self._abandoned

    def begin_put(self) -> None:
        """Count a PUT of this run; raise Stopped when the run may not write any more."""
        with self._lock:
            if self._abandoned:
                raise DeadlineExceeded(f"PUT not sent: {ABANDONED}")
            if self.deadline is not None:
                self.deadline.check("PUT not sent")
            self._in_flight += 1

    def end_put(self) -> None:
        """The PUT counted by begin_put has ended."""
        with self._lock:
            self._in_flight -= 1

    def abandon(self) -> bool:
        """Refuse every later PUT; False (and nothing changed) while a PUT of this run is under way."""
        with self._lock:
            if self._in_flight:
                return False
            self._abandoned = True
            return True


class PutGate:
    """Counts PUTs in flight; once closed, refuses new ones and lets the caller wait for the others.

    With a run's RunGuard, a PUT of a run that was abandoned, stopped or is past its deadline is refused too.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._in_flight = 0
        self._closed = False

    @contextlib.contextmanager
    def put(self, guard: RunGuard | None = None) -> Iterator[None]:
        """Hold the gate open around one PUT; raise Stopped once closed or when the run may not write."""
        with self._cond:
            if self._closed:
                raise Interrupted("PUT not sent: the daemon is shutting down")
            if guard is not None:
                guard.begin_put()
            self._in_flight += 1
        try:
            yield
        finally:
            if guard is not None:
                guard.end_put()
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def close(self, timeout: float) -> bool:
        """Refuse new PUTs and wait for those in flight (or timeout); True when none is left."""
        with self._cond:
            self._closed = True
            return self._cond.wait_for(lambda: self._in_flight == 0, timeout)


class GatedTarget:
    """A Target whose every PUT goes through the daemon's PutGate and its run's RunGuard; reads pass through."""

    def __init__(self, target: Target, gate: PutGate, guard: RunGuard | None = None) -> None:
        self._target = target
        self._gate = gate
        self._guard = guard

    def __repr__(self) -> str:
        return f"GatedTarget({self._target!r})"

    def get_config(self, integration: Integration, deadline: Deadline | None = None) -> Current:
        """The wrapped target's read."""
        return self._target.get_config(integration, deadline)

    def put_config(
        self, integration: Integration, config: Mapping[str, JSON], deadline: Deadline | None = None
    ) -> Current | None:
        """The wrapped target's write, once the gate and the guard let it start; Stopped otherwise."""
        with self._gate.put(self._guard):
            return self._target.put_config(integration, config, deadline)
