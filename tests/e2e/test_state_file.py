"""`state.path` with a one-shot sync: applied writes are journaled in the file; a bad file stops before any I/O."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from syncer.simulator import Simulator
from syncer.state.store import StateStore
from tests.e2e.conftest import Run


def test_a_sync_journals_its_applied_write_and_a_second_sync_adds_nothing(
    sim: Simulator, github_only: dict[str, Any], syncer: Any, tmp_path: Path
) -> None:
    path = tmp_path / "state.db"
    config = {**github_only, "state": {"path": str(path)}}
    first: Run = syncer(config, "sync", "--output", "json")
    assert first.code == 0, first.err
    second: Run = syncer(config, "sync")
    assert second.code == 0
    (entry,) = StateStore(path).journal()
    assert (entry.integration, entry.trigger, entry.run_id) == ("github", "cli", first.json()["run_id"])
    assert len(entry.added) == first.json()["integrations"][0]["counts"]["added"] > 0


def test_a_state_file_that_is_no_database_is_a_configuration_error(
    sim: Simulator, github_only: dict[str, Any], syncer: Any, tmp_path: Path
) -> None:
    path = tmp_path / "state.db"
    path.write_text("not a database " * 200)
    run: Run = syncer({**github_only, "state": {"path": str(path)}}, "sync")
    assert run.code == 2
    assert "not a syncer state file" in run.err and "Traceback" not in run.err
    assert sim.datadog.count() == 0 and sim.github.count() == 0
