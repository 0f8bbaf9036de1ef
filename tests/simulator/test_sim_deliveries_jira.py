"""Signed admin-webhook deliveries of the fake Jira over real HTTP, and the projects the REST API shows after."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from syncer.simulator import Simulator
from syncer.simulator.seed import JIRA_DC_TOKEN, JIRA_EMAIL
from tests.simulator.receiver import Receiver, hmac_hex

SECRET = "jira-hook-secret"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver on loopback, closed after the test."""
    server = Receiver()
    yield server
    server.close()


def search(sim: Simulator, http: httpx.Client, **params: str) -> list[dict[str, Any]]:
    """The projects `/rest/api/2/project/search` answers on the Cloud fake (one page of up to 50)."""
    auth = (JIRA_EMAIL, sim.jira.users[JIRA_EMAIL])
    answer = http.get(f"{sim.jira.url}/rest/api/2/project/search", params=params, auth=auth)
    values: list[dict[str, Any]] = answer.json()["values"]
    return values


def test_project_created(sim: Simulator, receiver: Receiver, http: httpx.Client) -> None:
    receiver.status = 202
    sim.jira.hook(f"{receiver.url}/webhooks/jira", SECRET)
    before = int(time.time() * 1000)
    record = sim.jira.add_project("ZZHOOK", "Hooked Project", category="Engineering")
    (got,) = receiver.received
    assert got.path == "/webhooks/jira"
    assert got.header("X-Hub-Signature") == hmac_hex(SECRET, got.body)
    identifier = got.header("X-Atlassian-Webhook-Identifier")
    assert identifier and got.header("X-Atlassian-Webhook-Flow") == "Primary"
    assert (got.header("Content-Type") or "").startswith("application/json")
    body = got.payload
    assert list(body) == ["timestamp", "webhookEvent", "project"]
    assert before <= body["timestamp"] <= int(time.time() * 1000)
    assert body["webhookEvent"] == "project_created"
    project = body["project"]
    assert project["self"] == f"https://acme.atlassian.net/rest/api/2/project/{record['id']}"
    assert project["id"] == int(record["id"]) and (project["key"], project["name"]) == ("ZZHOOK", "Hooked Project")
    assert project["projectLead"]["accountId"] and project["assigneeType"] == "admin.assignee.type.unassigned"
    assert project["projectCategory"]["name"] == "Engineering" and isinstance(project["projectCategory"]["id"], int)
    (listed,) = search(sim, http, keys="ZZHOOK")
    assert listed["id"] == record["id"] and listed["name"] == "Hooked Project"
    (delivery,) = sim.jira.deliveries
    assert (delivery.id, delivery.event, delivery.status) == (identifier, "project_created", 202)


def test_archive_and_restore(sim: Simulator, receiver: Receiver, http: httpx.Client) -> None:
    key = next(p["key"] for p in sim.jira.projects if p["status"] == "live")
    sim.jira.hook(receiver.url, SECRET)
    sim.jira.archive_project(key)
    assert search(sim, http, keys=key) == []
    assert [p["key"] for p in search(sim, http, keys=key, status="archived")] == [key]
    with pytest.raises(ValueError, match="not live"):
        sim.jira.archive_project(key)
    sim.jira.restore_project(key)
    assert [p["key"] for p in search(sim, http, keys=key)] == [key]
    events = [(r.payload["webhookEvent"], r.payload["project"]["key"]) for r in receiver.received]
    assert events == [("project_archived", key), ("project_restored_archived", key)]


def test_trash_restore_and_delete_for_good(sim: Simulator, receiver: Receiver, http: httpx.Client) -> None:
    key = next(p["key"] for p in sim.jira.projects if p["status"] == "live")
    sim.jira.hook(receiver.url, SECRET)
    sim.jira.remove_project(key)
    assert [p["key"] for p in search(sim, http, keys=key, status="deleted")] == [key]
    sim.jira.restore_project(key)
    assert [p["key"] for p in search(sim, http, keys=key)] == [key]
    sim.jira.remove_project(key, permanently=True)
    assert search(sim, http, keys=key, status="live,archived,deleted") == []
    events = [r.payload["webhookEvent"] for r in receiver.received]
    assert events == ["project_soft_deleted", "project_restored_deleted", "project_deleted"]
    with pytest.raises(KeyError):
        sim.jira.project(key)


