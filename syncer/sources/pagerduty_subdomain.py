"""The PagerDuty account (subdomain) named by a web URL: only https://<sub>.pagerduty.com or <sub>.eu.pagerduty.com.

The library's own `subdomain` takes the first label of any host, so `https://app.pagerduty.com/...` (or any other
host) would name an account `app` and the real one would be removed. Here anything but an account's own web host
fails the source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from syncer.errors import PermanentError

RESERVED = frozenset({"app", "www", "api", "events", "eu"})  # PagerDuty's own hosts, never an account
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_HOSTS = (("pagerduty", "com"), ("eu", "pagerduty", "com"))


def subdomain_of(html_url: object, where: str, shown: Callable[[str], str] = str) -> str:
    """The account's subdomain in `html_url`; PermanentError naming the URL (as `shown` masks it) otherwise."""
    if not isinstance(html_url, str):
        raise PermanentError(f"{where}: the first user's html_url is {json_type(html_url)}, not a string")
    sub, problem = _read(html_url)
    if problem is not None:
        text = shown(html_url[:200])
        raise PermanentError(
            f"{where}: cannot tell the account from the first user's html_url {text!r}: {problem} (expected "
            "https://<account>.pagerduty.com/... or https://<account>.eu.pagerduty.com/...; or set subdomain in "
            "the configuration)"
        )
    return sub


def _read(html_url: str) -> tuple[str, str | None]:
    """The subdomain (lower case, as DNS compares it) and what is wrong with the URL, if anything."""
    try:
        parts = urlsplit(html_url)
        port = parts.port
    except ValueError:
        return "", "not a URL"
    if parts.scheme.lower() != "https":
        return "", "not an https URL"
    if parts.username is not None or parts.password is not None or port is not None:
        return "", "not a plain host (user or port given)"
    labels = tuple((parts.hostname or "").split("."))
    if labels[1:] not in _HOSTS:
        return "", "not a PagerDuty account's host"
    sub = labels[0]
    if not _LABEL.fullmatch(sub):
        return "", f"{sub[:63]!r} is not a DNS label"
    if sub in RESERVED:
        return "", f"{sub!r} is a PagerDuty host, not an account"
    return sub, None


def json_type(value: object) -> str:
    """How an error names the JSON type of a value."""
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)
