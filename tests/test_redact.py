"""The one redactor: registered secrets and their derived forms, token shapes, URL userinfo, JSON values, and
every place syncer shows text through it (validate, metrics labels, reprs, the registration of a config)."""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from prometheus_client import generate_latest

from syncer import checks, metrics
from syncer.config import loader
from syncer.redact import MASK, REDACTOR, display_url, redact, redact_value

SECRET = "s3cr3t-Value-4711"
EMAIL, JIRA_TOKEN = "bot@acme.example", "ATATT3xJiraCloudToken0042"


@pytest.fixture(autouse=True)
def clean_redactor() -> Iterator[None]:
    REDACTOR.clear()
    yield
    REDACTOR.clear()


def test_a_registered_secret_and_its_encoded_forms_are_masked() -> None:
    secret = 'p@ss/wo rd+"quoted"\\x'
    REDACTOR.add(secret)
    for form in (
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),
        base64.b64encode(secret.encode()).decode().rstrip("="),
        json.dumps(secret)[1:-1],
    ):
        shown = redact(f"before {form} after")
        assert form not in shown
        assert shown == f"before {MASK} after"


def test_secrets_are_masked_wherever_they_occur_longest_first() -> None:
    REDACTOR.add("abcd1234", "abcd1234-longer")
    assert redact("x abcd1234-longer y abcd1234 z") == f"x {MASK} y {MASK} z"


def test_values_too_short_or_empty_are_not_registered() -> None:
    REDACTOR.add("abc", "", None)
    assert redact("abc is a word") == "abc is a word"


def test_basic_auth_registers_the_password_and_the_base64_of_user_and_password() -> None:
    REDACTOR.add_basic_auth(EMAIL, JIRA_TOKEN)
    header = base64.b64encode(f"{EMAIL}:{JIRA_TOKEN}".encode()).decode()
    shown = redact(f"401 for Authorization: Basic {header}; echoed {header}; token {JIRA_TOKEN}")
    assert header not in shown
    assert JIRA_TOKEN not in shown
    assert shown.count(MASK) == 3


@pytest.mark.parametrize(
    "token",
    [
        "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
        "ghs_" + "16CharactersLongAndMore00",
        "gho_" + "abcdefghijklmnopqrstuv",
        "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiIxMjM0NSIsImlhdCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLXBhcnQ",
    ],
    ids=["ghp", "ghs", "gho", "fine-grained", "jwt"],
)
def test_token_shapes_are_masked_even_when_never_registered(token: str) -> None:
    shown = redact(f'{{"message": "Bad credentials", "token": "{token}"}}')
    assert token not in shown
    assert MASK in shown


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer opaque-value-1",
        "authorization=token opaque-value-1",
        '"DD-API-KEY": "opaque-value-1"',
        "'dd-application-key': 'opaque-value-1'",
        "Proxy-Authorization: Basic opaque-value-1",
    ],
)
def test_credential_headers_are_masked_even_when_the_value_was_never_registered(text: str) -> None:
    shown = redact(text)
    assert "opaque-value-1" not in shown
    assert MASK in shown


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pass@host.example/x?y=1", "https://host.example/x?y=1"),
        ("http://token@127.0.0.1:8080/api", "http://127.0.0.1:8080/api"),
        ("https://host.example/x", "https://host.example/x"),
        ("https://a:b@[::1]:9/p", "https://[::1]:9/p"),
    ],
)
def test_display_url_drops_userinfo_and_keeps_the_rest(url: str, expected: str) -> None:
    assert display_url(url) == expected


def test_userinfo_in_any_text_is_dropped() -> None:
    shown = redact("GET https://user:pass@host/x failed; retry http://me:pw@other:81/y")
    assert shown == "GET https://host/x failed; retry http://other:81/y"
    assert "pass" not in shown
    assert "pw@" not in shown


def test_redact_value_masks_every_string_of_a_json_value_keys_included() -> None:
    REDACTOR.add(SECRET)
    value: dict[str, Any] = {
        "error": f"echo {SECRET}",
        SECRET: [1, 2.5, True, None, (f"x{SECRET}", {"url": "https://u:p@h/x"})],
        "count": 3,
    }
    assert redact_value(value) == {
        "error": f"echo {MASK}",
        MASK: [1, 2.5, True, None, (f"x{MASK}", {"url": "https://h/x"})],
        "count": 3,
    }


def test_redact_value_turns_other_objects_holding_a_secret_into_their_masked_text() -> None:
    REDACTOR.add(SECRET)
    error = RuntimeError(f"failed with {SECRET}")
    plain = RuntimeError("nothing to hide")
    assert redact_value(error) == f"failed with {MASK}"
    assert redact_value(plain) is plain


def test_redact_value_is_bounded_on_cycles() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    flattened = json.dumps(redact_value(cycle))
    assert MASK in flattened


def test_clear_forgets_registered_secrets_but_not_the_shapes() -> None:
    REDACTOR.add(SECRET)
    REDACTOR.clear()
    token = "ghp_" + "x" * 36
    assert redact(f"{SECRET} {token}") == f"{SECRET} {MASK}"


