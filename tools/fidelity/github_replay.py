"""The replay of GitHub's clients (github.com and GHES): PyGithub, the Link protocol by hand, the GitHub App."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import requests
from context import TIMEOUT, Env, Target, link_map, page_of, target, token_session
from github import Auth, Github, GithubException, GithubIntegration
from harness import Recorder


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


def github_custom_properties(t: Target, gh: Github, org: str) -> None:
    """The org's custom property schema and values (PyGithub), paged; a GHES before 3.13 answers 404."""
    o = gh.get_organization(org)
    schema = list(o.get_custom_properties())
    t.expect("custom property schema", {p.property_name for p in schema} >= {"team", "tier"}, str(len(schema)))
    values = list(o.list_custom_property_values())
    t.expect("custom property values paged", len(values) == len(t.fake.orgs[org]), str(len(values)))
    _, page = gh.requester.requestJsonAndCheck("GET", f"/orgs/{org}/repos", parameters={"per_page": 100})
    listed = all("custom_properties" in repo for repo in page)
    t.expect("the org listing carries custom_properties where the server has them", listed == t.fake.lists_properties)
    if t.fake.enterprise:
        played = t.fake.version
        try:
            t.fake.version = (3, 12)
            old = partial(gh.requester.requestJsonAndCheck, "GET", f"/orgs/{org}/properties/values")
            expect_github_status(t, "GHES 3.12: properties/values is 404", 404, old)
        finally:
            t.fake.version = played


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
    t.step("custom properties", partial(github_custom_properties, t, gh, orgs[0]))
    t.step("GitHub App", partial(github_app, t))
