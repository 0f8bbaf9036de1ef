"""The fake GitHub's custom properties, languages and push dates, as github.com and each GHES version serve them."""

from __future__ import annotations

import json
from collections import Counter

import httpx
from github import Auth, Github

from syncer.simulator import Simulator, seed
from syncer.simulator.github.repos import RepoRenderer, render_repo


def test_the_seeded_world_classifies_its_repos(sim: Simulator) -> None:
    repos = sim.github.orgs["acme"]
    teams = Counter(r["custom_properties"].get("team") for r in repos)
    assert None in teams and teams["payments"] > 10 and len(teams) >= 5, "most repos have a team, some none"
    assert all(r["custom_properties"]["tier"] in ("tier-1", "tier-2", "tier-3") for r in repos), "tier is required"
    assert any(isinstance(r["custom_properties"].get("compliance"), list) for r in repos)
    assert len({r["language"] for r in repos}) >= 8
    assert len({r["pushed_at"][:4] for r in repos}) >= 8, "push dates spread over the years"


def test_github_com_lists_custom_properties_with_every_repo(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]
) -> None:
    repos = http.get(f"{sim.github.url}/orgs/acme/repos", params={"per_page": 100}, headers=gh_headers).json()
    records = {r["name"]: r for r in sim.github.orgs["acme"]}
    for repo in repos:
        assert repo["custom_properties"] == records[repo["name"]]["custom_properties"]
        assert repo["language"] == records[repo["name"]]["language"]
        assert "x-github-enterprise-version" not in http.get(f"{sim.github.url}/user", headers=gh_headers).headers


def test_the_official_client_reads_the_schema_the_values_and_the_listing(sim: Simulator) -> None:
    client = Github(base_url=sim.github.url, auth=Auth.Token(sim.github.token), per_page=100)
    org = client.get_organization("acme")
    schema = {p.property_name: p for p in org.get_custom_properties()}
    assert set(schema) == {"team", "tier", "compliance"}
    assert schema["tier"].required and schema["tier"].default_value == "tier-3"
    assert schema["compliance"].value_type == "multi_select"
    values = {v.repository_full_name: v.properties for v in org.list_custom_property_values()}
    assert len(values) == len(sim.github.orgs["acme"]) == 250, "every page, by its Link header"
    listed = {r.full_name: r.custom_properties for r in org.get_repos()}
    for name, held in listed.items():
        assert {k: v for k, v in values[name].items() if v is not None} == held
    client.close()


def test_the_values_listing_pages_and_names_every_defined_property(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]
) -> None:
    url = f"{sim.github.url}/orgs/acme/properties/values"
    first = http.get(url, params={"per_page": 100}, headers=gh_headers)
    assert first.status_code == 200
    assert 'rel="next"' in first.headers["link"] and "page=3" in first.headers["link"]
    item = first.json()[0]
    assert set(item) == {"repository_id", "repository_name", "repository_full_name", "properties"}
    assert [p["property_name"] for p in item["properties"]] == [p["property_name"] for p in seed.CUSTOM_PROPERTIES]
    ids = [i["repository_id"] for i in first.json()]
    assert ids == sorted(ids), "oldest first"
    last = http.get(url, params={"per_page": 100, "page": 3}, headers=gh_headers).json()
    assert len(last) == 50


def test_the_properties_are_for_members_only(sim: Simulator, http: httpx.Client) -> None:
    answer = http.get(f"{sim.github.url}/orgs/acme/properties/values")
    assert answer.status_code == 404 and answer.json()["message"] == "Not Found"


def test_each_ghes_version_serves_what_its_description_says(sim: Simulator, http: httpx.Client) -> None:
    headers = {"Authorization": f"token {sim.ghes.token}"}
    base = sim.ghes.url
    answers = {}
    for version in ((3, 19), (3, 18), (3, 17), (3, 13), (3, 12)):
        sim.ghes.version = version
        listing = http.get(f"{base}/orgs/platform/repos", headers=headers)
        name = listing.json()[0]["name"]
        answers[version] = (
            listing.headers["x-github-enterprise-version"],
            "custom_properties" in listing.json()[0],
            "custom_properties" in http.get(f"{base}/repos/platform/{name}", headers=headers).json(),
            http.get(f"{base}/orgs/platform/properties/values", headers=headers).status_code,
            http.get(f"{base}/orgs/platform/properties/schema", headers=headers).status_code,
        )
    assert answers == {
        (3, 19): ("3.19.0", True, True, 200, 200),
        (3, 18): ("3.18.0", True, True, 200, 200),
        (3, 17): ("3.17.0", False, True, 200, 200),
        (3, 13): ("3.13.0", False, True, 200, 200),
        (3, 12): ("3.12.0", False, False, 404, 404),
    }


def test_a_new_repo_gets_the_required_properties_defaults(sim: Simulator) -> None:
    record = sim.github.add_repo("acme", "brand-new")
    assert record["custom_properties"] == {"tier": "tier-3"}
    sim.github.set_properties("acme", "brand-new", team="core", tier=None)
    assert record["custom_properties"] == {"team": "core"}


def test_the_fast_renderer_leaves_the_properties_out_where_the_server_does(sim: Simulator) -> None:
    record = sim.github.orgs["acme"][0]
    for properties in (True, False):
        renderer = RepoRenderer("acme", 7, "http://x", "https://github.com", permissions=True, properties=properties)
        fast = json.loads(renderer.encode(record))
        assert fast == render_repo(record, "acme", 7, "http://x", "https://github.com", permissions=True,
                                   properties=properties)  # fmt: skip
        assert ("custom_properties" in fast) is properties
