"""The context of one fidelity run: the APIs, their ports and proxy URLs, and the API a replay step targets.

Also the helpers every replay shares (Link headers, sessions, the hand-judged Prism 500s).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from harness import Recorder, justified

from syncer.simulator import Simulator

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
