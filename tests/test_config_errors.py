"""Configuration errors (SPEC §11): every problem at once, each with its file:line, a suggestion for a misspelt key,
`*_file` paths relative to the configuration's folder, and never a secret in the text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from syncer.config import keys, loader
from syncer.config.schema import GithubSource, RunSettings
from syncer.errors import ConfigError

ENV = {"DD_API_KEY": "errors-dd-api-0001", "DD_APP_KEY": "errors-dd-app-0002", "GITHUB_TOKEN": "ghp_Errors0003"}
SECRETS = ("errors-dd-api-0001", "errors-dd-app-0002", "ghp_Errors0003", "pd-literal-secret-0004")

BROKEN = """\
datadog:
  site: datadoghq.com
defaults:
  max_deletion: 5
  concurrency: "8"
github:
  sources:
    - token: $GITHUB_TOKEN
      orgs: [acme]
      archive: true
    - token_file: secrets/absent
      orgs: [acme]
jira:
  sources:
    - hostname: acme.atlassian.net
      account_id: 1234
      token: ${JIRA_PAT}
pagerduty:
  sources:
    - token: pd-literal-secret-0004
      token_file: secrets/pd
"""


def error_text(path: Path, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        loader.load(path, ENV if env is None else env)
    return str(caught.value)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    folder = tmp_path / "etc"
    (folder / "secrets").mkdir(parents=True)
    (folder / "secrets" / "pd").write_text("pd-from-file-0005\n")
    path = folder / "syncer.yaml"
    path.write_text(BROKEN)
    return path


def test_every_problem_is_reported_at_once_with_its_line(broken: Path) -> None:
    lines = error_text(broken, {"DD_API_KEY": "errors-dd-api-0001"}).splitlines()
    origin = str(broken)
    assert lines[0] == f"{origin}: 9 problems in the configuration:"
    assert lines[1:] == [
        f"  {origin}:1: datadog.app_key: not set (set it in the file or the DD_APP_KEY variable)",
        f"  {origin}:4: defaults.max_deletion: unknown key (did you mean max_deletions?)",
        f"  {origin}:5: defaults.concurrency: Input should be a valid integer, not a string (write it without quotes)",
        f"  {origin}:8: github.sources[0].token: a bare $NAME (at character 1) is not replaced: "
        "write ${GITHUB_TOKEN} for the environment variable GITHUB_TOKEN, or $$ for a literal $",
        f"  {origin}:10: github.sources[0].archive: unknown key (did you mean archived?)",
        f"  {origin}:11: github.sources[1].token_file: cannot read {broken.parent / 'secrets' / 'absent'}: "
        "No such file or directory",
        f'  {origin}:16: jira.sources[0].account_id: must be a string: quote it in YAML (account_id: "123456789"), '
        "got int",
        f"  {origin}:17: jira.sources[0].token: environment variable JIRA_PAT is not set",
        f"  {origin}:21: pagerduty.sources[0].token_file: give either token or token_file, not both",
    ]


def test_no_secret_appears_in_the_report(broken: Path) -> None:
    text = error_text(broken)
    for secret in (*SECRETS, "pd-from-file-0005"):
        assert secret not in text


def test_a_bare_variable_in_a_secret_names_the_braced_form(tmp_path: Path) -> None:
    path = tmp_path / "syncer.yaml"
    path.write_text("pagerduty:\n  sources:\n    - token: $PAGERDUTY_TOKEN\n")
    text = error_text(path, {**ENV, "PAGERDUTY_TOKEN": "pd-env-0006"})
    assert f"{path}:3: pagerduty.sources[0].token: a bare $NAME" in text
    assert "write ${PAGERDUTY_TOKEN} for the environment variable PAGERDUTY_TOKEN" in text
    assert "pd-env-0006" not in text


@pytest.mark.parametrize(
    ("line", "hinted"),
    [
        ('  archived: "true"', True),
        ("  archived: maybe", False),
        ('  concurrency: "8"', True),
        ("  concurrency: eight", False),
    ],
)
def test_the_quotes_hint_only_when_the_value_without_quotes_would_do(tmp_path: Path, line: str, hinted: bool) -> None:
    path = tmp_path / "syncer.yaml"
    source = "github:\n  sources:\n    - token: t0123456789abcdef\n      orgs: [acme]\n    "
    path.write_text(f"defaults:\n{line}\n" if "concurrency" in line else f"{source}{line}\n")
    text = error_text(path, ENV)
    (found,) = [row for row in text.splitlines() if line.split(":", maxsplit=1)[0].strip() in row]
    assert ("without quotes" in found) is hinted, text


@pytest.mark.parametrize("value", ["abc$Secret0007", "$lowercase-secret-0008", "x$Y_Z secret"])
def test_a_dollar_inside_a_literal_secret_is_not_quoted_back(tmp_path: Path, value: str) -> None:
    path = tmp_path / "syncer.yaml"
    path.write_text(f"pagerduty:\n  sources:\n    - token: '{value}'\n")
    text = error_text(path)
    assert "pagerduty.sources[0].token: a bare $NAME" in text
    assert "write ${NAME} for an environment variable, or $$ for a literal $" in text
    for part in (value, value.partition("$")[2], "Secret0007", "secret-0008"):
        assert part not in text


@pytest.mark.parametrize(
    ("written", "path", "suggested"),
    [
        ("max_deletion", ("defaults",), "max_deletions"),
        ("tokn", ("github", "sources", 0), "token"),
        ("tokn_file", ("github", "sources", 0), "token_file"),
        ("categoris", ("jira", "sources", 0), "categories"),
        ("privat_key_file", ("github", "sources", 0, "app"), "private_key_file"),
        ("pagerduty_", (), "pagerduty"),
        ("debounse", ("webhooks",), "debounce"),
        ("secrets", ("webhooks", "github"), "secret"),
        ("ca_bundel", ("http",), "ca_bundle"),
    ],
)
def test_the_closest_valid_key_is_suggested(written: str, path: tuple[str | int, ...], suggested: str) -> None:
    assert keys.closest(written, path) == suggested


def test_no_suggestion_when_nothing_is_close() -> None:
    assert keys.closest("bogus", ()) is None
    assert keys.closest("anything", ("github", "sources", 0, "custom_properties")) is None


def test_the_keys_of_a_mapping_include_the_file_twins() -> None:
    assert {"token", "token_file", "orgs"} <= set(keys.keys_of(GithubSource))
    assert keys.model_at(("defaults",)) is RunSettings
    assert keys.model_at(("github", "sources", 3)) is GithubSource


def test_a_tree_without_a_file_names_the_origin_only() -> None:
    tree = {"github": {"sources": [{"token": "${GITHUB_TOKEN}", "orgs": ["a"], "forsk": True}]}, "bogus": 1}
    with pytest.raises(ConfigError) as caught:
        loader.parse(tree, ENV, origin="tree")
    assert str(caught.value).splitlines() == [
        "tree: 2 problems in the configuration:",
        "  tree: github.sources[0].forsk: unknown key (did you mean forks?)",
        "  tree: bogus: unknown key",
    ]


def test_one_problem_is_singular(tmp_path: Path) -> None:
    path = tmp_path / "syncer.yaml"
    path.write_text("github:\n  sources:\n    - {token: '${GITHUB_TOKEN}', orgs: [a]}\n  schedul: x\n")
    assert error_text(path).splitlines() == [
        f"{path}: 1 problem in the configuration:",
        f"  {path}:4: github.schedul: unknown key (did you mean schedule?)",
    ]


def test_a_missing_key_is_placed_on_its_mapping(tmp_path: Path) -> None:
    path = tmp_path / "syncer.yaml"
    path.write_text("github:\n  extra:\n    - hostname: github.com\n      repo_name: x\n")
    assert f"{path}:3: github.extra[0].github_org_name: Field required" in error_text(path)


def test_a_secret_read_from_a_file_is_placed_on_the_file_key(tmp_path: Path) -> None:
    (tmp_path / "key.pem").write_text("not a key\n")
    path = tmp_path / "syncer.yaml"
    path.write_text("github:\n  sources:\n    - app:\n        app_id: 1\n        private_key_file: key.pem\n")
    assert f"{path}:5: github.sources[0].app.private_key: must be an unencrypted PEM" in error_text(path)


def test_an_unreadable_secret_file_is_one_problem_not_two(tmp_path: Path) -> None:
    path = tmp_path / "syncer.yaml"
    path.write_text("github:\n  sources:\n    - {app: {app_id: 1, private_key_file: absent.pem}}\n")
    text = error_text(path)
    assert text.splitlines()[0].endswith("1 problem in the configuration:")
    assert "github.sources[0].app.private_key_file: cannot read" in text


def test_a_file_path_from_a_missing_variable_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "syncer.yaml"
    path.write_text("pagerduty:\n  sources:\n    - token_file: ${PD_TOKEN_FILE}\n")
    assert error_text(path).splitlines()[1:] == [
        f"  {path}:3: pagerduty.sources[0].token_file: environment variable PD_TOKEN_FILE is not set"
    ]


def test_keys_given_twice_or_not_strings_are_reported_with_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "syncer.yaml"
    path.write_text(
        "defaults:\n  policy: sync\n  policy: upsert-only\n  42: x\n  jiter: 1\n"
        "github:\n  sources:\n    - {token: '${MISSING}', orgs: [a]}\n"
    )
    assert error_text(path).splitlines() == [
        f"{path}: 4 problems in the configuration:",
        f"  {path}:3: not valid YAML: key 'policy' is given twice in one mapping (column 3)",
        f"  {path}:4: not valid YAML: a mapping key must be a string, not an integer (quote it) (column 3)",
        f"  {path}:5: defaults.jiter: unknown key (did you mean jitter?)",
        f"  {path}:8: github.sources[0].token: environment variable MISSING is not set",
    ]


def test_yaml_syntax_errors_use_the_same_text(tmp_path: Path) -> None:
    path = tmp_path / "syncer.yaml"
    path.write_text("github:\n  sources: [\n")
    lines = error_text(path).splitlines()
    assert lines[0] == f"{path}: 1 problem in the configuration:"
    assert lines[1].startswith(f"  {path}:3: not valid YAML: ")


@pytest.mark.parametrize("where", ["another", "config-folder", "root"])
def test_relative_secret_files_resolve_against_the_config_folder_from_any_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    folder = tmp_path / "deploy" / "etc"
    (folder / "secrets").mkdir(parents=True)
    (folder / "secrets" / "gh").write_text("ghp_from_the_config_folder\n")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "gh").write_text("ghp_from_the_working_directory\n")
    path = folder / "syncer.yaml"
    path.write_text("github:\n  sources:\n    - {token_file: secrets/gh, orgs: [acme]}\n")
    cwd = {"another": tmp_path / "deploy", "config-folder": folder, "root": tmp_path}[where]
    monkeypatch.chdir(cwd)
    config = loader.load(os.path.relpath(path, cwd), ENV)
    assert config.github is not None
    assert config.github.sources[0].token is not None
    assert config.github.sources[0].token.get_secret_value() == "ghp_from_the_config_folder"


def test_validate_prints_every_problem_and_exits_2(broken: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "SYNCER_"))}
    env.update(ENV)
    done = subprocess.run(
        [sys.executable, "-m", "syncer", "--config", str(broken), "validate"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert f"{broken}: 8 problems in the configuration:" in done.stderr
    assert f"{broken}:4: defaults.max_deletion: unknown key (did you mean max_deletions?)" in done.stderr
    assert "Traceback" not in done.stderr
    for secret in SECRETS:
        assert secret not in done.stderr + done.stdout


@pytest.mark.parametrize("section", ["http", "state", "webhooks", "defaults"])
def test_a_section_with_every_key_commented_out_is_an_empty_one(tmp_path: Path, section: str) -> None:
    path = tmp_path / "syncer.yaml"
    path.write_text(f"{section}:\n  # nothing here yet\npagerduty:\n  extra: [{{enabled: true, subdomain: acme}}]\n")
    config = loader.load(path, ENV)
    assert getattr(config, section) == type(getattr(config, section))()
