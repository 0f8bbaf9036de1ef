"""The fake GitHub's odd behaviours for client tests: renames (301), world changes mid-listing, odd pagination,
echoed credentials."""

from __future__ import annotations

import re

import httpx

from syncer.simulator import Simulator


def test_a_renamed_repo_answers_301_to_its_id(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    old = sim.github.orgs["acme"][0]["name"]
    record = sim.github.rename_repo("acme", old, "brand-new-name")

    moved = http.get(f"{sim.github.url}/repos/acme/{old}", headers=gh_headers)

    assert moved.status_code == 301
    location = f"{sim.github.url}/repositories/{record['id']}"
    assert moved.headers["location"] == location
    assert moved.json()["message"] == "Moved Permanently" and moved.json()["url"] == location
    found = http.get(location, headers=gh_headers).json()
    assert found["full_name"] == "acme/brand-new-name" and found["id"] == record["id"]
    assert http.get(f"{sim.github.url}/repos/acme/brand-new-name", headers=gh_headers).status_code == 200


def test_a_transferred_repo_moves_to_its_new_org(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]
) -> None:
    name = sim.github.orgs["acme"][0]["name"]
    sim.github.rename_repo("acme", name, name, new_org="acme-labs")

    moved = http.get(f"{sim.github.url}/repos/acme/{name}", headers=gh_headers)
    found = http.get(moved.headers["location"], headers=gh_headers).json()

    assert moved.status_code == 301 and found["full_name"] == f"acme-labs/{name}"
    assert name not in {r["name"] for r in sim.github.orgs["acme"]}


def test_an_unknown_repository_id_is_404(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    assert http.get(f"{sim.github.url}/repositories/1", headers=gh_headers).status_code == 404


def test_a_change_runs_when_its_request_arrives(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    first = sim.github.orgs["acme"][0]["name"]
    change = sim.github.during(r"^/orgs/acme/repos$", lambda: sim.github.remove_repo("acme", first), query="page=2")
    url = f"{sim.github.url}/orgs/acme/repos"

    http.get(url, params={"page": 1}, headers=gh_headers)
    assert change.hits == 0 and first in {r["name"] for r in sim.github.orgs["acme"]}
    http.get(url, params={"page": 2}, headers=gh_headers)
    http.get(url, params={"page": 2}, headers=gh_headers)

    assert change.hits == 1, "once by default"
    assert first not in {r["name"] for r in sim.github.orgs["acme"]}


def test_paging_links_replace_the_real_ones(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    sim.github.paging.links = lambda page, last: {"next": 1, "last": 10**9} if page == 2 else None
    url = f"{sim.github.url}/orgs/acme/repos"

    real = http.get(url, params={"per_page": 100}, headers=gh_headers).headers["link"]
    odd = http.get(url, params={"per_page": 100, "page": 2}, headers=gh_headers).headers["link"]

    assert 'rel="last"' in real and "page=3" in real
    assert re.findall(r'page=(\d+)>; rel="(\w+)"', odd) == [("1", "next"), ("1000000000", "last")]


def test_paging_can_ignore_the_page_and_hide_repos(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]
) -> None:
    url = f"{sim.github.url}/orgs/acme/repos"
    page_1 = [r["name"] for r in http.get(url, params={"per_page": 100}, headers=gh_headers).json()]
    sim.github.paging.ignore_page = True
    sim.github.paging.hidden = {page_1[0]}

    again = http.get(url, params={"per_page": 100, "page": 3}, headers=gh_headers)

    names = [r["name"] for r in again.json()]
    assert names[:99] == page_1[1:] and len(names) == 100, "page 1 (without the hidden repo), though 3 was asked"
    assert 'rel="prev"' in again.headers["link"], "the Link header of the page asked"
    assert http.get(f"{sim.github.url}/repos/acme/{page_1[0]}", headers=gh_headers).status_code == 200


def test_echoed_credentials(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    sim.github.echo_credentials = 401

    answer = http.get(f"{sim.github.url}/orgs/acme/repos", headers=gh_headers)

    assert answer.status_code == 401
    assert sim.github.token in answer.json()["message"]
    sim.github.reset()
    assert http.get(f"{sim.github.url}/orgs/acme/repos", headers=gh_headers).status_code == 200
