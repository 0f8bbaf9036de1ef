"""Fidelity check of syncer's simulated APIs against the official API descriptions, through Prism proxies.

Starts the simulator in this process (the GitHub App's private key exists only inside the simulator's process)
on ports BASE..BASE+5, a host-preserving forwarder per API on BASE+200.., and `prism proxy --errors` per API on
BASE+100.. (github, ghes, jira, jira_dc, pagerduty). Every client talks to a Prism proxy, which validates every
answer against the trimmed descriptions that trim.py wrote. Writes `<work-dir>/report.json` and the Prism logs;
exits 1 when any violation not judged by hand (harness.JUSTIFIED) or any protocol check fails.

Usage: .venv/bin/python tools/fidelity/check.py [--work-dir DIR] [--port-base 18500] [--trace] [--serve]
(tools/fidelity/run.sh installs Prism, trims the descriptions and runs this.)
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import requests
from github import Auth, Github, GithubException, GithubIntegration
from harness import (
    PRISM_BIN,
    Recorder,
    compile_failures,
    host_fixer,
    justified,
    patch_prism,
    serve_in_thread,
    start_prism,
    stop_prism,
    summary,
    wait_prism,
)
from jira import JIRA, JIRAError
from trim import add_work_dir_argument, trimmed_dir

from syncer import configfile
from syncer.config import Config
from syncer.model import Integration
from syncer.retry import RetryPolicy
from syncer.simulator import Fault, Simulator, seed
from syncer.sources.factory import sources

APIS = ("github", "ghes", "jira", "jira_dc", "pagerduty")
SPEC_OF = {"github": "github", "ghes": "ghes", "jira": "jira", "jira_dc": "jira", "pagerduty": "pagerduty"}
DEFAULT_PORT_BASE = 18500
TIMEOUT = 30


# -- run context --------------------------------------------------------------------------------------


@dataclass
class Env:
    """The simulator and the ports and URLs of one check run."""

    sim: Simulator
    port_base: int
    trace: bool = False

    def fake_port(self, api: str) -> int:
        """Port of the simulated API."""
        return self.port_base + APIS.index(api)

    def proxy_port(self, api: str) -> int:
        """Port of the Prism proxy in front of the API."""
        return self.port_base + 100 + APIS.index(api)

    def fix_port(self, api: str) -> int:
        """Port of the host-preserving forwarder between Prism and the simulated API."""
        return self.port_base + 200 + APIS.index(api)

    def proxy(self, api: str) -> str:
        """The base URL a client is given for the API: its Prism proxy."""
        prefix = "/api/v3" if api == "ghes" else ""
        return f"http://127.0.0.1:{self.proxy_port(api)}{prefix}"


def used_ports(port_base: int) -> list[int]:
    """Every port a run listens on: the simulator's six fakes, the proxies and the forwarders."""
    fakes = range(port_base, port_base + 6)
    return [*fakes, *(port_base + offset + i for offset in (100, 200) for i in range(len(APIS)))]


def step(rec: Recorder, api: str, what: str, fn: Callable[[], Any], trace: bool = False) -> Any:
    """Run one replay step; an exception is a failed check, not the end of the run."""
    rec.note = what
    try:
        return fn()
    except Exception as exc:
        rec.expect(api, what, False, f"{type(exc).__name__}: {str(exc)[:300]}")
        if trace:
            traceback.print_exc()
        return None


