"""The deploy make targets work from a fresh clone: they create the virtualenv first (the main Makefile's stamp)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _make_n(target: str, venv: Path) -> list[str]:
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is not installed", pytrace=False)
    proc = subprocess.run(
        [make, "-n", "-C", str(REPO), target, f"VENV={venv}"], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@pytest.mark.parametrize("target", ["image-test", "deploy-check"])
def test_target_makes_the_virtualenv_first(target: str, tmp_path: Path) -> None:
    venv = tmp_path / "fresh-venv"  # no stamp there: as in a fresh clone
    lines = _make_n(target, venv)
    creates = next(i for i, line in enumerate(lines) if line.endswith(f"-m venv {venv}"))
    assert any(f"{venv}/bin/pip install" in line and "-e '.[dev]'" in line for line in lines[creates:])
    runs = next(
        i for i, line in enumerate(lines) if "scripts/image-test.sh" in line or "-m pytest tests/deploy" in line
    )
    assert creates < runs, "the virtualenv must exist before the target uses it"
    assert f"{venv}/bin/python" in lines[runs], "the target uses the virtualenv's Python"
