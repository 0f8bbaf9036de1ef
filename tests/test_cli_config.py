"""`syncer config schema` and `syncer config init [PATH]` as a person runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syncer import cli
from tests.test_cli import restore_logging

__all__ = ["restore_logging"]  # the fixture that puts the logging main() sets up back
SECRETS = ("DD_API_KEY", "DD_APP_KEY", "GITHUB_TOKEN", "JIRA_API_TOKEN", "PAGERDUTY_TOKEN")


def test_schema_prints_a_draft_2020_12_json_schema_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["config", "schema"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"datadog", "github", "jira", "pagerduty"} <= set(document["properties"])
    assert captured.err == ""


def test_init_writes_config_syncer_yaml_by_default_which_validate_then_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["config", "init"]) == 0
    written = tmp_path / "config" / "syncer.yaml"
    assert written.read_text().startswith("#")
    assert "syncer validate" in capsys.readouterr().out
    for name in SECRETS:
        monkeypatch.setenv(name, f"value-of-{name.lower()}")
    assert cli.main(["validate"]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("how", ["SYNCER_CONFIG", "--config"])
def test_init_writes_the_file_the_other_commands_read_and_the_hint_reads_it_back(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "elsewhere" / "mine.yaml"
    flags = ["--config", str(target)] if how == "--config" else []
    monkeypatch.delenv("SYNCER_CONFIG", raising=False)
    if how == "SYNCER_CONFIG":
        monkeypatch.setenv("SYNCER_CONFIG", str(target))
    assert cli.main([*flags, "config", "init"]) == 0
    assert target.is_file() and not (tmp_path / "config").exists()
    hint = capsys.readouterr().out.rsplit("check it with: ", 1)[1].split()
    for name in SECRETS:
        monkeypatch.setenv(name, f"value-of-{name.lower()}")
    assert cli.main(hint[1:]) == 0, capsys.readouterr().err  # the hint's command, as printed


def test_init_writes_the_path_it_is_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "etc" / "syncer.yaml"
    assert cli.main(["config", "init", str(path)]) == 0
    assert path.is_file()
    assert f"syncer --config {path} validate" in capsys.readouterr().out


def test_init_never_overwrites_and_says_which_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "syncer.yaml"
    path.write_text("# mine\n")
    assert cli.main(["config", "init", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and lines[0].startswith("syncer: ")
    assert path.read_text() == "# mine\n"
    assert captured.out == ""


def test_config_alone_asks_for_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["config"])
    assert exited.value.code == 2
    assert "SUBCOMMAND" in capsys.readouterr().err
