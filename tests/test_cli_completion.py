"""`syncer completion bash|zsh|fish`: scripts generated from the parser itself, that complete what syncer takes."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from syncer import cli
from tests.test_cli import restore_logging

__all__ = ["restore_logging"]  # the fixture that puts the logging main() sets up back

COMMANDS = ("sync", "plan", "daemon", "validate", "simulate", "demo", "explain", "config", "completion")


def _script(shell: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert cli.main(["completion", shell]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_shell_gets_a_script_naming_every_command_and_option(
    shell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    script = _script(shell, capsys)
    for word in (*COMMANDS, "--port-base", "--write-config", "--allow-deletions", "--listen", "schema", "init"):
        assert word in script, f"{word} missing from the {shell} script"


def test_an_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["completion", "powershell"])
    assert exited.value.code == 2
    assert "invalid choice: 'powershell'" in capsys.readouterr().err


def _shell(name: str) -> str:
    path = shutil.which(name)
    assert path is not None, f"{name} is not installed"
    return path


def _complete(script: Path, *words: str) -> list[str]:
    """What bash offers for the last of `words`, with the script sourced as the completion of `syncer`."""
    line = " ".join(words)
    quoted = " ".join(shlex.quote(word) for word in words)
    program = (
        f"source {shlex.quote(str(script))}\n"
        f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}\n"
        f"COMP_LINE={shlex.quote(line)}; COMP_POINT={len(line)}\n"
        "_shtab_syncer\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run([_shell("bash"), "-c", program], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    return [word.strip() for word in done.stdout.splitlines() if word.strip()]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_the_bash_script_completes_commands_subcommands_options_and_choices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "syncer.bash"
    script.write_text(_script("bash", capsys))
    assert _complete(script, "syncer", "sim") == ["simulate"]
    assert set(COMMANDS) <= set(_complete(script, "syncer", ""))
    assert set(_complete(script, "syncer", "config", "")) == {"schema", "init"}
    assert _complete(script, "syncer", "simulate", "--port") == ["--port-base"]
    assert _complete(script, "syncer", "completion", "") == ["bash", "zsh", "fish"]
    assert set(_complete(script, "syncer", "--log-level", "")) == {"DEBUG", "INFO", "WARNING", "ERROR"}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_script_is_valid_syntax_for_its_shell(
    shell: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    script = tmp_path / f"syncer.{shell}"
    script.write_text(_script(shell, capsys))
    done = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_the_fish_script_completes_commands_options_and_choices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "syncer.fish"
    script.write_text(_script("fish", capsys))

    def offered(line: str) -> set[str]:
        program = f"source {shlex.quote(str(script))}; complete -C {shlex.quote(line)}"
        done = subprocess.run([_shell("fish"), "-c", program], capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode == 0, done.stderr
        return {row.split("\t", 1)[0] for row in done.stdout.splitlines() if row.strip()}

    assert offered("syncer sim") == {"simulate"}
    assert set(COMMANDS) <= offered("syncer ")
    assert offered("syncer config ") == {"schema", "init"}
    assert offered("syncer simulate --port") == {"--port-base"}
    assert offered("syncer completion ") == {"bash", "zsh", "fish"}
