"""syncer_rate_limit_remaining from the last answer of each API host, and the 0.2 metric families (SPEC §5)."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import generate_latest

from syncer import metrics
from syncer.config.schema import DatadogConfig
from syncer.datadog.client import DatadogClient
from syncer.model import Integration

CONFIG = DatadogConfig.model_validate(
    {"api_key": "k-secret", "app_key": "a-secret", "api_url": "https://user:pw@dd.example:8443"}
)


def remaining(api: str, host: str) -> float | None:
    return metrics.REGISTRY.get_sample_value("syncer_rate_limit_remaining", {"api": api, "host": host})


def answering(*values: str | None) -> DatadogClient:
    queue = list(values)

    def handler(request: httpx.Request) -> httpx.Response:
        value = queue.pop(0)
        headers = {} if value is None else {"X-RateLimit-Remaining": value}
        return httpx.Response(404, json={"errors": ["Not found"]}, headers=headers)

    return DatadogClient(CONFIG, transport=httpx.MockTransport(handler))


def test_datadog_answers_set_the_gauge_of_their_host_the_last_one_wins() -> None:
    with answering("99", "41", None, "not-a-number") as dd:
        dd.get_config(Integration.GITHUB)
        assert remaining("datadog", "dd.example:8443") == 99
        dd.get_config(Integration.GITHUB)
        assert remaining("datadog", "dd.example:8443") == 41
        dd.get_config(Integration.GITHUB)
        dd.get_config(Integration.GITHUB)
    assert remaining("datadog", "dd.example:8443") == 41, "an answer without a readable value changes nothing"


@pytest.mark.parametrize(("given", "expected"), [("12", 12.0), (" 7 ", 7.0), ("3.0", 3.0), ("-1", None), ("inf", None)])
def test_observe_rate_limit_takes_only_a_finite_count(given: str, expected: float | None) -> None:
    metrics.observe_rate_limit("pagerduty", f"odd-{given.strip()}.example", given)
    assert remaining("pagerduty", f"odd-{given.strip()}.example") == expected


def test_api_host_keeps_host_and_port_never_userinfo() -> None:
    assert metrics.api_host("https://user:secret@API.example.com:8443/x") == "api.example.com:8443"
    assert metrics.api_host("https://api.datadoghq.eu") == "api.datadoghq.eu"


def test_the_new_families_are_exposed_with_their_contract_labels_and_no_created_series() -> None:
    text = generate_latest(metrics.REGISTRY).decode()
    assert 'syncer_conditional_requests_total{api="github",result="not_modified"}' in text
    assert 'syncer_conditional_requests_total{api="github",result="modified"}' in text
    for source in ("github", "jira"):
        for result in ("accepted", "duplicate", "ignored", "unauthorized", "invalid"):
            assert f'syncer_webhook_deliveries_total{{result="{result}",source="{source}"}}' in text
    assert "_created" not in text
