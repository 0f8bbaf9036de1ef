"""A delivery refused after its id was remembered (the daemon is shutting down: 503) is taken back, so the
sender's retry is a new delivery, not a duplicate; in memory and in the state store alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from syncer.config import loader
from syncer.config.schema import Config
from syncer.daemon.runs import Closed
from syncer.daemon.webhooks import Receivers, signature
from syncer.model import Integration, Scope
from syncer.state.store import StateStore

SECRET = "a-webhook-secret-of-some-length"


def _config() -> Config:
    tree = {
        "datadog": {"api_key": "a" * 32, "app_key": "b" * 40},
        "github": {"sources": [{"token": "t" * 40, "orgs": ["acme"]}]},
        "webhooks": {"github": {"secret": SECRET}},
    }
    return loader.parse(tree, {})


@pytest.mark.parametrize("where", ["memory", "state file"])
def test_a_delivery_refused_while_shutting_down_is_not_a_duplicate_when_it_comes_again(
    where: str, tmp_path: Path
) -> None:
    config = _config()
    closed = [True]
    submitted: list[str] = []

    def submit(integration: Integration, scope: Scope, delivery: str) -> str:
        if closed[0]:
            raise Closed
        submitted.append(delivery)
        return "started"

    store = StateStore(tmp_path / "state.db" if where == "state file" else None)
    receivers = Receivers(lambda: config, submit, store)
    app = Starlette(routes=[Route("/webhooks/github", receivers.github, methods=["POST"])])
    repository = {"name": "x", "full_name": "acme/x", "owner": {"login": "acme"}}
    body = json.dumps({"action": "created", "repository": repository, "organization": {"login": "acme"}}).encode()
    headers = {
        "X-GitHub-Event": "repository",
        "X-GitHub-Delivery": "delivery-1",
        "X-Hub-Signature-256": signature(SECRET.encode(), body),
        "Content-Type": "application/json",
    }
    with TestClient(app) as client:
        assert client.post("/webhooks/github", content=body, headers=headers).status_code == 503
        closed[0] = False
        again = client.post("/webhooks/github", content=body, headers=headers)
        assert again.status_code == 202, again.text
        assert submitted == ["delivery-1"]
        third = client.post("/webhooks/github", content=body, headers=headers)
        assert third.status_code == 200 and third.json()["result"] == "duplicate"
    store.close()
