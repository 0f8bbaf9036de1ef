"""The replay of Jira's clients (Cloud and Data Center): the jira client, and project/search paging by hand."""

from __future__ import annotations

from functools import partial
from typing import Any

import requests
from context import TIMEOUT, Env, Target, fine_or_justified, target, token_session
from harness import Recorder
from jira import JIRA, JIRAError

from syncer.simulator import seed


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