def test_rename_and_update_keep_the_id(sim: Simulator, receiver: Receiver, http: httpx.Client) -> None:
    record = next(p for p in sim.jira.projects if p["status"] == "live")
    old, pid = record["key"], record["id"]
    sim.jira.hook(receiver.url, SECRET)
    sim.jira.rename_project(old, "ZZRENAMED")
    sim.jira.update_project("ZZRENAMED", name="Renamed Project")
    with pytest.raises(ValueError):
        sim.jira.update_project("ZZRENAMED", status="archived")
    first, second = (r.payload for r in receiver.received)
    assert first["webhookEvent"] == second["webhookEvent"] == "project_updated"
    assert first["project"]["id"] == second["project"]["id"] == int(pid)
    assert first["project"]["key"] == "ZZRENAMED" and second["project"]["name"] == "Renamed Project"
    (listed,) = search(sim, http, keys="ZZRENAMED")
    assert (listed["id"], listed["name"]) == (pid, "Renamed Project")
    assert search(sim, http, keys=old) == []


def test_data_center_deletes_for_good(sim: Simulator, receiver: Receiver, http: httpx.Client) -> None:
    key = next(p["key"] for p in sim.jira_dc.projects if p["status"] == "live")
    sim.jira_dc.hook(receiver.url, SECRET)
    sim.jira_dc.remove_project(key)
    (got,) = receiver.received
    assert got.payload["webhookEvent"] == "project_deleted"
    project = got.payload["project"]
    assert project["self"].startswith("https://jira.acme.internal/rest/api/2/project/")
    assert project["projectLead"]["name"] == "admin" and "accountId" not in project["projectLead"]
    listing = http.get(f"{sim.jira_dc.url}/rest/api/2/project", headers={"Authorization": f"Bearer {JIRA_DC_TOKEN}"})
    assert key not in {p["key"] for p in listing.json()}


def test_unsigned_wrong_and_duplicate_deliveries(sim: Simulator, receiver: Receiver) -> None:
    sim.jira.hook(receiver.url)
    sim.jira.add_project("ZZUNSIGNED", "No secret")
    assert receiver.received[0].header("X-Hub-Signature") is None
    sim.jira.hook(receiver.url, SECRET)
    body = {"timestamp": 1, "webhookEvent": "project_updated", "project": {"self": "https://acme.atlassian.net/x"}}
    first = sim.jira.send(None, body)
    sim.jira.send(None, body, secret="wrong")
    sim.jira.send(None, body, signature="sha256=deadbeef")
    sim.jira.send(None, body, delivery_id=first.id)
    sim.jira.send(None, b"{not json", unsigned=True)
    _, right, wrong, forged, duplicate, broken = receiver.received
    assert first.event == "project_updated"
    assert right.header("X-Hub-Signature") == hmac_hex(SECRET, right.body)
    assert wrong.header("X-Hub-Signature") == hmac_hex("wrong", wrong.body) != right.header("X-Hub-Signature")
    assert forged.header("X-Hub-Signature") == "sha256=deadbeef"
    assert duplicate.header("X-Atlassian-Webhook-Identifier") == right.header("X-Atlassian-Webhook-Identifier")
    assert broken.body == b"{not json" and broken.header("X-Hub-Signature") is None
    assert sim.jira.redeliver(first).id == first.id and receiver.received[-1].body == right.body
    sim.reset()
    sim.jira.add_project("ZZAFTERRESET", "Quiet")
    assert len(receiver.received) == 7 and sim.jira.deliveries == []
