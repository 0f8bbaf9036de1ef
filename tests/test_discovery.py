"""discovery.run: every source at once, bounded by the run's deadline; a stuck or broken source fails its scope."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from syncer import discovery
from syncer.deadline import Deadline, Stop
from syncer.model import Scope
from tests.orchestrator import ACME, LABS, MemorySource, repo


class Broken(MemorySource):
    def discover(self) -> list[Any]:
        raise KeyError("surprise")


def test_results_keep_the_order_of_the_sources_and_their_counts() -> None:
    found = discovery.run([MemorySource([repo("a"), repo("b")]), MemorySource([repo("x", "labs")], where=LABS)])
    assert [(d.scope, d.seen, d.ok, d.abandoned) for d in found] == [(ACME, 2, True, False), (LABS, 1, True, False)]


def test_sources_run_at_once() -> None:
    gate = threading.Barrier(2, timeout=5)
    found = discovery.run([MemorySource(on_discover=gate.wait), MemorySource(on_discover=gate.wait, where=LABS)])
    assert all(d.ok for d in found)  # each waited for the other: they ran concurrently


def test_a_source_that_raises_fails_its_scope_only(caplog: pytest.LogCaptureFixture) -> None:
    found = discovery.run([Broken(where=LABS), MemorySource([repo("a")])])
    assert found[0].error == "github.com/labs: KeyError: 'surprise'" and not found[0].abandoned
    assert found[1].ok
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert (record.getMessage(), getattr(record, "source", None)) == ("source raised", "github.com/labs")
    assert record.exc_info is not None or "KeyError" in (record.exc_text or "")  # logsetup's redactor may render it


def test_a_stuck_source_is_abandoned_after_the_deadline_and_the_grace(caplog: pytest.LogCaptureFixture) -> None:
    block = threading.Event()
    started = time.monotonic()
    found = discovery.run(
        [MemorySource(block=block), MemorySource([repo("x", "labs")], where=LABS)], Deadline(0.3), 0.3
    )
    took = time.monotonic() - started
    block.set()
    assert 0.55 <= took < 3
    assert found[0].abandoned and found[0].scope == ACME
    assert found[0].error == "github.com/acme: run_timeout exceeded; the listing was abandoned"
    assert found[1].ok
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == "github.com/acme: still listing at the run's end; abandoned"
    assert getattr(record, "source", None) == "github.com/acme"


def test_the_grace_is_shared_by_every_stuck_source() -> None:
    block = threading.Event()
    stuck = [MemorySource(block=block, where=Scope(f"s{i}", (f"s{i}",))) for i in range(3)]
    started = time.monotonic()
    found = discovery.run(stuck, Deadline(0.2), 0.4)
    took = time.monotonic() - started
    block.set()
    assert all(d.abandoned for d in found)
    assert took < 1.2  # one grace for all, not one each (0.2 + 3 x 0.4)


def test_a_source_finishing_within_the_grace_is_kept() -> None:
    found = discovery.run([MemorySource([repo("a")], on_discover=lambda: time.sleep(0.4))], Deadline(0.1), 2.0)
    assert found[0].ok and found[0].seen == 1


def test_a_stop_abandons_with_its_reason() -> None:
    stop = Stop()
    block = threading.Event()
    threading.Timer(0.1, stop.stop, args=("interrupted by SIGTERM", "SIGTERM")).start()
    found = discovery.run([MemorySource(block=block)], Deadline(60, stop=stop), 0.1)
    block.set()
    assert found[0].error == "github.com/acme: interrupted by SIGTERM; the listing was abandoned"


def test_without_a_deadline_a_slow_source_is_awaited() -> None:
    found = discovery.run([MemorySource([repo("a")], on_discover=lambda: time.sleep(0.3))], grace=0.0)
    assert found[0].ok


def test_sources_run_in_daemon_threads_so_an_abandoned_one_never_holds_the_process() -> None:
    seen: list[threading.Thread] = []
    discovery.run([MemorySource(on_discover=lambda: seen.append(threading.current_thread()))])
    assert [t.daemon for t in seen] == [True]


def test_a_source_raising_its_own_timeout_fails_at_once_and_is_not_abandoned() -> None:
    class TimesOut(MemorySource):
        def discover(self) -> list[Any]:
            raise TimeoutError("read timed out")

    started = time.monotonic()
    found = discovery.run([TimesOut()], Deadline(30), 5.0)
    assert time.monotonic() - started < 2
    assert found[0].error == "github.com/acme: TimeoutError: read timed out" and not found[0].abandoned
