"""README.md's quick start runs exactly as written (SPEC §11 "Fresh clone"), against the simulator.

The quick start is every ```sh block between `<!-- quickstart` and `<!-- /quickstart -->` in README.md. They run in
order as one bash script in a new folder, with `set -e` and a trap naming the command that failed. Only what a
person at two terminals does by hand is played by the test:

- a line commented `# terminal 1` (the simulator) runs in the background; once it says it is running, the `export`
  lines it printed are pasted into the script's environment (what "paste the export lines" asks), and it is
  stopped when the script ends;
- the install line (`make install`) needs the network and a few minutes: it runs, in a fresh `git clone` of this
  repository, only with SYNCER_QUICKSTART_INSTALL=1; otherwise the folder's `.venv` is this checkout's, so
  `. .venv/bin/activate` gives the `syncer` under test.

Nothing else is replaced: the variables the quick start exports are its own placeholder words.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
START, END = "<!-- quickstart", "<!-- /quickstart -->"
INSTALL = re.compile(r"^(make install|python3 -m venv)\b")
BACKGROUND = "# terminal 1"
WAIT_SECONDS = 60
BASH = shutil.which("bash") or "/bin/bash"
GIT = shutil.which("git") or "/usr/bin/git"


def quickstart(readme: str) -> list[str]:
    """The command lines of the quick start's sh blocks, in order (comments and blank lines dropped)."""
    assert readme.count(START) == 1 and readme.count(END) == 1, "README.md: one quick start between its markers"
    section = readme.split(START, 1)[1].split(END, 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert blocks, "the quick start has no ```sh block"
    return [line for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")]


def script(lines: list[str], install: bool) -> str:
    """The bash script that runs `lines` as a person would at two terminals."""
    out = [
        "set -euo pipefail",
        "trap 'echo \"quickstart: command failed: $BASH_COMMAND\" >&2' ERR",
        'trap \'if [ -n "${SIM_PID:-}" ]; then kill "$SIM_PID"; wait "$SIM_PID" || true; fi\' EXIT',
    ]
    for line in lines:
        command = line.partition("  #")[0].strip()
        if INSTALL.match(command) and not install:
            out.append(f"echo {shlex.quote('quickstart: skipped (the checkout is installed): ' + command)}")
        elif BACKGROUND in line:
            out += [
                f"{command} > terminal-1.log 2>&1 &",
                "SIM_PID=$!",
                f"for _ in $(seq {WAIT_SECONDS * 10}); do grep -q 'simulator running' terminal-1.log && break;"
                " kill -0 $SIM_PID; sleep 0.1; done",
                "grep -q 'simulator running' terminal-1.log",
                "eval \"$(sed -n 's/^ *export /export /p' terminal-1.log)\"",
            ]
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def test_the_quick_start_is_found() -> None:
    lines = quickstart((REPO / "README.md").read_text())
    commands = [line.partition("  #")[0].strip() for line in lines]
    assert "syncer config init" in commands
    assert "syncer validate" in commands
    assert any(c.startswith("syncer simulate --write-config") for c in commands)
    assert any(c.endswith(" plan") for c in commands)
    assert sum(BACKGROUND in line for line in lines) == 1


def test_the_quick_start_runs_as_written(tmp_path: Path) -> None:
    install = os.environ.get("SYNCER_QUICKSTART_INSTALL") == "1"
    folder = tmp_path / "syncer"
    if install:
        subprocess.run([GIT, "clone", "--quiet", str(REPO), str(folder)], check=True, timeout=120)
    else:
        folder.mkdir()
        (folder / ".venv").symlink_to(REPO / ".venv")
    text = script(quickstart((REPO / "README.md").read_text()), install)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "SYNCER_", "SIM_", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(REPO)))
    done = subprocess.run(
        [BASH, "-c", text],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800 if install else 300,
        check=False,
    )
    log = folder / "terminal-1.log"
    detail = f"{done.stderr}\n--- terminal 1 ---\n{log.read_text() if log.exists() else ''}"
    assert done.returncode == 0, detail
    assert "quickstart: command failed" not in done.stderr
    assert (folder / "config" / "syncer.yaml").is_file()
    assert (folder / "config" / "simulator.yaml").is_file()
    assert "Plan:" in done.stdout, done.stdout


@pytest.mark.parametrize("missing", ["terminal-1", "markers"])
def test_a_broken_quick_start_is_noticed(missing: str) -> None:
    readme = (REPO / "README.md").read_text()
    if missing == "markers":
        with pytest.raises(AssertionError):
            quickstart(readme.replace(END, ""))
    else:
        lines = [line.replace(BACKGROUND, "# elsewhere") for line in quickstart(readme)]
        assert all("SIM_PID" not in part for part in script(lines, install=False).splitlines()[3:])