@dataclass
class Target:
    """One API under check: its name, proxy URL, simulated fake and the recorder."""

    api: str
    base: str
    fake: Any
    rec: Recorder
    trace: bool = False

    def expect(self, what: str, ok: bool, detail: str = "") -> bool:
        """Count one protocol check of this API."""
        return self.rec.expect(self.api, what, ok, detail)

    def step(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run one replay step against this API."""
        return step(self.rec, self.api, what, fn, self.trace)


def target(env: Env, rec: Recorder, api: str) -> Target:
    """The Target for `api` in this run."""
    return Target(api, env.proxy(api), getattr(env.sim, api), rec, env.trace)


# -- helpers ------------------------------------------------------------------------------------------


def link_map(header: str | None) -> dict[str, str]:
    """A `Link` header as {rel: url}."""
    out = {}
    for part in (header or "").split(","):
        if ";" in part:
            url, rel = part.split(";", 1)
            out[rel.strip().removeprefix('rel="').rstrip('"')] = url.strip().strip("<>")
    return out


def page_of(url: str) -> int:
    """The `page` query parameter of a URL."""
    return int(parse_qs(urlsplit(url).query)["page"][0])


def fine_or_justified(t: Target, r: requests.Response) -> bool:
    """200, or a Prism 500 whose every violation is one judged by hand (see harness.JUSTIFIED)."""
    if r.status_code == 200:
        return True
    try:
        found = r.json().get("validation") or []
    except ValueError:
        return False
    judged = all(justified(t.api, r.url, str(v.get("message"))) for v in found)
    return r.status_code == 500 and bool(found) and judged


def token_session(header: str) -> requests.Session:
    """A requests session sending `Authorization: header`."""
    session = requests.Session()
    session.headers["Authorization"] = header
    return session


# -- GitHub -----------------------------------------------------------------------------------------


def github_client(base: str, auth: Any) -> Github:
    """PyGithub as syncer configures it, on the proxy."""
    return Github(base_url=base, auth=auth, per_page=100, seconds_between_requests=None, retry=None, timeout=TIMEOUT)


def github_list_repos(t: Target, gh: Github, org: str, total: int) -> None:
    """PyGithub lists every repo of `org`."""
    repos = list(gh.get_organization(org).get_repos())
    t.expect(f"PyGithub lists every repo of {org} following Link", len(repos) == total, f"{len(repos)} != {total}")


def github_follow_links(t: Target, session: requests.Session, org: str) -> tuple[int, int | None, int]:
    """Follow `rel="next"` from page 1 of `org`'s repos; returns (pages, the `rel="last"` page, repos seen)."""
    url: str | None = f"{t.base}/orgs/{org}/repos?per_page=100"
    seen, pages, last = 0, 0, None
    while url:
        r = session.get(url, timeout=TIMEOUT)
        r.raise_for_status()
        body = r.json()
        pages += 1
        links = link_map(r.headers.get("link"))
        for rel, link in links.items():
            t.expect(f"{org} Link {rel} under the base URL", link.startswith(t.base + "/"), link)
        if "last" in links:
            last = page_of(links["last"])
        if "next" in links:
            t.expect(f"{org} page {pages} has per_page=100 items", len(body) == 100, str(len(body)))
        seen += len(body)
        url = links.get("next")
    return pages, last, seen


def github_page_edges(t: Target, session: requests.Session, org: str, total: int, last_pages: int) -> None:
    """`page=2` directly, one page past the end, and `sort=full_name`."""
    url = f"{t.base}/orgs/{org}/repos"
    if last_pages >= 2:
        r = session.get(url, params={"per_page": 100, "page": 2}, timeout=TIMEOUT)
        page_ok = r.status_code == 200 and len(r.json()) == min(100, total - 100)
        t.expect(f"{org} page=2 directly", page_ok, f"{r.status_code} {len(r.json())}")
        rels = set(link_map(r.headers.get("link")))
        t.expect(f"{org} page=2 Link has prev/first", {"prev", "first"} <= rels, r.headers.get("link", ""))
    r = session.get(url, params={"per_page": 100, "page": last_pages + 1}, timeout=TIMEOUT)
    t.expect(f"{org} one past the end is []", r.status_code == 200 and r.json() == [], f"{r.status_code} {r.text[:80]}")
    no_next = "next" not in link_map(r.headers.get("link"))
    t.expect(f"{org} past the end has no next", no_next, r.headers.get("link", ""))
    params: dict[str, Any] = {"per_page": 100, "page": 1, "type": "all", "sort": "full_name", "direction": "asc"}
    names = [x["name"].casefold() for x in session.get(url, params=params, timeout=TIMEOUT).json()]
    t.expect(f"{org} sort=full_name asc", names == sorted(names), "order")


def github_protocol(t: Target, org: str, total: int) -> None:
    """Link paging of `org`'s repos, by hand."""
    session = token_session(f"token {t.fake.token}")
    last_pages = math.ceil(total / 100)
    pages, last, seen = github_follow_links(t, session, org)
    followed = pages == last_pages and last in (None, pages)
    t.expect(f"{org} Link next followed to the last page", followed, f"pages={pages} last={last}")
    t.expect(f"{org} every repo seen once over the pages", seen == total, f"{seen} != {total}")
    github_page_edges(t, session, org, total, last_pages)


def github_org_and_user(t: Target, gh: Github, org: str) -> None:
    """The organization, the authenticated user (private view) and the rate limit."""
    o = gh.get_organization(org)
    t.expect("get org", o.login == org, o.login)
    user = gh.get_user()
    t.expect("get authenticated user", bool(user.login), "")
    raw = user.raw_data
    view = "private" if "two_factor_authentication" in raw else "public"
    shown = raw.get("user_view_type")
    t.expect("/user user_view_type matches its shape (discriminator)", shown == view, str(shown))
    limits = gh.get_rate_limit()
    t.expect("rate limit", limits.resources.core.limit > 0, "")


def github_variants(t: Target, org: str) -> None:
    """The `type` filters, the default page size and anonymous callers."""
    session = token_session(f"token {t.fake.token}")
    url = f"{t.base}/orgs/{org}/repos"
    for kind in ("all", "public", "private", "forks", "sources", "member"):
        r = session.get(url, params={"type": kind, "per_page": 5, "sort": "pushed"}, timeout=TIMEOUT)
        t.expect(f"repos type={kind}", r.status_code == 200, str(r.status_code))
    r = session.get(url, timeout=TIMEOUT)
    t.expect("repos default per_page is 30", len(r.json()) == min(30, len(t.fake.orgs[org])), str(len(r.json())))
    want = 401 if t.fake.enterprise else 200
    anon = requests.get(f"{t.base}/orgs/{org}", timeout=TIMEOUT)
    t.expect(f"anonymous org is {want}", anon.status_code == want, str(anon.status_code))
    anon = requests.get(url, params={"per_page": 100}, timeout=TIMEOUT)
    t.expect(f"anonymous org repos is {want}", anon.status_code == want, str(anon.status_code))
    anon = requests.get(f"{t.base}/rate_limit", timeout=TIMEOUT)
    t.expect("anonymous rate_limit", anon.status_code in (200, 401), str(anon.status_code))


def expect_github_status(t: Target, what: str, want: int, call: Callable[[], Any]) -> None:
    """`call` must raise a GithubException with status `want`."""
    try:
        call()
    except GithubException as exc:
        t.expect(what, exc.status == want, str(exc.status))
    else:
        t.expect(what, False, "no exception")


def github_errors(t: Target, gh: Github, org: str) -> None:
    """404 for an unknown org, 401 for a bad or missing credential."""
    expect_github_status(t, "404 unknown org", 404, lambda: gh.get_organization("no-such-org-xyz"))
    bad = github_client(t.base, Auth.Token("ghp_bad"))
    expect_github_status(t, "401 bad credential", 401, lambda: bad.get_organization(org))
    unknown = "/orgs/no-such-org-xyz/repos"
    repos = partial(gh.requester.requestJsonAndCheck, "GET", unknown, parameters={"per_page": 100})
    expect_github_status(t, "404 unknown org repos", 404, repos)
    r = requests.get(f"{t.base}/user", timeout=TIMEOUT)
    t.expect("/user anonymous is 401", r.status_code == 401, str(r.status_code))


def github_installation(t: Target, gi: GithubIntegration, inst: Any) -> None:
    """One installation: its token, its repositories paged to total_count, and its org's repos."""
    _ = (inst.id, inst.account.login, inst.target_type, inst.suspended_at)
    if inst.suspended_at is not None:
        expect_github_status(t, "suspended installation token is 403", 403, lambda: gi.get_access_token(inst.id))
        return
    granted = gi.get_access_token(inst.id)
    t.expect("installation token minted", granted.token.startswith("ghs_"), "")
    ig = github_client(t.base, Auth.Token(granted.token))
    headers, data = ig.requester.requestJsonAndCheck("GET", "/installation/repositories", parameters={"per_page": 100})
    total = data["total_count"]
    seen = len(data["repositories"])
    link = link_map(headers.get("link")).get("next")
    while link:
        headers, data = ig.requester.requestJsonAndCheck("GET", link)
        seen += len(data["repositories"])
        link = link_map(headers.get("link")).get("next")
    t.expect(f"installation {inst.id} repositories paged to total_count", seen == total, f"{seen} != {total}")
    org = inst.account.login
    repos = list(ig.get_organization(org).get_repos())
    t.expect(f"installation token lists {org}", len(repos) == len(t.fake.orgs[org]), str(len(repos)))


def github_app(t: Target) -> None:
    """The GitHub App flow: JWT, installations, installation tokens."""
    auth = Auth.AppAuth(t.fake.app_id, t.fake.app_private_key)
    gi = GithubIntegration(auth=auth, base_url=t.base, per_page=100, seconds_between_requests=None)
    installs = list(gi.get_installations())
    t.expect("app installations listed", len(installs) == len(t.fake.installations), str(len(installs)))
    for inst in installs:
        github_installation(t, gi, inst)
    expect_github_status(t, "unknown installation token is 404", 404, lambda: gi.get_access_token(999999))
    bad_jwt = {"Authorization": "Bearer not-a-jwt"}
    r = requests.get(f"{t.base}/app/installations", headers=bad_jwt, timeout=TIMEOUT)
    t.expect("app installations with a bad JWT is 401", r.status_code == 401, str(r.status_code))


def github_checks(env: Env, rec: Recorder, api: str) -> None:
    """Replay PyGithub and the Link protocol against github.com or GHES."""
    t = target(env, rec, api)
    gh = github_client(t.base, Auth.Token(t.fake.token))
    orgs = list(t.fake.orgs)
    for org in orgs:
        total = len(t.fake.orgs[org])
        t.step(f"list {org} repos (PyGithub)", partial(github_list_repos, t, gh, org, total))
        t.step(f"{org} protocol", partial(github_protocol, t, org, total))
    t.step("org, user, rate limit", partial(github_org_and_user, t, gh, orgs[0]))
    t.step("list variants", partial(github_variants, t, orgs[0]))
    t.step("errors", partial(github_errors, t, gh, orgs[0]))
    t.step("GitHub App", partial(github_app, t))


# -- Jira -------------------------------------------------------------------------------------------


def jira_auth(t: Target) -> dict[str, Any]:
    """The jira client's credentials for Cloud (basic) or Data Center (bearer token)."""
    if t.fake.cloud:
        return {"basic_auth": (seed.JIRA_EMAIL, seed.JIRA_API_TOKEN)}
    return {"token_auth": seed.JIRA_DC_TOKEN}


def jira_library(t: Target) -> None:
    """What the jira client sends: serverInfo, myself, project (and DC's includeArchived / expand)."""
    j = JIRA(t.base, get_server_info=True, timeout=5, max_retries=0, **jira_auth(t))
    deployment = j.server_info().get("deploymentType")
    t.expect("serverInfo deploymentType", deployment == ("Cloud" if t.fake.cloud else "Server"), str(deployment))
    t.expect("myself", bool(j.myself().get("displayName")), "")
    projects = j.projects()
    live = [p for p in t.fake.projects if p.get("status", "live") == "live"]
    t.expect("GET project lists live projects", len(projects) == len(live), f"{len(projects)} != {len(live)}")
    if not t.fake.cloud:
        r = j._session.get(f"{t.base}/rest/api/2/project", params={"includeArchived": "true"})
        t.expect("GET project includeArchived", r.status_code == 200, str(r.status_code))
        session = token_session(f"Bearer {seed.JIRA_DC_TOKEN}")
        params = {"expand": "description,lead,url,projectKeys"}
        r = session.get(f"{t.base}/rest/api/2/project", params=params, timeout=TIMEOUT)
        t.expect("GET project expand", fine_or_justified(t, r), str(r.status_code))
    j.close()


def jira_dc_basic(t: Target) -> None:
    """Data Center also takes basic auth."""
    j = JIRA(t.base, basic_auth=("syncer", "syncer-password"), get_server_info=True, timeout=5, max_retries=0)
    t.expect("DC basic auth myself", bool(j.myself().get("name")), "")
    j.close()


def jira_search_pages(t: Target, session: requests.Session, r: requests.Response, expected: int) -> None:
    """Follow `nextPage` from the first page of project/search to `isLast`."""
    seen, start, pages = 0, 0, 0
    while True:
        r.raise_for_status()
        body = r.json()
        pages += 1
        t.expect(f"search page {pages} startAt echoed", body.get("startAt") == start, str(body.get("startAt")))
        t.expect(f"search page {pages} total", body.get("total") == expected, str(body.get("total")))
        self_ok = str(body.get("self", "")).startswith(t.base + "/")
        t.expect(f"search page {pages} self under the base URL", self_ok, str(body.get("self")))
        seen += len(body["values"])
        if body.get("isLast"):
            t.expect("last page has no nextPage", "nextPage" not in body, "")
            break
        nxt = body.get("nextPage", "")
        t.expect(f"search page {pages} nextPage under the base URL", nxt.startswith(t.base + "/"), nxt)
        full = len(body["values"]) == body["maxResults"]
        t.expect(f"search page {pages} is full", full, str(len(body["values"])))
        start += len(body["values"])
        r = session.get(nxt, timeout=TIMEOUT)
    t.expect("search paged to total", seen == expected, f"{seen} != {expected}")


def jira_search_variants(t: Target, session: requests.Session, params: dict[str, Any], expected: int) -> None:
    """project/search past the end, with expand, by status, and with maxResults above the server's cap."""
    url = f"{t.base}/rest/api/2/project/search"
    r = session.get(url, params={**params, "startAt": expected + 10}, timeout=TIMEOUT)
    body = r.json()
    past_end = r.status_code == 200 and body["values"] == [] and body["isLast"] is True
    t.expect("search past the end: [] and isLast", past_end, r.text[:100])
    for expand in ("description,lead,url,projectKeys,insight,issueTypes", "description"):
        r = session.get(url, params={"expand": expand, "maxResults": 50}, timeout=TIMEOUT)
        t.expect(f"search expand={expand}", fine_or_justified(t, r), str(r.status_code))
    for status in ("deleted", "archived"):
        r = session.get(url, params={"status": status}, timeout=TIMEOUT)
        t.expect(f"search status={status}", r.status_code == 200, str(r.status_code))
    params = {"expand": "description,lead,url,projectKeys"}
    r = session.get(f"{t.base}/rest/api/2/project", params=params, timeout=TIMEOUT)
    t.expect("project expand", fine_or_justified(t, r), str(r.status_code))
    shown = session.get(url, params={"maxResults": 100}, timeout=TIMEOUT).json().get("maxResults")
    t.expect("search maxResults capped (server wins)", shown == t.fake.max_results_cap, str(shown))


def jira_search(t: Target) -> None:
    """project/search paging (Cloud); Data Center has no such operation."""
    session = requests.Session()
    if t.fake.cloud:
        session.auth = (seed.JIRA_EMAIL, seed.JIRA_API_TOKEN)
    else:
        session.headers["Authorization"] = f"Bearer {seed.JIRA_DC_TOKEN}"
    params: dict[str, Any] = {"maxResults": 50, "orderBy": "key", "status": ["live", "archived"], "startAt": 0}
    r = session.get(f"{t.base}/rest/api/2/project/search", params=params, timeout=TIMEOUT)
    if not t.fake.cloud:
        t.expect("DC has no project/search (404)", r.status_code == 404, str(r.status_code))
        return
    expected = sum(1 for p in t.fake.projects if p.get("status", "live") in ("live", "archived"))
    jira_search_pages(t, session, r, expected)
    jira_search_variants(t, session, params, expected)


def jira_errors(t: Target) -> None:
    """401 for bad credentials; serverInfo answers anonymous callers."""
    wrong = ("nobody@acme.com", "wrong")
    for path in ("myself", "project"):
        bad = requests.get(f"{t.base}/rest/api/2/{path}", auth=wrong, timeout=TIMEOUT)
        t.expect(f"401 bad credential ({path})", bad.status_code == 401, str(bad.status_code))
    try:
        JIRA(t.base, basic_auth=wrong, get_server_info=True, timeout=5, max_retries=0).myself()
    except JIRAError as exc:
        t.expect("jira library refuses bad credentials", exc.status_code == 401, str(exc.status_code))
    else:
        t.expect("jira library refuses bad credentials", False, "no exception")
    if not t.fake.cloud:
        headers = {"Authorization": "Bearer wrong"}
        bad = requests.get(f"{t.base}/rest/api/2/myself", headers=headers, timeout=TIMEOUT)
        t.expect("401 bad bearer token (DC)", bad.status_code == 401, str(bad.status_code))
    anon = requests.get(f"{t.base}/rest/api/2/serverInfo", timeout=TIMEOUT)
    t.expect("anonymous serverInfo is 200", anon.status_code == 200, str(anon.status_code))


def jira_checks(env: Env, rec: Recorder, api: str) -> None:
    """Replay the jira client and project/search paging against Jira Cloud or Data Center."""
    t = target(env, rec, api)
    t.step("jira library", partial(jira_library, t))
    if not t.fake.cloud:
        t.step("jira DC basic auth", partial(jira_dc_basic, t))
    t.step("project/search paging", partial(jira_search, t))
    t.step("errors", partial(jira_errors, t))


# -- PagerDuty ----------------------------------------------------------------------------------------


def pagerduty_users_paging(t: Target, c: httpx.Client, account: dict[str, Any], label: str) -> None:
    """/users paged by offset/limit with total=true, to `more: false`."""
    offset, seen, count = 0, 0, len(account["users"])
    while True:
        r = c.get("/users", params={"limit": 25, "offset": offset, "total": "true"})
        r.raise_for_status()
        body = r.json()
        t.expect(f"{label} users offset echoed", body["offset"] == offset, str(body["offset"]))
        t.expect(f"{label} users limit echoed", body["limit"] == 25, str(body["limit"]))
        t.expect(f"{label} users total", body["total"] == count, str(body["total"]))
        seen += len(body["users"])
        if not body["more"]:
            break
        offset += len(body["users"])
    t.expect(f"{label} users paged to total", seen == count, str(seen))


def pagerduty_account_rest(t: Target, c: httpx.Client, account: dict[str, Any], label: str) -> None:
    """`total` only when asked, past the end, /users/me by token level, services, query, abilities."""
    total = c.get("/users", params={"limit": 25, "offset": 0}).json()["total"]
    t.expect(f"{label} total null unless asked", total is None, str(total))
    r = c.get("/users", params={"limit": 25, "offset": len(account["users"]) + 25})
    body = r.json()
    t.expect(f"{label} past the end: [] and more=false", body["users"] == [] and body["more"] is False, r.text[:100])
    me = c.get("/users/me")
    want = 200 if account["level"] == "user" else 400
    t.expect(f"{label} users/me is {want}", me.status_code == want, str(me.status_code))
    r = c.get("/services", params={"limit": 25, "offset": 0})
    t.expect(f"{label} services", r.status_code == 200, str(r.status_code))
    r = c.get("/users", params={"query": "a", "limit": 100})
    t.expect(f"{label} users query", r.status_code == 200, str(r.status_code))
    r = c.get("/abilities")
    t.expect(f"{label} abilities", r.status_code == 200, str(r.status_code))


def pagerduty_account(t: Target, token: str) -> None:
    """Replay one account (a user-level or an account-level token)."""
    account = t.fake.accounts[token]
    headers = {"Authorization": f"Token token={token}", "Accept": "application/vnd.pagerduty+json;version=2"}
    with httpx.Client(base_url=t.base, headers=headers, timeout=TIMEOUT) as c:
        pagerduty_users_paging(t, c, account, account["subdomain"])
        pagerduty_account_rest(t, c, account, account["subdomain"])


def pagerduty_errors(t: Target) -> None:
    """401 for a bad token on every replayed operation."""
    with httpx.Client(base_url=t.base, timeout=TIMEOUT) as c:
        for path, what in (("/users", ""), ("/users/me", " (users/me)"), ("/abilities", " (abilities)")):
            r = c.get(path, headers={"Authorization": "Token token=bad"})
            t.expect(f"401 bad credential{what}", r.status_code == 401, str(r.status_code))


def pagerduty_checks(env: Env, rec: Recorder) -> None:
    """Replay offset paging and the token levels against PagerDuty."""
    t = target(env, rec, "pagerduty")
    for token in (seed.PAGERDUTY_TOKEN, seed.PAGERDUTY_EU_TOKEN):
        t.step(f"{t.fake.accounts[token]['subdomain']} replay", partial(pagerduty_account, t, token))
    t.step("errors", partial(pagerduty_errors, t))


# -- syncer's own sources ---------------------------------------------------------------------------


def proxied_config(env: Env) -> Config:
    """The simulator's syncer configuration with every API URL pointing at its proxy, plus a GitHub App source."""
    tree = env.sim.config_dict()
    tree["github"]["sources"][0]["api_url"] = env.proxy("github")
    tree["github"]["sources"][1]["api_url"] = env.proxy("ghes")
    app = {"app_id": env.sim.github.app_id, "private_key": env.sim.github.app_private_key}
    tree["github"]["sources"].append({"hostname": "apps.github.com", "api_url": env.proxy("github"), "app": app})
    tree["jira"]["sources"][0]["url"] = env.proxy("jira")
    tree["jira"]["sources"][1]["url"] = env.proxy("jira_dc")
    for source in tree["pagerduty"]["sources"]:
        source["api_url"] = env.proxy("pagerduty")
    return configfile.parse(tree, env.sim.env())


def syncer_sources(env: Env, rec: Recorder) -> None:
    """Replay exactly what syncer sends: discover() and check() of every configured source, via the proxies."""
    config = proxied_config(env)
    policy = RetryPolicy(attempts=1)
    for integration in (Integration.GITHUB, Integration.JIRA, Integration.PAGERDUTY):
        for source in sources(integration, config, policy, sleep=lambda _s: None):
            name = f"syncer {integration.value} {source!r}"
            discoveries = step(rec, "syncer", name, source.discover, env.trace)
            # the seeded suspended installation (acme-old) is reported by design
            errors = [d.error for d in discoveries or [] if d.error and "51003 is suspended" not in d.error]
            clean = discoveries is not None and not errors
            rec.expect("syncer", f"{name} discovers without errors", clean, str(errors)[:300])
            if "apps.github.com" not in name:
                step(rec, "syncer", f"{name} check", source.check, env.trace)


# -- rate limits and canaries -------------------------------------------------------------------------


def rate_limits(env: Env, rec: Recorder) -> None:
    """The fakes' scripted rate-limit answers, and real budgets running out, validated like the rest."""
    sim = env.sim
    gh = {"Authorization": f"token {seed.GITHUB_TOKEN}"}
    sim.github.rate_limited(path="/orgs/acme")
    sim.github.rate_limited(path="/orgs/acme", secondary=True, status=429)
    sim.ghes.rate_limited(path="/user")
    sim.jira.rate_limited(path="/project/search")
    sim.jira_dc.rate_limited(path="/project")
    sim.pagerduty.rate_limited(path="/users")
    cases: list[tuple[str, str, dict[str, str], int]] = [
        ("github", "/orgs/acme/repos", gh, 403),
        ("github", "/orgs/acme", gh, 429),
        ("ghes", "/user", {"Authorization": f"token {seed.GHES_TOKEN}"}, 403),
        ("jira", "/rest/api/2/project/search", {}, 429),
        ("jira_dc", "/rest/api/2/project", {"Authorization": f"Bearer {seed.JIRA_DC_TOKEN}"}, 429),
        ("pagerduty", "/users", {"Authorization": f"Token token={seed.PAGERDUTY_TOKEN}"}, 429),
    ]
    for api, path, headers, want in cases:
        auth = (seed.JIRA_EMAIL, seed.JIRA_API_TOKEN) if api == "jira" else None
        rec.note = f"rate limit {api}"
        r = requests.get(env.proxy(api) + path, headers=headers, auth=auth, timeout=TIMEOUT)
        rec.expect(api, f"rate-limited answer {path} is {want}", r.status_code == want, str(r.status_code))
    # the real budget running out (GitHub primary limit on an anonymous caller; PagerDuty per token)
    sim.github.anonymous_rate_limit = 1
    for _ in range(2):
        r = requests.get(env.proxy("github") + "/orgs/acme", timeout=TIMEOUT)
    rec.expect("github", "anonymous budget spent is 403", r.status_code == 403, str(r.status_code))
    sim.pagerduty.rate_limit = 1
    eu = {"Authorization": f"Token token={seed.PAGERDUTY_EU_TOKEN}"}
    for _ in range(2):
        r = requests.get(env.proxy("pagerduty") + "/abilities", headers=eu, timeout=TIMEOUT)
    rec.expect("pagerduty", "budget spent is 429", r.status_code == 429, str(r.status_code))


def canaries(env: Env, rec: Recorder) -> None:
    """Prove the proxies validate: a wrong body must come back as a violation (these are not counted)."""
    cases: list[tuple[str, str, dict[str, str], tuple[str, str] | None]] = [
        ("github", "/orgs/acme", {"Authorization": f"token {seed.GITHUB_TOKEN}"}, None),
        ("ghes", "/orgs/platform", {"Authorization": f"token {seed.GHES_TOKEN}"}, None),
        ("jira", "/rest/api/2/serverInfo", {}, (seed.JIRA_EMAIL, seed.JIRA_API_TOKEN)),
        ("jira_dc", "/rest/api/2/serverInfo", {}, None),
        ("pagerduty", "/abilities", {"Authorization": f"Token token={seed.PAGERDUTY_TOKEN}"}, None),
    ]
    wrong = {"id": [], "login": 5, "abilities": 7, "baseUrl": 1}
    for api, path, headers, auth in cases:
        getattr(env.sim, api).faults.add(Fault(path=path, status=200, body=wrong))
        before = len(rec.exchanges)
        rec.note = "canary"
        requests.get(env.proxy(api) + path, headers=headers, auth=auth, timeout=TIMEOUT)
        caught = any(ex.violations for ex in rec.exchanges[before:])
        rec.expect(api, "canary: a wrong body is reported", caught, "the proxy did not validate")
        with rec.lock:
            del rec.exchanges[before:]


# -- running ------------------------------------------------------------------------------------------


def _busy(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_proxies(env: Env, work_dir: Path, procs: list[subprocess.Popen[bytes]]) -> list[Path]:
    """Start a forwarder and a Prism proxy per API (appending to `procs`); returns the Prism logs."""
    logs = []
    for api in APIS:
        upstream = f"http://127.0.0.1:{env.fix_port(api)}"
        host = f"127.0.0.1:{env.proxy_port(api)}"
        serve_in_thread(host_fixer(f"http://127.0.0.1:{env.fake_port(api)}", host), env.fix_port(api))
        log = work_dir / f"prism-{api}.log"
        logs.append(log)
        spec = trimmed_dir(work_dir) / f"{SPEC_OF[api]}.json"
        procs.append(start_prism(work_dir, spec, upstream, env.proxy_port(api), log))
    started = time.time()
    wait_prism(logs, procs)
    print(f"prism proxies up in {time.time() - started:.0f}s", flush=True)
    return logs


def replay(env: Env, rec: Recorder) -> None:
    """Every replay, in order, with the simulator reset between the groups that change its state."""
    for api in ("github", "ghes"):
        github_checks(env, rec, api)
    for api in ("jira", "jira_dc"):
        jira_checks(env, rec, api)
    pagerduty_checks(env, rec)
    env.sim.reset()
    rate_limits(env, rec)
    env.sim.reset()
    syncer_sources(env, rec)
    env.sim.reset()
    canaries(env, rec)


def report(rec: Recorder, logs: list[Path], work_dir: Path) -> int:
    """Write report.json, print the summary; returns the exit code (1 on any unjudged violation or failure)."""
    for failure in compile_failures(logs):
        rec.expect("prism", "every schema compiles (else Prism skips validation)", False, failure)
    data: dict[str, Any] = {"apis": summary(rec), "protocol_failures": rec.failures, "protocol_passes": len(rec.passes)}
    path = work_dir / "report.json"
    path.write_text(json.dumps(data, indent=1))
    bad = 0
    for api, found in data["apis"].items():
        print(f"\n== {api}: {found['requests']} answers, {found['with_violations']} with violations")
        for key, count in sorted(found["violations"].items()):
            bad += 1
            print(f"  {count:4d} x {key}")
        for key, count in sorted(found.get("justified", {}).items()):
            print(f"  {count:4d} x JUSTIFIED {key}")
    print(f"\n== violations: {bad} unjudged")
    print(f"== protocol: {len(rec.passes)} passed, {len(rec.failures)} failed")
    for api, what in rec.failures:
        print(f"  [{api}] {what}")
    print(f"== report: {path}")
    return 1 if bad or rec.failures else 0


def preflight(work_dir: Path, port_base: int) -> str:
    """What stops a run from starting (missing Prism or trimmed specs, ports in use), or ""."""
    if not (work_dir / PRISM_BIN).exists():
        return f"no Prism in {work_dir} (run tools/fidelity/run.sh, which installs it)"
    missing = [name for name in set(SPEC_OF.values()) if not (trimmed_dir(work_dir) / f"{name}.json").is_file()]
    if missing:
        return f"no trimmed descriptions {sorted(missing)} in {trimmed_dir(work_dir)} (run tools/fidelity/trim.py)"
    busy = [port for port in used_ports(port_base) if _busy(port)]
    if busy:
        return f"ports in use: {busy} (a previous run still going?)"
    return ""


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_work_dir_argument(parser)
    parser.add_argument("--port-base", type=int, default=DEFAULT_PORT_BASE, help="first port (default: %(default)s)")
    parser.add_argument("--trace", action="store_true", help="print the traceback of a step that raises")
    parser.add_argument("--serve", action="store_true", help="start everything and wait (probe the proxies by hand)")
    return parser.parse_args()


def main() -> int:
    """Run the whole check; returns the exit code."""
    args = parse_args()
    work_dir: Path = args.work_dir.resolve()
    problem = preflight(work_dir, args.port_base)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    patch_prism(work_dir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sim = Simulator(port_base=args.port_base).start()
    env = Env(sim, args.port_base, args.trace)
    rec = Recorder({env.proxy_port(api): api for api in APIS})
    procs: list[subprocess.Popen[bytes]] = []
    try:
        logs = start_proxies(env, work_dir, procs)
        if args.serve:
            print({api: env.proxy(api) for api in APIS}, flush=True)
            while True:
                time.sleep(3600)
        rec.install()
        replay(env, rec)
    finally:
        stop_prism(procs)
        sim.stop()
    return report(rec, logs, work_dir)


if __name__ == "__main__":
    sys.exit(main())
