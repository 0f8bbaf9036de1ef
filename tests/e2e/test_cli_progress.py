"""`syncer plan` on a terminal shows discovery progress on stderr; piped, or with JSON logs, it shows none."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from syncer.simulator import Simulator


def _plan(sim: Simulator, tmp_path: Path, *flags: str, terminal: bool) -> str:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "syncer.yaml"
    sim.write_config(config)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCER_", "DD_", "NO_COLOR"))}
    env.update(sim.env())
    argv = [sys.executable, "-m", "syncer", *flags, "plan", "--config", str(config), "--only", "github"]
    if not terminal:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(120) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_plan_on_a_terminal_shows_the_pages_listed_per_scope(sim: Simulator, tmp_path: Path) -> None:
    shown = _plan(sim, tmp_path, terminal=True)
    assert "github.com/acme" in shown
    assert "pages" in shown and "repos" in shown


def test_piped_or_with_json_logs_no_progress_is_drawn(sim: Simulator, tmp_path: Path) -> None:
    assert "pages" not in _plan(sim, tmp_path, terminal=False)
    assert "pages" not in _plan(sim, tmp_path / "json", "--log-format", "json", terminal=True)
