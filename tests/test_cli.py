"""The command line as a person meets it: log flags and their variables, help, and each error said once."""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import syncer.demo
from syncer import cli, logsetup
from syncer.cli import helptext
from syncer.cli import parser as command_line

SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2"  # a GitHub token's shape: masked even when never registered


@pytest.fixture(autouse=True)
def restore_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """main() sets up the root logger and the exception hooks: put them back; no variable of ours leaks in."""
    for name in ("SYNCER_LOG_LEVEL", "SYNCER_LOG_FORMAT", "SYNCER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logsetup.LIBRARY_LOGGERS}
    hooks = (sys.excepthook, threading.excepthook)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)
    sys.excepthook, threading.excepthook = hooks
    logging.captureWarnings(False)


def _formatter() -> logging.Formatter | None:
    return logging.getLogger().handlers[0].formatter


# -- --log-level / --log-format and their variables ------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "level"),
    [("debug", logging.DEBUG), ("DEBUG", logging.DEBUG), ("Info", logging.INFO), ("warn", logging.WARNING),
     ("warning", logging.WARNING), ("error", logging.ERROR)],
)  # fmt: skip
def test_the_log_level_flag_takes_any_case_and_warn(given: str, level: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--log-level", given, "completion", "bash"]) == 0
    assert logging.getLogger().level == level
    assert cli.main(["completion", "bash", "--log-level", given]) == 0, "after the command too"
    assert logging.getLogger().level == level


def test_an_unknown_log_level_flag_is_a_usage_error_listing_the_levels(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--log-level", "loud", "completion", "bash"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--log-level" in err and "'loud'" in err
    assert all(word in err for word in ("debug", "info", "warning", "error"))


def test_the_variables_are_the_flags_defaults(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SYNCER_LOG_LEVEL", "debug")
    monkeypatch.setenv("SYNCER_LOG_FORMAT", "JSON")
    assert cli.main(["completion", "bash"]) == 0
    assert logging.getLogger().level == logging.DEBUG
    assert isinstance(_formatter(), logsetup.JsonFormatter)
    monkeypatch.setenv("SYNCER_LOG_FORMAT", "text")
    assert cli.main(["completion", "bash"]) == 0
    assert isinstance(_formatter(), logsetup.TextFormatter)


def test_a_flag_wins_over_its_variable(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SYNCER_LOG_LEVEL", "debug")
    monkeypatch.setenv("SYNCER_LOG_FORMAT", "json")
    assert cli.main(["--log-level", "error", "--log-format", "text", "completion", "bash"]) == 0
    assert logging.getLogger().level == logging.ERROR
    assert isinstance(_formatter(), logsetup.TextFormatter)


def test_without_flag_or_variable_a_quiet_command_logs_from_warning_the_others_from_info(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["completion", "bash"]) == 0
    assert logging.getLogger().level == logging.WARNING
    monkeypatch.chdir(tmp_path)
    assert cli.main(["plan"]) == 2  # no configuration file here
    assert logging.getLogger().level == logging.INFO


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("SYNCER_LOG_LEVEL", "loud", ("debug", "info", "warning", "error")),
        ("SYNCER_LOG_FORMAT", "xml", ("text", "json")),
    ],
)
def test_a_wrong_variable_is_a_usage_error_naming_it_and_the_allowed_values(
    name: str, value: str, allowed: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(name, value)
    assert cli.main(["completion", "bash"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("syncer: error: ") and name in lines[0] and repr(value) in lines[0]
    assert all(word in lines[0] for word in allowed)


# -- help ------------------------------------------------------------------------------------------------------


def _commands() -> list[tuple[str, ...]]:
    """Every command path the parser knows: ("sync",), ..., ("config", "init")."""

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    yield (*path, name)
                    yield from walk(child, (*path, name))

    return list(walk(command_line.build(), ()))


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        cli.main([*args, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_every_command_is_documented_in_helptext() -> None:
    assert {" ".join(path) for path in _commands()} == set(helptext.COMMANDS)
    assert {"sync", "plan", "daemon", "validate", "simulate", "demo", "explain", "config schema", "config init"} <= {
        " ".join(path) for path in _commands()
    }


@pytest.mark.parametrize("path", _commands(), ids=" ".join)
def test_each_commands_help_has_a_description_examples_and_exit_codes(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    out = _help(capsys, *path)
    text = helptext.COMMANDS[" ".join(path)]
    usage, _, rest = out.partition("\n\n")
    assert usage.startswith(f"usage: syncer {' '.join(path)}")
    summary, description = rest.split("\n\n", 2)[:2]
    assert summary.lower() == f"{text.summary}.".lower(), "the summary comes first: shells show that line"
    assert " ".join(description.split()) == " ".join(text.description.split()), "then the description"
    examples = out.split("examples:\n", 1)[1].split("\n\n", 1)[0]
    assert f"syncer {' '.join(path)}" in examples
    codes = [line.split()[0] for line in out.split("exit codes:\n", 1)[1].splitlines() if line.strip()]
    assert codes == [code for code, _ in text.exits]
    assert "0" in codes


@pytest.mark.parametrize("path", [(), *_commands()], ids=lambda path: " ".join(path) or "syncer")
def test_each_help_fits_an_80_column_terminal(
    path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    wide = [line for line in _help(capsys, *path).splitlines() if len(line) > 80]
    assert not wide, "\n".join(wide)


@pytest.mark.parametrize("command", ["sync", "plan"])
def test_the_pipeline_commands_list_every_exit_code_of_the_spec(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _help(capsys, command).split("exit codes:\n", 1)[1]
    assert [line.split()[0] for line in out.splitlines() if line.strip()] == ["0", "1", "2", "3", "130/143"]
    assert "guard refused" in out and "configuration or usage error" in out


def test_the_busy_port_flags_are_named_in_their_commands_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--port-base" in _help(capsys, "simulate").split("exit codes:", 1)[1]
    assert "--listen" in _help(capsys, "daemon").split("exit codes:", 1)[1]


def _examples() -> list[str]:
    rows = [left for text in helptext.COMMANDS.values() for left, _ in text.examples]
    return [row for row in rows if "syncer " in row]


@pytest.mark.parametrize("example", _examples())
def test_every_example_in_the_help_is_a_command_line_syncer_accepts(example: str) -> None:
    words = shlex.split(example.split("|", 1)[0].split(">", 1)[0])
    while "=" in words[0]:  # VAR=value before the command
        words.pop(0)
    assert words[0] == "syncer"
    args = command_line.build().parse_args(words[1:])
    assert callable(args.handler)


def test_the_top_level_help_lists_each_command_with_its_line_and_points_to_command_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _help(capsys)
    for name in ("sync", "plan", "daemon", "validate", "simulate", "demo", "explain", "config", "completion"):
        line = next((line for line in out.splitlines() if line.split()[:1] == [name]), None)
        assert line is not None, f"{name} is not listed:\n{out}"
        assert helptext.COMMANDS[name].summary.split()[0] in line
    assert 'Run "syncer COMMAND --help"' in out
    for variable in ("SYNCER_CONFIG", "SYNCER_LOG_LEVEL", "SYNCER_LOG_FORMAT"):
        assert variable in out


def test_the_completion_help_says_where_to_install_each_shells_script(capsys: pytest.CaptureFixture[str]) -> None:
    out = _help(capsys, "completion")
    assert "syncer completion bash > /etc/bash_completion.d/syncer" in out
    assert 'syncer completion zsh > "${fpath[1]}/_syncer"' in out
    assert "syncer completion fish > ~/.config/fish/completions/syncer.fish" in out


# -- errors, said once -----------------------------------------------------------------------------------------


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    return lines[0]


@pytest.mark.parametrize("fmt", ["json", "text"])
@pytest.mark.parametrize("command", [["plan"], ["sync"], ["validate"], ["explain", "pagerduty:acme"], ["daemon"]])
def test_a_missing_configuration_file_is_said_once_with_how_to_get_one(
    command: list[str], fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--log-format", fmt, *command]) == 2
    captured = capsys.readouterr()
    line = _one_line(captured.err)
    assert captured.out == ""
    assert line.startswith("syncer: configuration error: no configuration file at config/syncer.yaml (the default)")
    assert '"syncer config init"' in line and "--config PATH" in line and "SYNCER_CONFIG" in line


def test_a_missing_file_named_by_flag_or_variable_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.yaml"
    assert cli.main(["--config", str(missing), "plan"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"at {missing} (from --config)" in line and f'"syncer config init {missing}"' in line
    monkeypatch.setenv("SYNCER_CONFIG", str(missing))
    assert cli.main(["plan"]) == 2
    assert f"at {missing} (from SYNCER_CONFIG)" in _one_line(capsys.readouterr().err)


def test_a_configuration_error_is_said_once_not_also_logged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "syncer.yaml"
    path.write_text("datadog: [not, a, mapping\n")
    assert cli.main(["--config", str(path), "--log-format", "json", "plan"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"syncer: configuration error: {path}: 1 problem"), err
    assert err.count("not valid YAML") == 1, "every problem once (the loader lists them all), and no log line too"
    assert not [line for line in err.splitlines() if line.startswith("{")]


def _broken(exc: BaseException) -> None:
    raise exc


def test_an_unexpected_exception_is_one_redacted_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(syncer.demo, "demo", lambda: _broken(ValueError(f"token {SECRET} did not parse")))
    assert cli.main(["demo"]) == 1
    line = _one_line(capsys.readouterr().err)
    assert (
        line
        == "syncer: internal error: ValueError: token *** did not parse (run with --log-level debug for the traceback)"
    )


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_the_traceback_of_an_internal_error_shows_at_debug_only_and_redacted(
    fmt: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(syncer.demo, "demo", lambda: _broken(KeyError(f"key {SECRET}")))
    assert cli.main(["--log-format", fmt, "--log-level", "debug", "demo"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "_broken" in err
    assert SECRET not in err
    assert err.rstrip().splitlines()[-1] == "syncer: internal error: KeyError: 'key ***'"
    assert cli.main(["--log-format", fmt, "--log-level", "info", "demo"]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_ctrl_c_is_130_and_says_nothing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(syncer.demo, "demo", lambda: _broken(KeyboardInterrupt()))
    assert cli.main(["demo"]) == 130
    assert capsys.readouterr().err == ""


def test_an_unknown_integration_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from syncer.simulator import Simulator

    with Simulator() as sim:
        path = tmp_path / "syncer.yaml"
        sim.write_config(path)
        with pytest.MonkeyPatch.context() as patch:
            for name, value in sim.env().items():
                patch.setenv(name, value)
            assert cli.main(["--config", str(path), "plan", "--only", "gitlab"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line == "syncer: error: --only: unknown integration 'gitlab' (use github, jira, pagerduty)"
