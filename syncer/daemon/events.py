"""Deliveries become targeted runs (SPEC §9): at once for an idle scope, coalesced while a run goes or just began.

The first delivery for a scope whose last targeted run began more than `debounce` ago starts a run at once when
its integration is idle. Deliveries for a scope arriving while its integration runs, or within `debounce` after
the scope's run began, wait and become one follow-up run; every scope of one integration that is due then goes
into the same run. A scheduled run that found a targeted run going is deferred here too (`defer_full`) and runs
after it, so the schedule stays the backstop. One thread starts the runs; an HTTP answer never waits for it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from syncer.daemon.runs import Busy, Closed
from syncer.model import EntryKey, Integration, Scope

log = logging.getLogger("syncer")
Start = Callable[[Integration, str, Sequence[Scope]], object]  # Registry.start for one integration
BUSY_POLL_SECONDS = 1.0  # an integration found busy is asked again this often even if `finished` never comes
SHOWN_IDS = 3


@dataclass
class _Pending:
    scope: Scope
    deliveries: list[str] = field(default_factory=list)


@dataclass
class _Queue:
    """What one integration waits for: scopes with their delivery ids, and maybe a deferred full run."""

    scopes: dict[EntryKey, _Pending] = field(default_factory=dict)
    full: bool = False
    busy_since: float | None = None  # found running at this time: wait for `finished` (or BUSY_POLL_SECONDS)
    ended: int = 0  # runs of the integration that ended: a Busy from before the last one is stale


class Coalescer:
    """Queues scopes per integration and starts their targeted runs from one thread."""

    def __init__(self, start: Start, debounce: Callable[[], float], clock: Callable[[], float] = time.monotonic):
        self._start = start
        self._debounce = debounce
        self._clock = clock
        self._cond = threading.Condition()
        self._queues: dict[Integration, _Queue] = {}
        self._began: dict[EntryKey, float] = {}  # when each scope's last targeted run began
        self._closed = False
        self._thread: threading.Thread | None = None
        self.runs_started = 0

    def start(self) -> None:
        """Start the thread that starts the runs."""
        self._thread = threading.Thread(target=self._loop, name="webhook-runs", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Start nothing more; queued scopes are dropped (the schedule lists them again)."""
        with self._cond:
            self._closed = True
            dropped = sum(len(q.scopes) for q in self._queues.values())
            self._queues.clear()
            self._cond.notify_all()
        if dropped:
            log.info("%d queued webhook scopes dropped at shutdown", dropped, extra={"event": "webhook_runs_dropped"})
        if self._thread is not None:
            self._thread.join(timeout=5)

    def submit(self, integration: Integration, scope: Scope, delivery: str) -> str:
        """Queue a delivery's scope; 'started' when it can start at once, else 'queued' (it runs after)."""
        if scope.owns is None:
            raise ValueError("a targeted run needs a scope of known identity")
        with self._cond:
            if self._closed:
                raise Closed("shutting down: no new runs")
            queue = self._queues.setdefault(integration, _Queue())
            pending = queue.scopes.setdefault(scope.owns, _Pending(scope))
            pending.deliveries.append(delivery)
            due = queue.busy_since is None and self._due(scope.owns, self._clock())
            self._cond.notify_all()
        return "started" if due else "queued"

    def defer_full(self, integration: Integration) -> None:
        """A scheduled run found a targeted run going: run the full listing once the integration is idle."""
        with self._cond:
            if not self._closed:
                self._queues.setdefault(integration, _Queue()).full = True
                self._cond.notify_all()

    def finished(self, integration: Integration) -> None:
        """A run of `integration` ended: what waits for it may start."""
        with self._cond:
            queue = self._queues.setdefault(integration, _Queue())
            queue.busy_since = None
            queue.ended += 1
            self._cond.notify_all()

    def pending(self) -> dict[str, list[str]]:
        """The queued scopes per integration (labels), for /status."""
        with self._cond:
            return {
                str(i): [p.scope.label for p in q.scopes.values()] + (["(full run)"] if q.full else [])
                for i, q in self._queues.items()
                if q.scopes or q.full
            }

    def _due(self, key: EntryKey, now: float) -> bool:
        began = self._began.get(key)
        return began is None or now - began >= self._debounce()

    def _loop(self) -> None:
        while True:
            with self._cond:
                work = self._next()
                while work is None and not self._closed:
                    self._cond.wait(self._wait())
                    work = self._next()
                if self._closed or work is None:
                    return
            try:
                self._launch(*work)
            except Exception:  # a bug must not end the thread: every later delivery would be answered, never run
                log.exception("starting a targeted run failed; its deliveries wait for the schedule")

    def _next(self) -> tuple[Integration, bool, list[_Pending], int] | None:
        """The first integration with something due and not known busy; taken off its queue (under the lock)."""
        now = self._clock()
        for integration, queue in self._queues.items():
            if queue.busy_since is not None and now - queue.busy_since < BUSY_POLL_SECONDS:
                continue
            if queue.full:  # a full run lists every scope: the queued deliveries are answered by it
                taken = list(queue.scopes.values())
                queue.scopes.clear()
                queue.full = False
                return integration, True, taken, queue.ended
            due = [p for key, p in queue.scopes.items() if self._due(key, now)]
            if due:
                for pending in due:
                    queue.scopes.pop(pending.scope.owns or ())
                return integration, False, due, queue.ended
        return None

    def _wait(self) -> float | None:
        """Seconds until something queued may be due (None: nothing queued, wait to be told)."""
        now, soonest = self._clock(), None
        for queue in self._queues.values():
            if queue.busy_since is not None and (queue.scopes or queue.full):
                left = max(queue.busy_since + BUSY_POLL_SECONDS - now, 0.001)
                soonest = left if soonest is None else min(soonest, left)
                continue
            for key in queue.scopes:
                began = self._began.get(key, now)
                left = max(began + self._debounce() - now, 0.001)
                soonest = left if soonest is None else min(soonest, left)
        return soonest

    def _launch(self, integration: Integration, full: bool, pending: list[_Pending], ended: int) -> None:
        deliveries = [d for p in pending for d in p.deliveries]
        trigger = "schedule" if full else _trigger(deliveries)
        scopes = () if full else tuple(p.scope for p in pending)
        try:
            self._start(integration, trigger, scopes)
        except Busy:
            with self._cond:  # back in the queue, to start once the run going now has ended
                queue = self._queues.setdefault(integration, _Queue())
                if queue.ended == ended:  # else that run ended meanwhile: ask again at once
                    queue.busy_since = self._clock()
                queue.full = queue.full or full
                for item in pending:
                    queue.scopes.setdefault(item.scope.owns or (), _Pending(item.scope)).deliveries[:0] = (
                        item.deliveries
                    )
            return
        except (Closed, ValueError):  # shutting down, or the integration was removed by a reload
            return
        with self._cond:
            began = self._clock()
            for scope in scopes:
                self._began[scope.owns or ()] = began
            self.runs_started += 1
        log.info(
            "%s: %s run for %s",
            integration,
            "deferred scheduled" if full else "targeted",
            "every scope" if full else ", ".join(s.label for s in scopes),
            extra={
                "event": "targeted_run" if scopes else "deferred_run",
                "integration": str(integration),
                "scopes": [s.label for s in scopes],
                "deliveries": len(deliveries),
            },
        )


def _trigger(deliveries: Sequence[str]) -> str:
    """`webhook:<delivery id>`, the first few ids of a coalesced run and how many more."""
    shown = ",".join(deliveries[:SHOWN_IDS])
    more = len(deliveries) - SHOWN_IDS
    return f"webhook:{shown}" + (f",+{more} more" if more > 0 else "")
