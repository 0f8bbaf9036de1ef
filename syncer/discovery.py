"""Discovery: run every source of an integration at once, bounded by the run's deadline; a stuck one is abandoned.

`watched` hands a progress display to the sources that list pages (GitHub, Jira): their discover() reports each page.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, wait

from syncer.deadline import Deadline
from syncer.model import Discovery, Entry, Scope
from syncer.progress import Progress
from syncer.sources.base import Source
from syncer.sources.github import GithubRepos
from syncer.sources.jira import JiraProjects

log = logging.getLogger(__name__)
GRACE_SECONDS = 5.0  # after the deadline, how long sources get to notice it and return before they are abandoned
POLL_SECONDS = 0.1


class _Abandoned(Exception):
    """The source was still listing when the run ended and its grace was over."""


def run(sources: Sequence[Source], deadline: Deadline | None = None, grace: float = GRACE_SECONDS) -> list[Discovery]:
    """Run every source concurrently; a source that raises, or outlives the deadline, fails its whole scope.

    Sources run in daemon threads: one that does not return by the deadline (plus a short grace) is abandoned —
    its scope fails and whatever it finds later is never used, so a stuck server cannot hold the run.
    """
    bound = deadline or Deadline.unbounded()
    started = [(source, _start(source)) for source in sources]
    out: list[Discovery] = []
    give_up: list[float] = []  # when the run ended (deadline or stop) plus the grace: shared by every source
    for source, future in started:
        label = source.scope.label
        try:
            out.extend(_await(future, bound, grace, give_up))
        except _Abandoned:
            reason = bound.reason if bound.stopped else "run_timeout exceeded"
            log.error("%s: still listing at the run's end; abandoned", label, extra={"source": label})
            error = f"{label}: {reason}; the listing was abandoned"
            out.append(Discovery(source.scope, error=error, abandoned=True))
        except Exception as exc:
            log.exception("source raised", extra={"source": label})
            out.append(Discovery(source.scope, error=f"{label}: {type(exc).__name__}: {exc}"))
    return out


def _await(future: Future[list[Discovery]], bound: Deadline, grace: float, give_up: list[float]) -> list[Discovery]:
    """The source's result (or its exception); _Abandoned once the run ended and the grace is over."""
    while not wait([future], timeout=POLL_SECONDS).done:  # not future.result(timeout): a source may raise TimeoutError
        if not bound.expired:
            continue
        now = time.monotonic()
        if not give_up:
            give_up.append(now + grace)
        if now >= give_up[0]:
            raise _Abandoned
    return future.result()


def _start(source: Source) -> Future[list[Discovery]]:
    future: Future[list[Discovery]] = Future()

    def work() -> None:
        try:
            future.set_result(source.discover())
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=work, name=f"source-{source.scope.label}", daemon=True).start()
    return future


def watched(sources: Sequence[Source], progress: Progress | None) -> list[Source]:
    """The sources, those that list pages (GitHub, Jira) reporting each page to `progress`; None: as they are."""
    if progress is None:
        return list(sources)
    return [_Watched(s, progress) if isinstance(s, GithubRepos | JiraProjects) else s for s in sources]


class _Watched:
    """A source whose discover() reports the pages it lists to a progress display; otherwise the source itself."""

    def __init__(self, source: GithubRepos | JiraProjects, progress: Progress) -> None:
        self._source = source
        self._progress = progress

    def __repr__(self) -> str:
        return repr(self._source)

    @property
    def scope(self) -> Scope:
        """The source's scope."""
        return self._source.scope

    def discover(self) -> list[Discovery]:
        """The source's discovery, each page it lists shown on the progress display."""
        return self._source.discover(self._progress)

    def check(self) -> None:
        """The source's credential check."""
        self._source.check()

    def confirm(self, entries: Sequence[Entry]) -> tuple[Entry, ...]:
        """The source's look-ups of removals."""
        return self._source.confirm(entries)
