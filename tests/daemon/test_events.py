"""The Coalescer: deliveries become targeted runs at once when idle, coalesced while busy or within debounce."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence

import pytest

from syncer.daemon.events import Coalescer
from syncer.daemon.runs import Busy, Closed
from syncer.model import Integration, Scope

GH, JIRA = Integration.GITHUB, Integration.JIRA
ACME = Scope("github.com/acme", ("github.com", "acme"))
LABS = Scope("github.com/labs", ("github.com", "labs"))
SITE = Scope("acme.atlassian.net", ("acme.atlassian.net",))
Make = Callable[..., Coalescer]


class Runs:
    """A registry stand-in: records each start; raises Busy while `busy` holds the integration."""

    def __init__(self) -> None:
        self.started: list[tuple[Integration, str, tuple[Scope, ...]]] = []
        self.busy: set[Integration] = set()
        self.lock = threading.Lock()

    def start(self, integration: Integration, trigger: str, targeted: Sequence[Scope]) -> object:
        with self.lock:
            if integration in self.busy:
                raise Busy([integration])
            self.started.append((integration, trigger, tuple(targeted)))
        return None

    def wait(self, count: int, timeout: float = 5) -> list[tuple[Integration, str, tuple[Scope, ...]]]:
        deadline = time.monotonic() + timeout
        while len(self.started) < count:
            assert time.monotonic() < deadline, self.started
            time.sleep(0.005)
        return list(self.started)


@pytest.fixture
def runs() -> Runs:
    return Runs()


@pytest.fixture
def make(runs: Runs) -> Iterator[Make]:
    made: list[Coalescer] = []

    def build(debounce: float = 0.3) -> Coalescer:
        coalescer = Coalescer(runs.start, lambda: debounce)
        coalescer.start()
        made.append(coalescer)
        return coalescer

    yield build
    for coalescer in made:
        coalescer.close()


def test_the_first_delivery_for_an_idle_scope_starts_a_run_at_once(runs: Runs, make: Make) -> None:
    coalescer = make(debounce=60)
    assert coalescer.submit(GH, ACME, "d1") == "started"
    assert runs.wait(1) == [(GH, "webhook:d1", (ACME,))]


def test_deliveries_within_the_debounce_become_one_follow_up_run(runs: Runs, make: Make) -> None:
    coalescer = make(debounce=0.4)
    coalescer.submit(GH, ACME, "d1")
    runs.wait(1)
    started = time.monotonic()
    for n in range(2, 6):
        assert coalescer.submit(GH, ACME, f"d{n}") == "queued"
    follow_up = runs.wait(2)[1]
    assert time.monotonic() - started >= 0.3  # waited out the window opened by the first run
    assert follow_up == (GH, "webhook:d2,d3,d4,+1 more", (ACME,))
    time.sleep(0.6)
    assert len(runs.started) == 2


def test_a_delivery_during_a_run_queues_one_run_for_after_it(runs: Runs, make: Make) -> None:
    coalescer = make(debounce=0)
    runs.busy.add(GH)
    coalescer.submit(GH, ACME, "d1")
    coalescer.submit(GH, LABS, "d2")
    time.sleep(0.2)
    assert runs.started == []  # busy: nothing starts, nothing is lost
    assert coalescer.pending() == {"github": ["github.com/acme", "github.com/labs"]}
    runs.busy.clear()
    coalescer.finished(GH)
    ((integration, trigger, scopes),) = runs.wait(1)
    assert (integration, set(trigger.removeprefix("webhook:").split(",")), set(scopes)) == (
        GH,
        {"d1", "d2"},
        {ACME, LABS},
    )
    assert coalescer.pending() == {}


def test_integrations_do_not_wait_for_each_other(runs: Runs, make: Make) -> None:
    coalescer = make(debounce=60)
    runs.busy.add(GH)
    coalescer.submit(GH, ACME, "d1")
    coalescer.submit(JIRA, SITE, "j1")
    assert runs.wait(1) == [(JIRA, "webhook:j1", (SITE,))]


def test_another_scope_is_not_held_by_the_debounce_of_the_first(runs: Runs, make: Make) -> None:
    coalescer = make(debounce=60)
    coalescer.submit(GH, ACME, "d1")
    runs.wait(1)
    coalescer.submit(GH, LABS, "d2")
    assert runs.wait(2)[1] == (GH, "webhook:d2", (LABS,))


def test_a_deferred_scheduled_run_lists_everything_and_absorbs_the_queue(runs: Runs, make: Make) -> None:
    coalescer = make(debounce=0)
    runs.busy.add(GH)
    coalescer.submit(GH, ACME, "d1")
    coalescer.defer_full(GH)
    runs.busy.clear()
    coalescer.finished(GH)
    assert runs.wait(1) == [(GH, "schedule", ())]
    time.sleep(0.2)
    assert len(runs.started) == 1 and coalescer.pending() == {}


def test_after_close_nothing_is_taken(runs: Runs, make: Make) -> None:
    coalescer = make()
    coalescer.close()
    with pytest.raises(Closed):
        coalescer.submit(GH, ACME, "d1")
    assert runs.started == []


def test_a_scope_of_unknown_identity_cannot_be_targeted(make: Make) -> None:
    with pytest.raises(ValueError, match="known identity"):
        make().submit(GH, Scope("somewhere", None), "d1")


def test_a_run_ending_between_busy_and_the_requeue_does_not_strand_the_queue(runs: Runs, make: Make) -> None:
    coalescer: Coalescer | None = None
    first = True

    def start(integration: Integration, trigger: str, targeted: Sequence[Scope]) -> object:
        nonlocal first
        if first:  # the run going now ends right after refusing this start, before the refusal is handled
            first = False
            assert coalescer is not None
            coalescer.finished(integration)
            raise Busy([integration])
        return runs.start(integration, trigger, targeted)

    coalescer = Coalescer(start, lambda: 0.0)
    coalescer.start()
    try:
        coalescer.submit(GH, ACME, "d1")
        assert runs.wait(1, timeout=0.8) == [(GH, "webhook:d1", (ACME,))]  # at once, not after a poll
    finally:
        coalescer.close()


def test_a_busy_integration_is_asked_again_even_if_no_end_is_reported(runs: Runs, make: Make) -> None:
    coalescer = make(debounce=0)
    runs.busy.add(GH)
    coalescer.submit(GH, ACME, "d1")
    time.sleep(0.2)
    runs.busy.clear()  # the run ended, but `finished` was never called
    assert runs.wait(1, timeout=3) == [(GH, "webhook:d1", (ACME,))]


def test_a_start_that_breaks_does_not_end_the_thread(runs: Runs) -> None:
    calls = []

    def start(integration: Integration, trigger: str, targeted: Sequence[Scope]) -> object:
        calls.append(trigger)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return runs.start(integration, trigger, targeted)

    coalescer = Coalescer(start, lambda: 0.0)
    coalescer.start()
    try:
        coalescer.submit(GH, ACME, "d1")
        time.sleep(0.2)
        coalescer.submit(GH, LABS, "d2")
        assert runs.wait(1) == [(GH, "webhook:d2", (LABS,))]
    finally:
        coalescer.close()
