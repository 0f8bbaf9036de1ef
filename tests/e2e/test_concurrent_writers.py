"""Two syncer processes writing one list at once (a CronJob run and a manual one): neither loses the other's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from syncer.simulator import Simulator
from tests.e2e.conftest import stored_names

ORGS = ("acme", "acme-labs")


def writer(sim: Simulator, tmp_path: Path, name: str, orgs: list[str]) -> subprocess.Popen[str]:
    config = sim.config_dict()
    config.pop("jira")
    config.pop("pagerduty")
    config["defaults"]["policy"] = "upsert-only"
    config["github"]["sources"] = [dict(config["github"]["sources"][0], orgs=orgs)]
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {**os.environ, **sim.env(), "SYNCER_LOCK_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "syncer", "--config", str(path), "--log-format", "json", "sync"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.reliability(
    system="Datadog stored list",
    answer="two sync processes at once, different orgs, upsert-only",
    outcome="both writers' new entries are in the list",
)
@pytest.mark.parametrize("round_", range(3))
def test_two_writers_at_once_keep_each_others_entries(sim: Simulator, tmp_path: Path, round_: int) -> None:
    sim.github.latency = 0.02 * round_  # both listings overlap and finish at nearly the same time
    sim.datadog.latency = 0.4  # so both re-reads before the PUT would see the list as it was before either wrote
    first, second = writer(sim, tmp_path, "a", ["acme"]), writer(sim, tmp_path, "b", ["acme-labs"])
    for process in (first, second):
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    names = stored_names(sim)
    orgs: dict[str, Any] = {org: sum(n.startswith(f"github.com/{org}/") for n in names) for org in ORGS}
    assert all(orgs.values()), orgs
    assert sim.datadog.count("PUT") >= 2
