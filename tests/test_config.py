"""Configuration: interpolation, *_file secrets, env defaults, validation messages naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from syncer.config import loader
from syncer.config.schema import DATADOG_SITES
from syncer.config.settings import DeletionLimit
from syncer.errors import ConfigError
from syncer.model import Integration

PEM = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    .decode()
)
ENV = {"DD_API_KEY": "dd-api-secret", "DD_APP_KEY": "dd-app-secret", "GITHUB_TOKEN": "ghp_topsecret"}


def minimal(**github: object) -> dict[str, object]:
    source: dict[str, object] = {"token": "${GITHUB_TOKEN}", "orgs": ["acme"]}
    source.update(github)
    return {"github": {"sources": [source]}}


def parse(tree: dict[str, object], env: dict[str, str] | None = None) -> object:
    return loader.parse(tree, ENV if env is None else env)


def error_of(tree: dict[str, object], env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(tree, env)
    return str(caught.value)


def test_example_config_parses(tmp_path: Path) -> None:
    key = tmp_path / "app.pem"
    key.write_text(PEM)
    pat = tmp_path / "pat"
    pat.write_text("jira-pat\n")
    env = {
        **ENV,
        "JIRA_API_TOKEN": "j",
        "PAGERDUTY_TOKEN": "p",
        "GHES_APP_KEY_FILE": str(key),
        "JIRA_PAT_FILE": str(pat),
    }
    config = loader.load(Path("config/syncer.example.yaml"), env)
    assert config.integrations() == [Integration.GITHUB, Integration.JIRA, Integration.PAGERDUTY]
    assert config.effective(Integration.GITHUB).schedule == "*/15 * * * *"
    assert config.effective(Integration.JIRA).schedule == "*/30 * * * *"
    assert config.effective(Integration.GITHUB).max_deletions == DeletionLimit(percent=10)
    assert config.jira is not None
    assert config.jira.sources[1].token is not None
    assert config.jira.sources[1].token.get_secret_value() == "jira-pat"
    assert config.github is not None
    assert config.github.sources[1].base_url == "https://ghe.acme.internal/api/v3"
    assert config.datadog.base_url == "https://api.datadoghq.com"
    assert config.effective(Integration.GITHUB).run_timeout_seconds == 900.0
    assert config.effective(Integration.GITHUB).confirm_removals == 50


def test_defaults_and_env_fallbacks() -> None:
    config = loader.parse(minimal(), {**ENV, "DD_SITE": "datadoghq.eu"})
    assert config.datadog.base_url == "https://api.datadoghq.eu"
    assert config.datadog.api_key.get_secret_value() == "dd-api-secret"
    settings = config.effective(Integration.GITHUB)
    assert (settings.policy, settings.on_source_error, settings.concurrency) == ("sync", "keep", 8)


def test_application_key_alias() -> None:
    env = {"DD_API_KEY": "a", "DD_APPLICATION_KEY": "b", "GITHUB_TOKEN": "t"}
    assert loader.parse(minimal(), env).datadog.app_key.get_secret_value() == "b"


def test_missing_variable_names_it_and_the_key() -> None:
    message = error_of(minimal(), {"DD_API_KEY": "a", "DD_APP_KEY": "b"})
    assert "github.sources[0].token" in message
    assert "GITHUB_TOKEN" in message


def test_default_value_syntax() -> None:
    tree = minimal(hostname="${GH_HOST:-ghe.example.com}")
    config = loader.parse(tree, ENV)
    assert config.github is not None
    assert config.github.sources[0].hostname == "ghe.example.com"


def test_secret_from_file(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("ghp_from_file\n")
    config = loader.parse({"github": {"sources": [{"token_file": str(secret), "orgs": ["a"]}]}}, ENV)
    assert config.github is not None
    assert config.github.sources[0].token is not None
    assert config.github.sources[0].token.get_secret_value() == "ghp_from_file"


def test_secret_and_file_together_is_an_error(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("x")
    assert "not both" in error_of(minimal(token_file=str(secret)))


def test_unreadable_secret_file() -> None:
    message = error_of({"github": {"sources": [{"token_file": "/nonexistent/token", "orgs": ["a"]}]}})
    assert "github.sources[0].token_file" in message


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        pytest.param({**minimal(), "bogus": 1}, "bogus: unknown key", id="unknown-top-level"),
        pytest.param(minimal(tokn="x"), "github.sources[0].tokn: unknown key", id="unknown-nested"),
        pytest.param(minimal(include=["re:(["]), "github.sources[0].include", id="bad-regex"),
        pytest.param(minimal(visibility=["secret"]), "github.sources[0].visibility[0]", id="bad-visibility"),
        pytest.param({**minimal(), "defaults": {"schedule": "every day"}}, "defaults.schedule", id="bad-cron"),
        pytest.param({**minimal(), "defaults": {"schedule": "* * * * 9"}}, "defaults.schedule", id="bad-weekday"),
        pytest.param({**minimal(), "defaults": {"max_deletions": "lots"}}, "defaults.max_deletions", id="bad-max"),
        pytest.param({**minimal(), "defaults": {"policy": "yolo"}}, "defaults.policy", id="bad-policy"),
        pytest.param({**minimal(), "defaults": {"concurrency": 0}}, "defaults.concurrency", id="bad-concurrency"),
        pytest.param(minimal(orgs=[]), "orgs: required with token auth", id="token-needs-orgs"),
        pytest.param(minimal(api_url="api.github.com"), "github.sources[0].api_url", id="url-needs-scheme"),
        pytest.param(minimal(hostname="https://github.com"), "bare host name", id="hostname-not-url"),
        pytest.param({"datadog": {"site": "datadoghq.com/x"}, **minimal()}, "datadog.site", id="bad-site"),
        pytest.param({}, "no integration configured", id="nothing-managed"),
        pytest.param(
            {"jira": {"sources": [{"hostname": "a.atlassian.net", "account_id": "1", "api_token": "t"}]}},
            "email: required",
            id="jira-cloud-needs-email",
        ),
        pytest.param(
            {"jira": {"sources": [{"hostname": "a.atlassian.net", "account_id": "1"}]}},
            "exactly one of api_token",
            id="jira-needs-a-credential",
        ),
        pytest.param(
            {"github": {"sources": [{"app": {"app_id": 1, "private_key": "nope"}}]}},
            "github.sources[0].app.private_key",
            id="app-key-must-be-pem",
        ),
        pytest.param(
            {"github": {"sources": [{"app": {"app_id": 1, "private_key": "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n"}}]}},
            "unencrypted PEM private key",
            id="app-key-must-parse",
        ),
        pytest.param({"pagerduty": {"sources": [{"token": ""}]}}, "pagerduty.sources[0].token", id="empty-secret"),
        pytest.param({"github": {"extra": [{"hostname": "github.com"}]}}, "github.extra[0].repo_name", id="extra"),
        pytest.param({"datadog": {"site": "app.datadoghq.eu"}, **minimal()}, "unknown Datadog site", id="site-typo"),
        pytest.param(minimal(include=[]), "github.sources[0].include", id="empty-include"),
        pytest.param(minimal(visibility=[]), "github.sources[0].visibility", id="empty-visibility"),
        pytest.param({"github": {}}, "github: give at least one of sources or extra", id="empty-section"),
        pytest.param(
            {"jira": {"sources": [{"hostname": "a.atlassian.net", "account_id": 342391, "token": "t"}]}},
            "jira.sources[0].account_id: must be a string: quote it",
            id="unquoted-account-id",
        ),
        pytest.param(
            {"jira": {"extra": [{"hostname": "a", "account_id": 1, "project_key": "P"}]}},
            "jira.extra[0].account_id",
            id="unquoted-account-id-in-extra",
        ),
    ],
)
def test_invalid_configs_name_the_key(tree: dict[str, object], expected: str) -> None:
    assert expected in error_of(tree)


def test_missing_datadog_keys() -> None:
    message = error_of(minimal(), {"GITHUB_TOKEN": "t"})
    assert "datadog.api_key" in message
    assert "DD_API_KEY" in message


def test_errors_never_show_secret_values() -> None:
    tree = {**minimal(orgs="not-a-list"), "datadog": {"api_key": "dd-api-secret", "app_key": 5}}
    message = error_of(tree)
    for secret in ENV.values():
        assert secret not in message


def test_repr_hides_secrets() -> None:
    config = loader.parse(minimal(), ENV)
    text = repr(config) + str(config) + config.model_dump_json()
    for secret in ENV.values():
        assert secret not in text


def test_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping"):
        loader.load(path, ENV)


def test_a_key_given_twice_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("github:\n  sources: []\n  sources:\n    - {token: x, orgs: [a]}\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:3: not valid YAML: key 'sources' is given twice"):
        loader.load(path, ENV)


def test_yaml_errors_do_not_echo_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("datadog:\n  api_key: SUPERSECRET: KEY123\n")
    with pytest.raises(ConfigError) as caught:
        loader.load(path, ENV)
    assert "c.yaml:2: not valid YAML" in str(caught.value)
    assert "SUPERSECRET" not in str(caught.value)


def test_every_datadog_site_is_accepted() -> None:
    for site in DATADOG_SITES:
        config = loader.parse({"datadog": {"site": site}, **minimal()}, ENV)
        assert config.datadog.base_url == f"https://api.{site}"


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("github: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        loader.load(path, ENV)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        loader.load(tmp_path / "absent.yaml", ENV)


def test_integration_overrides_defaults() -> None:
    tree = {**minimal(), "defaults": {"max_deletions": 3, "policy": "upsert-only"}}
    tree["github"] = {**tree["github"], "max_deletions": "25%"}  # type: ignore[dict-item]
    config = loader.parse(tree, ENV)
    settings = config.effective(Integration.GITHUB)
    assert settings.max_deletions == DeletionLimit(percent=25)
    assert settings.policy == "upsert-only"


def test_dollar_escape() -> None:
    config = loader.parse(minimal(include=["re:^a$$"]), ENV)
    assert config.github is not None
    assert config.github.sources[0].include == ["re:^a$"]


def test_yaml_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(minimal()))
    assert loader.load(path, ENV).integrations() == [Integration.GITHUB]


def test_run_timeout_and_confirm_removals_defaults() -> None:
    settings = loader.parse(minimal(), ENV).effective(Integration.GITHUB)
    assert (settings.run_timeout_seconds, settings.run_timeout, settings.confirm_removals) == (900.0, "15m", 50)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("90s", 90.0), ("15m", 900.0), ("2h", 7200.0), ("24h", 86400.0), ("1d", 86400.0)],
)
def test_run_timeout_durations(text: str, seconds: float) -> None:
    settings = loader.parse({**minimal(), "defaults": {"run_timeout": text}}, ENV).effective(Integration.GITHUB)
    assert settings.run_timeout_seconds == seconds
    assert settings.run_timeout == text


def test_run_timeout_and_confirm_removals_are_overridable() -> None:
    tree = {**minimal(), "defaults": {"run_timeout": "1h", "confirm_removals": 7}}
    tree["github"] = {**tree["github"], "run_timeout": "30s", "confirm_removals": 0}  # type: ignore[dict-item]
    tree["pagerduty"] = {"sources": [{"token": "pd-token-1"}]}
    config = loader.parse(tree, ENV)
    github, pagerduty = config.effective(Integration.GITHUB), config.effective(Integration.PAGERDUTY)
    assert (github.run_timeout_seconds, github.confirm_removals) == (30.0, 0)
    assert (pagerduty.run_timeout_seconds, pagerduty.confirm_removals) == (3600.0, 7)


def test_null_defaults_mean_the_documented_default() -> None:
    tree = {**minimal(), "defaults": {"run_timeout": None, "confirm_removals": None, "schedule": None}}
    settings = loader.parse(tree, ENV).effective(Integration.GITHUB)
    assert (settings.run_timeout_seconds, settings.confirm_removals, settings.schedule) == (900.0, 50, "*/30 * * * *")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        pytest.param({"run_timeout": "0s"}, "defaults.run_timeout: must be at least 1s", id="timeout-zero"),
        pytest.param({"run_timeout": "25h"}, "defaults.run_timeout: must be at most 1d", id="timeout-over-a-day"),
        pytest.param({"run_timeout": "2d"}, "defaults.run_timeout: must be at most 1d", id="timeout-days"),
        pytest.param({"run_timeout": 900}, "defaults.run_timeout: must be a duration", id="timeout-bare-number"),
        pytest.param({"run_timeout": "15"}, "defaults.run_timeout: must be a duration", id="timeout-no-unit"),
        pytest.param({"run_timeout": "1.5m"}, "defaults.run_timeout: must be a duration", id="timeout-fraction"),
        pytest.param({"run_timeout": "-5m"}, "defaults.run_timeout: must be a duration", id="timeout-negative"),
        pytest.param({"run_timeout": True}, "defaults.run_timeout: must be a duration", id="timeout-bool"),
        pytest.param({"confirm_removals": -1}, "defaults.confirm_removals", id="confirm-negative"),
        pytest.param({"confirm_removals": True}, "defaults.confirm_removals", id="confirm-bool"),
        pytest.param({"confirm_removals": "5"}, "defaults.confirm_removals", id="confirm-string"),
        pytest.param({"confirm_removals": 5.0}, "defaults.confirm_removals", id="confirm-float"),
    ],
)
def test_bad_run_timeout_and_confirm_removals(settings: dict[str, object], expected: str) -> None:
    assert expected in error_of({**minimal(), "defaults": settings})


def test_relative_secret_file_is_relative_to_the_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "etc"
    (folder / "secrets").mkdir(parents=True)
    (folder / "secrets" / "token").write_text("ghp_relative_token\n")
    path = folder / "syncer.yaml"
    path.write_text("github:\n  sources:\n    - {token_file: secrets/token, orgs: [acme]}\n")
    monkeypatch.chdir(tmp_path)  # not the config's folder: the path must not be taken from here
    config = loader.load(path, ENV)
    assert config.github is not None
    assert config.github.sources[0].token is not None
    assert config.github.sources[0].token.get_secret_value() == "ghp_relative_token"


def test_absolute_secret_file_is_used_as_written(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("ghp_absolute_token")
    path = tmp_path / "sub" / "syncer.yaml"
    path.parent.mkdir()
    path.write_text(f"github:\n  sources:\n    - {{token_file: {tmp_path / 'token'}, orgs: [acme]}}\n")
    config = loader.load(path, ENV)
    assert config.github is not None
    assert config.github.sources[0].token is not None
    assert config.github.sources[0].token.get_secret_value() == "ghp_absolute_token"


def test_a_tree_resolves_relative_secret_files_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "token").write_text("ghp_cwd_token")
    monkeypatch.chdir(tmp_path)
    config = loader.parse({"github": {"sources": [{"token_file": "token", "orgs": ["a"]}]}}, ENV)
    assert config.github is not None
    assert config.github.sources[0].token is not None
    assert config.github.sources[0].token.get_secret_value() == "ghp_cwd_token"


@pytest.mark.parametrize(
    ("field", "env_value", "expected"),
    [("app_id", "12345", 12345), ("installation_id", "42", 42)],
)
def test_integers_may_come_from_the_environment(field: str, env_value: str, expected: int) -> None:
    app: dict[str, object] = {"app_id": 7, "private_key": PEM, field: "${NUMBER}"}
    config = loader.parse({"github": {"sources": [{"app": app}]}}, {**ENV, "NUMBER": env_value})
    assert config.github is not None
    assert config.github.sources[0].app is not None
    assert getattr(config.github.sources[0].app, field) == expected


@pytest.mark.parametrize(("env_value", "expected"), [("true", True), ("false", False), ("False", False)])
def test_booleans_may_come_from_the_environment(env_value: str, expected: bool) -> None:
    tree = {"pagerduty": {"sources": [{"token": "pd-token-1", "enabled": "${PD_ENABLED}"}]}}
    config = loader.parse(tree, {**ENV, "PD_ENABLED": env_value})
    assert config.pagerduty is not None
    assert config.pagerduty.sources[0].enabled is expected


@pytest.mark.parametrize("env_value", ["yes", "1", "", "true!"])
def test_a_boolean_from_the_environment_is_true_or_false(env_value: str) -> None:
    tree = {"pagerduty": {"sources": [{"token": "pd-token-1", "enabled": "${PD_ENABLED}"}]}}
    assert "pagerduty.sources[0].enabled" in error_of(tree, {**ENV, "PD_ENABLED": env_value})


@pytest.mark.parametrize("env_value", ["eight", "8.0", "0x8", " "])
def test_an_integer_from_the_environment_is_digits(env_value: str) -> None:
    tree = {**minimal(), "defaults": {"concurrency": "${N}"}}
    assert "defaults.concurrency" in error_of(tree, {**ENV, "N": env_value})


def test_integer_from_the_environment_still_checks_bounds() -> None:
    tree = {**minimal(), "defaults": {"concurrency": "${N}"}}
    assert "defaults.concurrency" in error_of(tree, {**ENV, "N": "65"})
    config = loader.parse(tree, {**ENV, "N": "16"})
    assert config.effective(Integration.GITHUB).concurrency == 16


def test_dollar_before_a_non_name_stays_literal_outside_secrets() -> None:
    config = loader.parse(minimal(include=["re:^v[0-9]+$", "re:^(a|b)$"]), ENV)
    assert config.github is not None
    assert config.github.sources[0].include == ["re:^v[0-9]+$", "re:^(a|b)$"]


def test_dollar_dollar_in_a_secret_is_a_literal_dollar() -> None:
    config = loader.parse({"pagerduty": {"sources": [{"token": "pa$$word$${X}"}]}}, ENV)
    assert config.pagerduty is not None
    assert config.pagerduty.sources[0].token.get_secret_value() == "pa$word${X}"


def test_environment_values_are_not_interpolated_again() -> None:
    config = loader.parse(minimal(), {**ENV, "GITHUB_TOKEN": "ghp_$HOME${X}"})
    assert config.github is not None
    assert config.github.sources[0].token is not None
    assert config.github.sources[0].token.get_secret_value() == "ghp_$HOME${X}"


def test_yaml_merge_keys_work_and_own_keys_win(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "common: &common {token: '${GITHUB_TOKEN}', orgs: [acme], forks: false}\n"
        "github:\n  sources:\n    - {<<: *common, forks: true}\n"
    )
    with pytest.raises(ConfigError, match="common: unknown key"):
        loader.load(path, ENV)
    path.write_text(
        "github:\n  sources:\n    - &first {token: '${GITHUB_TOKEN}', orgs: [acme], forks: false}\n"
        "    - {<<: *first, hostname: ghe.example.com, forks: true}\n"
    )
    config = loader.load(path, ENV)
    assert config.github is not None
    assert [(s.hostname, s.forks, s.orgs) for s in config.github.sources] == [
        ("github.com", False, ["acme"]),
        ("ghe.example.com", True, ["acme"]),
    ]
