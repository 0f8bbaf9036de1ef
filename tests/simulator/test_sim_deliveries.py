"""Signed webhook deliveries of the fake GitHub over real HTTP: headers, signatures, payloads and the world after."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from syncer.simulator import FakeGitHub, Simulator
from syncer.simulator.deliveries import sign
from syncer.simulator.github.apps import APP_ID
from tests.simulator.receiver import Receiver, hmac_hex

SECRET = "s3cr3t-for-hooks"
VECTOR = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"  # GitHub's documented example
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
GITHUB_HEADERS = {
    "X-GitHub-Event", "X-GitHub-Delivery", "X-GitHub-Hook-ID", "X-GitHub-Hook-Installation-Target-ID",
    "X-GitHub-Hook-Installation-Target-Type", "X-Hub-Signature", "X-Hub-Signature-256", "User-Agent", "Content-Type",
}  # fmt: skip


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver on loopback, closed after the test."""
    server = Receiver()
    yield server
    server.close()


def repo_names(http: httpx.Client, fake: FakeGitHub, org: str) -> list[str]:
    """Every repo name of `org`, read through `GET /orgs/{org}/repos` page by page."""
    names: list[str] = []
    url: str | None = f"{fake.url}/orgs/{org}/repos?per_page=100"
    while url:
        answer = http.get(url, headers={"Authorization": f"token {fake.token}"})
        names += [r["name"] for r in answer.json()]
        url = answer.links.get("next", {}).get("url")
    return names


def rest_repo(http: httpx.Client, fake: FakeGitHub, path: str) -> dict[str, Any]:
    """A repo as the REST API answers it, without what only that route adds."""
    body: dict[str, Any] = http.get(f"{fake.url}{path}", headers={"Authorization": f"token {fake.token}"}).json()
    for key in ("permissions", "network_count", "subscribers_count"):
        body.pop(key)
    return body


def test_sign_holds_githubs_test_vector() -> None:
    assert sign(b"It's a Secret to Everybody", b"Hello, World!") == VECTOR
    assert sign(b"It's a Secret to Everybody", b"Hello, World?") != VECTOR