def test_the_redactor_is_safe_under_concurrent_adds_and_redactions() -> None:
    errors: list[BaseException] = []

    def add(n: int) -> None:
        try:
            for i in range(200):
                REDACTOR.add(f"secret-{n}-{i:04d}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def show() -> None:
        try:
            for i in range(200):
                assert "secret-0-0000" not in redact(f"x secret-0-0000 {i}") or i == 0
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    REDACTOR.add("secret-0-0000")
    threads = [threading.Thread(target=add, args=(n,)) for n in range(4)] + [threading.Thread(target=show)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert redact("secret-3-0199") == MASK


def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_registering_a_config_masks_every_secret_and_every_value_derived_from_one() -> None:
    pem = _pem()
    tree = {
        "datadog": {
            "api_key": "dd-api-key-0001",
            "app_key": "dd-app-key-0002",
            "api_url": "http://dd:pw-0003@dd.local",
        },
        "github": {
            "sources": [
                {"token": "plain-github-token-0004", "orgs": ["acme"]},
                {"hostname": "ghe.acme.internal", "app": {"app_id": 1, "private_key": pem}},
            ]
        },
        "jira": {
            "sources": [
                {"hostname": "acme.atlassian.net", "account_id": "a", "email": EMAIL, "api_token": JIRA_TOKEN},
                {"hostname": "jira.acme.internal", "account_id": "b", "token": "jira-dc-pat-0005"},
            ]
        },
        "pagerduty": {"sources": [{"token": "pd-token-0006", "api_url": "https://tok-0007@api.pd.local"}]},
    }
    config = loader.parse(tree, {})
    loader.register_secrets(config)
    header = base64.b64encode(f"{EMAIL}:{JIRA_TOKEN}".encode()).decode()
    pem_line = pem.splitlines()[5]
    values = [
        "dd-api-key-0001",
        "dd-app-key-0002",
        "pw-0003",
        "plain-github-token-0004",
        JIRA_TOKEN,
        header,
        "jira-dc-pat-0005",
        "pd-token-0006",
        "tok-0007",
        pem_line,
    ]
    shown = redact(" | ".join(values))
    for value in values:
        assert value not in shown
    assert redact(json.dumps({"key": pem})) == json.dumps({"key": MASK})
    assert redact(f"echo: {pem}") == f"echo: {MASK}"


def test_validate_describe_shows_urls_without_userinfo() -> None:
    tree = {
        "datadog": {
            "api_key": "dd-api-key-0001",
            "app_key": "dd-app-key-0002",
            "api_url": "http://me:pw-0003@dd.local",
        },
        "pagerduty": {"sources": [{"token": "pd-token-0006"}]},
    }
    described = checks.describe(loader.parse(tree, {}))
    assert "http://dd.local" in described
    assert "pw-0003" not in described
    assert "me:" not in described


def test_metric_label_values_are_redacted() -> None:
    REDACTOR.add(SECRET)
    metrics.SOURCE_ERRORS.labels(integration="github", source=f"https://u:p@h/{SECRET}").inc()
    metrics.HTTP_REQUESTS.labels("github", f"error {SECRET}").inc()
    text = generate_latest(metrics.REGISTRY).decode()
    assert SECRET not in text
    assert "u:p@" not in text
    assert 'source="https://h/***"' in text


def test_metrics_carry_build_info_and_both_reload_series_from_the_start() -> None:
    text = generate_latest(metrics.REGISTRY).decode()
    assert 'syncer_build_info{version="' in text
    assert 'syncer_config_reloads_total{result="success"}' in text
    assert 'syncer_config_reloads_total{result="failure"}' in text
    assert "_created" not in text


def test_http_credentials_after_basic_or_bearer_are_masked_but_prose_is_not() -> None:
    basic = base64.b64encode(b"someone:letmein").decode()
    shown = redact(f"echo: Basic {basic}; Bearer opaque.Token-123; Basic authentication failed; missing bearer token")
    assert basic not in shown
    assert "opaque.Token-123" not in shown
    assert "Basic authentication failed; missing bearer token" in shown


def test_base64_carrying_a_registered_secret_is_masked_whatever_it_is_combined_with() -> None:
    REDACTOR.add(SECRET)
    for combined in (f"anyone:{SECRET}", f"{SECRET}:x", f'{{"token": "{SECRET}"}}'):
        blob = base64.b64encode(combined.encode()).decode()
        urlsafe = base64.urlsafe_b64encode(combined.encode()).decode().rstrip("=")
        shown = redact(f"body {blob} and {urlsafe}")
        assert blob not in shown
        assert urlsafe not in shown
    run_id = "52b91c79e3ee45e38799c70d0f770924"
    assert redact(f"run {run_id}") == f"run {run_id}"


def test_derived_values_are_masked_and_only_the_newest_are_kept() -> None:
    from syncer.redact import MAX_DERIVED

    tokens = [f"installation-token-{n:05d}" for n in range(MAX_DERIVED + 3)]
    REDACTOR.add_derived(*tokens)
    assert redact(f"x {tokens[-1]} y") == f"x {MASK} y"
    assert redact(tokens[3]) == MASK
    assert redact(tokens[0]) == tokens[0]  # the oldest are dropped: a daemon mints new ones for ever


def test_configuration_reprs_never_show_url_userinfo() -> None:
    config = loader.parse(
        {
            "datadog": {"api_key": "k" * 8, "app_key": "a" * 8, "api_url": "http://user:pw-9999@dd.local"},
            "github": {"extra": [{"hostname": "github.com", "github_org_name": "acme", "repo_name": "api"}]},
        },
        {},
    )
    shown = repr(config) + repr(config.datadog) + str(config.datadog)
    assert "pw-9999" not in shown and "user:" not in shown
    assert "dd.local" in shown
