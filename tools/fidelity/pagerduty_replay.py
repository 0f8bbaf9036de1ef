"""The replay of PagerDuty's client traffic: offset paging and the token levels, over plain HTTP."""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx
from context import TIMEOUT, Env, Target, target
from harness import Recorder

from syncer.simulator import seed


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
