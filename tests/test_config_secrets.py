"""A configuration that loads registers every secret it holds with the process redactor."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from syncer.config import loader
from syncer.config.schema import Config
from syncer.errors import ConfigError
from syncer.redact import REDACTOR

PEM = (
    ec.generate_private_key(ec.SECP256R1())
    .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    .decode()
)
SECRETS = {
    "DD_API_KEY": "reg-dd-api-key-0001",
    "DD_APP_KEY": "reg-dd-app-key-0002",
    "GH_TOKEN": "ghp_RegisteredToken000003",
    "JIRA_API_TOKEN": "reg-jira-cloud-0004",
    "JIRA_PAT": "reg-jira-pat-0005",
    "PD_TOKEN": "reg-pagerduty-0006",
}
EMAIL = "bot@example.com"


def tree() -> dict[str, object]:
    return {
        "datadog": {
            "api_key": "${DD_API_KEY}",
            "app_key": "${DD_APP_KEY}",
            "api_url": "https://proxyuser:reg-proxy-pw-0007@dd.proxy",
        },
        "github": {
            "sources": [
                {"token": "${GH_TOKEN}", "orgs": ["acme"]},
                {"hostname": "ghe.example.com", "app": {"app_id": 3, "private_key": PEM}},
            ]
        },
        "jira": {
            "sources": [
                {"hostname": "a.atlassian.net", "account_id": "1", "email": EMAIL, "api_token": "${JIRA_API_TOKEN}"},
                {"hostname": "jira.example.com", "account_id": "2", "token": "${JIRA_PAT}"},
            ]
        },
        "pagerduty": {"sources": [{"token": "${PD_TOKEN}"}]},
    }


def test_every_secret_is_masked_after_a_load() -> None:
    loader.parse(tree(), SECRETS)
    basic = base64.b64encode(f"{EMAIL}:{SECRETS['JIRA_API_TOKEN']}".encode()).decode()
    shown = REDACTOR.redact(" | ".join([*SECRETS.values(), basic, PEM, "reg-proxy-pw-0007"]))
    for secret in [*SECRETS.values(), basic, "reg-proxy-pw-0007"]:
        assert secret not in shown
    assert "PRIVATE KEY" not in shown
    assert shown.count("***") >= len(SECRETS) + 2


def test_secrets_from_files_are_registered(tmp_path: Path) -> None:
    (tmp_path / "pd").write_text("reg-pagerduty-file-0008\n")
    loader.parse({"pagerduty": {"sources": [{"token_file": str(tmp_path / "pd")}]}}, SECRETS)
    assert "reg-pagerduty-file-0008" not in REDACTOR.redact("token=reg-pagerduty-file-0008")


def test_a_configuration_that_fails_registers_nothing() -> None:
    broken = {"pagerduty": {"sources": [{"token": "reg-never-loaded-0009", "enabled": "yes"}]}}
    with pytest.raises(ConfigError):
        loader.parse(broken, SECRETS)
    assert REDACTOR.redact("reg-never-loaded-0009") == "reg-never-loaded-0009"


def test_register_secrets_is_the_one_entry_point() -> None:
    config = Config.model_validate(
        {
            "datadog": {"api_key": "reg-dd-0010", "app_key": "reg-dd-0011"},
            "pagerduty": {"sources": [{"token": "reg-pd-0012"}]},
        }
    )
    assert REDACTOR.redact("reg-pd-0012 reg-dd-0010") == "reg-pd-0012 reg-dd-0010"
    loader.register_secrets(config)
    assert REDACTOR.redact("reg-pd-0012 reg-dd-0010 reg-dd-0011") == "*** *** ***"
