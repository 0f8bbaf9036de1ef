"""StateStore: the ETag cache and the journal survive a restart; every problem with the file is a ConfigError."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncer.errors import ConfigError
from syncer.model import GithubRepo, Integration, IntegrationReport, Plan, Result
from syncer.sources.github_cache import PageCache
from syncer.state.store import SCHEMA_VERSION, StateStore

TOKEN = "ghp_StateStoreToken0001"  # a fake credential, to prove it is never stored


def report(applied: bool = True, n: int = 1, trigger: str = "schedule") -> IntegrationReport:
    added = tuple(GithubRepo("github.com", "acme", f"r{i}") for i in range(n))
    plan = Plan(Integration.GITHUB, added=added, removed=(), changed=(), unchanged=(), to_write=added)
    moment = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    return IntegrationReport(
        Integration.GITHUB,
        Result.SUCCESS,
        moment,
        moment,
        applied=applied,
        plan=plan,
        final_count=n,
        run_id="run-1",
        trigger=trigger,
    )


def test_the_cache_and_the_journal_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = StateStore(path)
    store.remember("https://api.github.com/orgs/acme/repos?page=1", TOKEN, '"abc"', b"[]")
    store.record(report(n=2, trigger="http"))
    store.close()
    again = StateStore(path)
    assert again.etag("https://api.github.com/orgs/acme/repos?page=1", TOKEN) == ('"abc"', b"[]")
    assert again.etag("https://api.github.com/orgs/acme/repos?page=1", "another-token") is None
    (entry,) = again.journal()
    assert (entry.trigger, entry.added, entry.final) == ("http", ("github.com/acme/r0", "github.com/acme/r1"), 2)
    assert TOKEN.encode() not in path.read_bytes()  # keyed by a digest, never the credential
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_in_memory_the_store_works_for_the_process() -> None:
    store = StateStore()
    store.remember("u", TOKEN, "e", b"x")
    assert store.etag("u", TOKEN) == ("e", b"x")
    assert "memory" in repr(store)


def test_only_applied_writes_are_journaled_newest_first_twenty_shown() -> None:
    store = StateStore()
    assert store.record(report(applied=False)) is None
    for n in range(1, 26):
        store.record(report(n=n))
    shown = store.journal()
    assert len(shown) == 20 and shown[0].final == 25 and shown[-1].final == 6
    assert shown[0].to_json()["added"][0] == "github.com/acme/r0"


def test_the_journal_keeps_its_last_rows_only() -> None:
    store = StateStore(kept=5)
    for n in range(1, 13):
        store.record(report(n=n))
    kept = store.journal(limit=100)
    assert [entry.final for entry in kept] == [12, 11, 10, 9, 8]


@pytest.mark.reliability(system="state file", outcome="a clear configuration error naming the file, at start-up")
@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        pytest.param(
            lambda p: p.write_bytes(b"this is no database, just text" * 100), "not a syncer state file", id="not-sqlite"
        ),
        pytest.param(lambda p: p.mkdir(), "not a regular file", id="a-directory"),
        pytest.param(
            lambda p: sqlite3.connect(p).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}"),
            "newer syncer",
            id="newer",
        ),
    ],
)
def test_a_bad_file_is_a_configuration_error_naming_it(tmp_path: Path, setup: object, expected: str) -> None:
    path = tmp_path / "state.db"
    setup(path)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=expected) as caught:
        StateStore(path)
    assert str(path) in str(caught.value)


@pytest.mark.reliability(
    system="state file", answer="locked by another process", outcome="a clear configuration error at start-up"
)
def test_a_file_locked_by_another_writer_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    StateStore(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(ConfigError, match="locked by another process"):
            StateStore(path)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_missing_folder_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be opened"):
        StateStore(tmp_path / "missing" / "state.db")


def test_the_store_is_the_page_cache_of_the_github_source() -> None:
    cache: PageCache = StateStore()  # mypy checks the store against the protocol GithubRepos(cache=...) takes
    blob = bytes(range(256)) * 4  # any bytes, NULs included, come back as they went in
    cache.remember("https://api.github.com/orgs/acme/repos?page=1", TOKEN, 'W/"1"', blob)
    assert cache.etag("https://api.github.com/orgs/acme/repos?page=1", TOKEN) == ('W/"1"', blob)


def test_remember_replaces_the_entry_of_one_url_and_credential_only() -> None:
    store = StateStore()
    store.remember("u1", TOKEN, "e1", b"a")
    store.remember("u1", "other", "e2", b"b")
    store.remember("u2", TOKEN, "e3", b"c")
    store.remember("u1", TOKEN, "e4", b"d")
    assert store.etag("u1", TOKEN) == ("e4", b"d")
    assert store.etag("u1", "other") == ("e2", b"b")
    assert store.etag("u2", TOKEN) == ("e3", b"c")
    assert store.etag("u3", TOKEN) is None


def test_pages_remembered_from_many_threads_are_all_kept(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.db")

    def remember(worker: int) -> None:
        for page in range(25):
            store.remember(f"https://api.github.com/orgs/o{worker}/repos?page={page}", TOKEN, f"e{page}", b"x" * page)

    threads = [threading.Thread(target=remember, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    again = StateStore(tmp_path / "state.db")
    for worker in range(8):
        for page in range(25):
            found = again.etag(f"https://api.github.com/orgs/o{worker}/repos?page={page}", TOKEN)
            assert found == (f"e{page}", b"x" * page)


def test_a_delivery_id_is_new_once_per_source_and_remembered_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = StateStore(path)
    assert store.first_delivery("github", "d-1") is True
    assert store.first_delivery("github", "d-1") is False
    assert store.first_delivery("jira", "d-1") is True  # the same id from another source is another delivery
    store.close()
    again = StateStore(path)
    assert again.first_delivery("github", "d-1") is False
    assert again.first_delivery("github", "d-2") is True
    again.close()


def test_the_last_delivery_ids_of_each_source_are_kept_whatever_the_other_source_sends() -> None:
    store = StateStore(deliveries=3)
    for number in range(5):
        assert store.first_delivery("github", f"g-{number}")
        assert store.first_delivery("jira", f"j-{number}")
    assert [store.first_delivery("github", f"g-{n}") for n in (2, 3, 4)] == [False, False, False]
    assert [store.first_delivery("jira", f"j-{n}") for n in (2, 3, 4)] == [False, False, False]
    assert store.first_delivery("github", "g-1") is True  # forgotten: the three newest are g-2, g-3, g-4
    assert store.first_delivery("jira", "j-0") is True


def test_of_two_copies_of_a_delivery_at_once_one_is_first(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.db")
    results: list[bool] = []
    gate = threading.Barrier(8)

    def deliver() -> None:
        gate.wait()
        results.append(store.first_delivery("github", "same"))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
