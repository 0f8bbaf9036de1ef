"""No secret in anything the daemon shows — /status, /readyz, POST /sync answers, /metrics, its logs at DEBUG —
also when upstream error bodies echo the credentials; and the JSON answers go through the redactor as a whole."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from starlette.testclient import TestClient

from syncer.daemon.registry import Registry
from syncer.daemon.web import Control, create_app
from syncer.model import Integration, IntegrationReport, Result
from syncer.redact import MASK, REDACTOR
from syncer.simulator import Fault, Simulator
from syncer.simulator import seed as sim_seed
from tests.daemon.conftest import TOKEN, github_config

pytestmark = pytest.mark.reliability(system="daemon secrets")

ECHOED = "echoed-opaque-secret-0042"
URL_PASSWORD = "url-password-0043"


@pytest.fixture(autouse=True)
def clean_redactor() -> Iterator[None]:
    yield
    REDACTOR.clear()


def _with_userinfo(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, f"syncer:{URL_PASSWORD}@{parts.netloc}", parts.path, parts.query, ""))


def test_upstream_errors_echoing_credentials_never_show_in_status_readyz_answers_metrics_or_logs(
    start: Any, sim: Simulator
) -> None:
    config = github_config(sim)
    config["datadog"]["api_url"] = _with_userinfo(sim.datadog.url)
    api_key, app_key = sim.datadog.api_key, sim_seed.DATADOG_APP_KEY
    for fake, token in ((sim.github, sim_seed.GITHUB_TOKEN), (sim.ghes, sim_seed.GHES_TOKEN)):
        fake.faults.add(
            Fault(path=r"/orgs/.*/repos", status=401, body={"message": f"Bad credentials: {token}"}, times=None)
        )
    sim.datadog.faults.add(
        Fault(
            path="validate_keys",
            status=403,
            body={"errors": [f"Forbidden: API key {api_key} with application key {app_key}"]},
            times=None,
        )
    )
    sim.datadog.faults.add(
        Fault(
            method="GET",
            path="entity_integrations",
            status=400,
            body={"errors": [f"bad request: DD-API-KEY {api_key} / {app_key} / Authorization: Bearer {ECHOED}"]},
            times=None,
        )
    )
    daemon = start(config, log_level="DEBUG")
    daemon.wait_serving()
    deadline = time.monotonic() + 20
    while daemon.http.get("/readyz").json()["checks"]["datadog_keys"] == "not checked yet":
        assert time.monotonic() < deadline, daemon.log
        time.sleep(0.05)
    daemon.wait_idle()
    shown = {
        "status": daemon.http.get("/status").text,
        "readyz": daemon.http.get("/readyz").text,
        "sync": daemon.sync("integration=github&wait=true").text,
        "metrics": daemon.http.get("/metrics").text,
    }
    assert daemon.http.get("/readyz").status_code == 503  # Datadog rejected the keys
    shown["log"] = daemon.log
    secrets = [
        *sim.env().values(),
        TOKEN,
        URL_PASSWORD,
        base64.b64encode(f"syncer:{URL_PASSWORD}".encode()).decode(),
        f"syncer:{URL_PASSWORD}@",
    ]
    for where, text in shown.items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} shown in {where}"
    assert ECHOED not in shown["status"] + shown["sync"] + shown["log"]  # never registered: masked as a header value
    assert MASK in shown["readyz"]
    assert MASK in shown["status"]
    assert "Bad credentials" in shown["log"]
    assert '"status": "debug"' in shown["log"]  # library debug lines were there, and masked


class Leaky:
    """Runs whose reports carry a secret in their errors; checks whose text carries one too."""

    def __call__(self, integration: Integration) -> IntegrationReport:
        now = datetime.now(UTC)
        return IntegrationReport(
            integration, Result.FAILURE, now, now, errors=(f"401 from https://u:{ECHOED}@h/x: {ECHOED}",)
        )


def test_every_json_answer_of_the_web_layer_is_redacted_as_a_whole() -> None:
    REDACTOR.add(ECHOED)
    registry = Registry([Integration.GITHUB], Leaky())
    control = Control(
        registry=registry,
        schedules={Integration.GITHUB: "every 1h"},
        next_run=lambda integration: None,
        alive=lambda: True,
        ready=lambda: False,
        checks=lambda: {"datadog_keys": f"rejected: Forbidden {ECHOED}", ECHOED: "as a key"},
        token=TOKEN,
        config=lambda: {"last_reload": {"error": f"datadog.api_key: {ECHOED}"}},
    )
    assert TOKEN not in repr(control)
    with TestClient(create_app(control)) as client:
        answers = [
            client.post("/sync?integration=github&wait=true", headers={"Authorization": f"Bearer {TOKEN}"}),
            client.get("/status"),
            client.get("/readyz"),
            client.post(f"/sync?integration={ECHOED}", headers={"Authorization": f"Bearer {TOKEN}"}),
        ]
    for answer in answers:
        assert ECHOED not in answer.text
        assert MASK in answer.text
    assert answers[0].json()["integrations"][0]["errors"] == [f"401 from https://h/x: {MASK}"]
    assert answers[3].status_code == 400