def test_the_test_vector_over_http(sim: Simulator, receiver: Receiver) -> None:
    sim.github.hook(receiver.url, "It's a Secret to Everybody")
    sim.github.send("ping", b"Hello, World!")
    (got,) = receiver.received
    assert got.body == b"Hello, World!"
    assert (
        got.header("X-Hub-Signature-256") == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


def test_created_repo_delivery(sim: Simulator, receiver: Receiver, http: httpx.Client) -> None:
    receiver.status = 202
    hook = sim.github.hook(f"{receiver.url}/webhooks/github", SECRET)
    sim.github.add_repo("acme", "hooked-service", topics=["service"])
    (got,) = receiver.received
    assert got.path == "/webhooks/github"
    assert got.names >= GITHUB_HEADERS and not any(n.startswith("X-GitHub-Enterprise") for n in got.names)
    assert got.header("X-GitHub-Event") == "repository"
    assert GUID.fullmatch(got.header("X-GitHub-Delivery") or "")
    assert got.header("X-GitHub-Hook-ID") == str(hook.id)
    assert got.header("X-GitHub-Hook-Installation-Target-ID") == "81234567"
    assert got.header("X-GitHub-Hook-Installation-Target-Type") == "organization"
    assert (got.header("User-Agent") or "").startswith("GitHub-Hookshot/")
    assert got.header("Content-Type") == "application/json"
    assert got.header("X-Hub-Signature-256") == hmac_hex(SECRET, got.body)
    assert got.header("X-Hub-Signature") == hmac_hex(SECRET, got.body, "sha1")
    payload = got.payload
    assert list(payload) == ["action", "repository", "organization", "sender"]
    assert payload["action"] == "created"
    assert payload["repository"] == rest_repo(http, sim.github, "/repos/acme/hooked-service")
    assert payload["organization"]["login"] == "acme" and payload["organization"]["id"] == 81234567
    assert payload["sender"]["type"] == "User"
    newest = http.get(
        f"{sim.github.url}/orgs/acme/repos",
        params={"sort": "created", "direction": "desc", "per_page": 3},
        headers={"Authorization": f"token {sim.github.token}"},
    ).json()
    assert newest[0]["name"] == "hooked-service" and newest[0]["id"] == payload["repository"]["id"]
    (delivery,) = sim.github.deliveries
    assert (delivery.id, delivery.event, delivery.action) == (got.header("X-GitHub-Delivery"), "repository", "created")
    assert delivery.status == 202 and delivery.ok and delivery.error is None and 0 < delivery.seconds < 5
    assert delivery.body == got.body


def test_deleted_repo_is_delivered_and_gone(sim: Simulator, receiver: Receiver, http: httpx.Client) -> None:
    name = sim.github.orgs["acme"][7]["name"]
    before = rest_repo(http, sim.github, f"/repos/acme/{name}")
    sim.github.hook(receiver.url, SECRET)
    assert sim.github.remove_repo("acme", name)
    assert not sim.github.remove_repo("acme", name)
    (got,) = receiver.received
    assert got.payload["action"] == "deleted" and got.payload["repository"] == before
    names = repo_names(http, sim.github, "acme")
    assert len(names) == 249 and name not in names


def test_archive_and_unarchive(sim: Simulator, receiver: Receiver, http: httpx.Client) -> None:
    name = next(r["name"] for r in sim.github.orgs["acme"] if not r["archived"])
    sim.github.hook(receiver.url, SECRET)
    sim.github.archive_repo("acme", name)
    sim.github.archive_repo("acme", name)  # already archived: no change, no delivery
    assert rest_repo(http, sim.github, f"/repos/acme/{name}")["archived"] is True
    sim.github.unarchive_repo("acme", name)
    assert rest_repo(http, sim.github, f"/repos/acme/{name}")["archived"] is False
    actions = [(r.payload["action"], r.payload["repository"]["archived"]) for r in receiver.received]
    assert actions == [("archived", True), ("unarchived", False)]


def test_rename_keeps_the_id(sim: Simulator, receiver: Receiver, http: httpx.Client) -> None:
    record = sim.github.orgs["acme"][3]
    old, repo_id = record["name"], record["id"]
    sim.github.hook(receiver.url, SECRET)
    sim.github.rename_repo("acme", old, f"{old}-renamed")
    (got,) = receiver.received
    assert got.payload["action"] == "renamed"
    assert got.payload["changes"] == {"repository": {"name": {"from": old}}}
    assert got.payload["repository"]["id"] == repo_id and got.payload["repository"]["name"] == f"{old}-renamed"
    assert rest_repo(http, sim.github, f"/repositories/{repo_id}")["name"] == f"{old}-renamed"
    names = repo_names(http, sim.github, "acme")
    assert f"{old}-renamed" in names and old not in names


def test_transfer_names_the_former_org(sim: Simulator, receiver: Receiver, http: httpx.Client) -> None:
    record = sim.github.orgs["acme"][5]
    name, repo_id = record["name"], record["id"]
    sim.github.hook(receiver.url, SECRET)
    sim.github.transfer_repo("acme", name, "acme-labs")
    (got,) = receiver.received
    payload = got.payload
    assert payload["action"] == "transferred"
    assert payload["changes"]["owner"]["from"]["organization"]["login"] == "acme"
    assert payload["organization"]["login"] == "acme-labs"
    assert payload["repository"]["owner"]["login"] == "acme-labs" and payload["repository"]["id"] == repo_id
    assert got.header("X-GitHub-Hook-Installation-Target-ID") == str(sim.github.org_id("acme-labs"))
    assert name in repo_names(http, sim.github, "acme-labs") and name not in repo_names(http, sim.github, "acme")


def test_transfer_with_a_new_name_sends_both(sim: Simulator, receiver: Receiver) -> None:
    name = sim.github.orgs["acme"][9]["name"]
    sim.github.hook(receiver.url, SECRET)
    sim.github.rename_repo("acme", name, "moved-and-renamed", new_org="acme-labs")
    assert [r.payload["action"] for r in receiver.received] == ["transferred", "renamed"]
    assert receiver.received[1].payload["changes"]["repository"]["name"]["from"] == name
    assert len({r.header("X-GitHub-Delivery") for r in receiver.received}) == 2


def test_visibility_and_edits(sim: Simulator, receiver: Receiver) -> None:
    name = next(r["name"] for r in sim.github.orgs["acme"] if r["visibility"] == "public")
    old_topics = list(sim.github.repo("acme", name)["topics"])
    sim.github.hook(receiver.url, SECRET)
    sim.github.set_visibility("acme", name, "private")
    sim.github.set_visibility("acme", name, "internal")  # neither becomes nor stops being public: nothing sent
    sim.github.set_visibility("acme", name, "public")
    sim.github.edit_repo("acme", name, topics=["service", "edited"])
    sim.github.edit_repo("acme", name, topics=["service", "edited"])  # no change: nothing sent
    actions = [r.payload["action"] for r in receiver.received]
    assert actions == ["privatized", "publicized", "edited"]
    assert receiver.received[0].payload["repository"]["private"] is True
    edited = receiver.received[2].payload
    assert edited["changes"] == {"topics": {"from": old_topics}}
    assert edited["repository"]["topics"] == ["service", "edited"]


def test_ghes_deliveries_name_the_enterprise_host(sim: Simulator, receiver: Receiver) -> None:
    sim.ghes.hook(receiver.url, SECRET)
    sim.ghes.add_repo("platform", "ghes-hooked")
    (got,) = receiver.received
    assert got.header("X-GitHub-Enterprise-Host") == "ghe.acme.internal"
    assert re.fullmatch(r"3\.\d+\.\d+", got.header("X-GitHub-Enterprise-Version") or "")
    assert got.payload["repository"]["url"] == f"{sim.ghes.url}/repos/platform/ghes-hooked"
    assert sim.ghes.url.endswith("/api/v3")


def test_ping(sim: Simulator, receiver: Receiver) -> None:
    hook = sim.github.hook(receiver.url, SECRET, orgs=["acme-labs"])
    sim.github.ping()
    (got,) = receiver.received
    payload = got.payload
    assert got.header("X-GitHub-Event") == "ping" and isinstance(payload["zen"], str) and payload["zen"]
    assert payload["hook_id"] == hook.id == payload["hook"]["id"]
    assert payload["hook"]["config"] == {
        "content_type": "json", "insecure_ssl": "0", "secret": "********", "url": receiver.url
    }  # fmt: skip
    assert payload["organization"]["login"] == "acme-labs"


def test_wrong_and_missing_signatures_and_duplicates(sim: Simulator, receiver: Receiver) -> None:
    sim.github.hook(receiver.url, SECRET)
    payload = {"action": "created", "organization": {"login": "acme"}}
    first = sim.github.send("repository", payload)
    sim.github.send("repository", payload, secret="not-the-secret")
    sim.github.send("repository", payload, unsigned=True)
    sim.github.send("repository", payload, signature="sha256=" + "0" * 64)
    sim.github.send("repository", payload, delivery_id=first.id)
    again = sim.github.redeliver(first)
    right, wrong, unsigned, forged, duplicate, redelivered = receiver.received
    assert right.header("X-Hub-Signature-256") == hmac_hex(SECRET, right.body)
    assert wrong.header("X-Hub-Signature-256") == hmac_hex("not-the-secret", wrong.body) != hmac_hex(SECRET, wrong.body)
    assert unsigned.header("X-Hub-Signature-256") is None and unsigned.header("X-Hub-Signature") is None
    assert forged.header("X-Hub-Signature-256") == "sha256=" + "0" * 64
    assert duplicate.header("X-GitHub-Delivery") == right.header("X-GitHub-Delivery") == again.id == first.id
    assert redelivered.headers == right.headers and redelivered.body == right.body
    assert len(sim.github.deliveries) == 6


def test_no_hook_sends_nothing(sim: Simulator, receiver: Receiver) -> None:
    sim.github.add_repo("acme", "quiet")
    assert sim.github.deliveries == [] and receiver.received == []
    with pytest.raises(RuntimeError, match="no webhook configured"):
        sim.github.send("ping", {})
    sim.github.hook(receiver.url)
    sim.github.add_repo("acme", "unsigned")
    assert receiver.received[0].header("X-Hub-Signature-256") is None
    sim.github.unhook()
    sim.github.add_repo("acme", "after-unhook")
    sim.reset()
    sim.github.add_repo("acme", "after-reset")
    assert len(receiver.received) == 1 and sim.github.deliveries == []


def test_a_hook_for_some_orgs(sim: Simulator, receiver: Receiver) -> None:
    sim.github.hook(receiver.url, SECRET, orgs=["ACME-LABS"])
    sim.github.add_repo("acme", "not-covered")
    sim.github.add_repo("acme-labs", "covered")
    assert [r.payload["repository"]["full_name"] for r in receiver.received] == ["acme-labs/covered"]


def test_an_apps_hook(sim: Simulator, receiver: Receiver) -> None:
    sim.github.hook(receiver.url, SECRET, target="integration")
    sim.github.add_repo("acme-old", "suspended-install")  # the App's installation there is suspended
    sim.github.add_repo("acme", "installed")
    added = sim.github.installation_repositories("acme", added=["installed"])
    created, listed = receiver.received
    assert created.header("X-GitHub-Hook-Installation-Target-Type") == "integration"
    assert created.header("X-GitHub-Hook-Installation-Target-ID") == str(APP_ID)
    assert created.payload["installation"]["id"] == 51001
    assert added is not None and listed.header("X-GitHub-Event") == "installation_repositories"
    assert listed.payload["installation"]["account"]["login"] == "acme"
    assert [r["full_name"] for r in listed.payload["repositories_added"]] == ["acme/installed"]
    sim.github.hook(receiver.url, SECRET)  # an org's hook gets no installation events
    assert sim.github.installation_repositories("acme", removed=["installed"]) is None


def test_failed_deliveries_are_logged_not_raised(sim: Simulator, receiver: Receiver) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    sim.github.hook(f"http://127.0.0.1:{closed}/hook", SECRET)
    sim.github.add_repo("acme", "nobody-listens")
    assert "nobody-listens" in {r["name"] for r in sim.github.orgs["acme"]}
    refused = sim.github.deliveries[-1]
    assert refused.status == 0 and not refused.ok and (refused.error or "").startswith("ConnectError")
    receiver.status = 401
    sim.github.hook(receiver.url, SECRET)
    assert sim.github.ping().status == 401
    receiver.status, receiver.delay = 200, 1.0
    sim.github.hook(receiver.url, SECRET, timeout=0.2)
    slow = sim.github.ping()
    assert slow.status == 0 and (slow.error or "").startswith("ReadTimeout") and 0.2 <= slow.seconds < 1.0


def test_the_facade_hooks_every_github_and_jira(sim: Simulator, receiver: Receiver) -> None:
    sim.hook(receiver.url + "/", github_secret=SECRET, jira_secret="jira-secret")
    sim.github.add_repo("acme", "via-facade")
    sim.ghes.add_repo("platform", "via-facade")
    sim.jira.add_project("ZZFAC", "Via facade")
    sim.jira_dc.add_project("ZZFACDC", "Via facade")
    assert [r.path for r in receiver.received] == ["/webhooks/github"] * 2 + ["/webhooks/jira"] * 2
    assert receiver.received[2].header("X-Hub-Signature") == hmac_hex("jira-secret", receiver.received[2].body)
    sim.unhook()
    sim.github.add_repo("acme", "after-unhook")
    assert len(receiver.received) == 4
