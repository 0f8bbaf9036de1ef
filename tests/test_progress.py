"""Progress of a discovery: shown on a terminal with text logs only, fed by the sources' pages, through runner.run."""

from __future__ import annotations

import io
import logging
import math
import threading
from collections.abc import Iterator

import pytest

from syncer import progress, runner
from syncer.config import loader
from syncer.config.schema import Config
from syncer.model import Integration
from syncer.retry import RetryPolicy
from syncer.simulator import Simulator

FAST = RetryPolicy(attempts=2, base=0.01, cap=0.02, max_wait=0.5)


class Tty(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Pages:
    """A Progress that records what it is told."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, str]] = []
        self.closed = 0
        self._lock = threading.Lock()

    def page(self, scope: str, items: int, noun: str) -> None:
        with self._lock:
            self.seen.append((scope, items, noun))

    def close(self) -> None:
        self.closed += 1

    def per_scope(self) -> dict[str, tuple[int, int, str]]:
        """scope -> (pages, items, noun)."""
        out: dict[str, tuple[int, int, str]] = {}
        for scope, items, noun in self.seen:
            pages, total, _ = out.get(scope, (0, 0, noun))
            out[scope] = (pages + 1, total + items, noun)
        return out


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator() as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def fresh(sim: Simulator) -> None:
    sim.reset()


def config(sim: Simulator) -> Config:
    tree = sim.config_dict()
    tree.pop("pagerduty")
    tree["defaults"] = {**tree["defaults"], "max_deletions": "100%"}
    return loader.parse(tree, sim.env())


@pytest.mark.parametrize(
    ("terminal", "log_format", "shown"),
    [
        (True, None, True),
        (True, "text", True),
        (True, "Text", True),
        (True, "json", False),
        (True, "JSON", False),
        (False, None, False),
        (False, "text", False),
    ],
    ids=[
        "terminal-default-logs",
        "terminal-text-logs",
        "terminal-text-any-case",
        "terminal-json-logs",
        "terminal-json-any-case",
        "not-a-terminal",
        "piped-text-logs",
    ],
)
def test_a_display_only_on_a_terminal_with_text_logs(terminal: bool, log_format: str | None, shown: bool) -> None:
    found = progress.for_terminal(Tty() if terminal else io.StringIO(), log_format)
    assert (found is not None) is shown
    if found is not None:
        found.close()


def test_the_terminal_display_counts_pages_and_items_per_scope() -> None:
    screen = Tty()
    display = progress.for_terminal(screen, "text")
    assert display is not None
    for items in (100, 100, 17):
        display.page("github.com/acme", items, "repos")
    display.page("acme.atlassian.net", 50, "projects")
    display.close()
    drawn = screen.getvalue()
    assert "github.com/acme" in drawn and "3 pages, 217 repos" in drawn
    assert "acme.atlassian.net" in drawn and "1 page, 50 projects" in drawn


def test_nothing_is_drawn_before_the_first_page() -> None:
    screen = Tty()
    display = progress.TerminalProgress(screen)
    display.close()
    display.page("github.com/acme", 100, "repos")  # after close: ignored
    assert screen.getvalue() == ""


def test_log_lines_print_above_the_display_and_the_handler_gets_its_stream_back() -> None:
    screen = Tty()
    handler = logging.StreamHandler(screen)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        display = progress.TerminalProgress(screen)
        display.page("github.com/acme", 100, "repos")
        assert handler.stream is not screen
        logging.getLogger("syncer.test").warning("a line while the pages are listed")
        display.close()
        assert handler.stream is screen
    finally:
        root.removeHandler(handler)
    assert "a line while the pages are listed\n" in screen.getvalue()


def test_a_pass_reports_every_page_its_sources_list(sim: Simulator) -> None:
    pages = Pages()
    result = runner.run(config(sim), [Integration.GITHUB, Integration.JIRA], dry_run=True, policy=FAST, progress=pages)
    listed = {d.scope.label: d.seen for r in result.integrations for d in r.sources}
    seen = pages.per_scope()
    for org, count in {"acme": 250, "acme-labs": 40}.items():
        assert len(sim.github.orgs[org]) == count
        assert seen[f"github.com/{org}"] == (math.ceil(count / 100), count, "repos")
    assert seen["ghe.acme.internal/platform"] == (2, 120, "repos")
    for site in ("acme.atlassian.net", "jira.acme.internal"):
        pages_read, items, noun = seen[site]
        assert (items, noun) == (listed[site], "projects") and pages_read >= 1
    assert pages.closed == 1


def test_a_pass_on_a_terminal_draws_the_pages(sim: Simulator) -> None:
    screen = Tty()
    display = progress.for_terminal(screen, "text")
    runner.run(config(sim), [Integration.GITHUB], dry_run=True, policy=FAST, progress=display)
    assert "github.com/acme" in screen.getvalue() and "3 pages, 250 repos" in screen.getvalue()


def test_without_progress_a_pass_is_as_before(sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    runner.run(config(sim), [Integration.GITHUB], dry_run=True, policy=FAST)
    assert "pages" not in capsys.readouterr().err
