"""Probes that script the fakes' answers: rate limits, budgets running out, and canaries.

The canaries prove that the proxies validate: a deliberately wrong body must come back as a violation.
"""

from __future__ import annotations

import requests
from context import TIMEOUT, Env
from harness import Recorder

from syncer.simulator import Fault, seed


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
