"""What a failed GitHub request means: a TransientError worth retrying, or a PermanentError, naming where.

Following GitHub's "Rate limits for the REST API": a primary limit is a 403 or 429 with `x-ratelimit-remaining: 0`
(wait until `x-ratelimit-reset`, UTC epoch seconds); a secondary limit is a 403 or 429 whose message says so (wait
`retry-after` seconds when given, else at least a minute). Those, any 429, any 5xx, a connection error and a timeout
are transient; every other failure (401, a plain 403, 404, 422, a redirect, an answer too large) is permanent.
Upstream text is quoted with secrets masked and cut at QUOTE_LIMIT characters; no header is ever shown.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import TypeVar
from urllib.parse import urlsplit

import requests
from github import GithubException

from syncer.errors import PermanentError, SyncerError, TransientError, UpstreamError
from syncer.redact import display_url, redact
from syncer.retry import parse_seconds
from syncer.sources.bounded import AnswerTooSlow

SYSTEM = "github"
QUOTE_LIMIT = 300  # characters of an upstream error text quoted in a message
SECONDARY_WAIT = 60.0  # GitHub: after a secondary limit without retry-after, "wait for at least one minute"
_SECONDARY = ("secondary rate limit", "abuse detection")  # what GitHub's messages of a secondary limit say
_NO_ANSWER = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError, AnswerTooSlow)
E = TypeVar("E", bound=SyncerError)


class UnexpectedAnswer(requests.RequestException):
    """GitHub answered a status syncer never takes for data (a redirect, 202, 203, 204, 206, ...)."""

    def __init__(self, status: int, location: str | None) -> None:
        self.status = status
        self.location = location
        shown = f", a redirect to {_shown_location(location)} that is not followed" if location else ""
        super().__init__(f"answered {status}{shown}: only a 200 is taken for an answer")


def _shown_location(location: str) -> str:
    """A Location header as it may be shown: no userinfo, no query (which may carry a token), at most 200 chars."""
    try:
        parts = urlsplit(location)
        text = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else parts.path
    except ValueError:
        text = location
    return redact(display_url(text))[:200]


def quoted(text: object) -> str:
    """Upstream text as it may be quoted: secrets masked, at most QUOTE_LIMIT characters."""
    return redact(str(text)[: QUOTE_LIMIT * 4])[:QUOTE_LIMIT]


def translate(exc: GithubException | requests.RequestException, where: str) -> UpstreamError:
    """One failed attempt (PyGithub's error status, or no usable answer) as an UpstreamError naming `where`."""
    if isinstance(exc, GithubException):
        return answered(exc.status, exc.headers or {}, exc.data, where)
    if isinstance(exc, UnexpectedAnswer):
        return PermanentError(f"{where} {exc}", system=SYSTEM, status=exc.status)
    text = f"{where}: {type(exc).__name__}: {_reason(exc)}"
    if isinstance(exc, _NO_ANSWER):
        return TransientError(text, system=SYSTEM)
    return PermanentError(text, system=SYSTEM)


def answered(status: int, headers: Mapping[str, str], data: object, where: str) -> UpstreamError:
    """An error status as TransientError (429, 5xx, a rate-limit 403, with the wait GitHub asks) or PermanentError."""
    message = data.get("message") if isinstance(data, dict) else None
    text = f"{where} answered {status}{f': {quoted(message)}' if message else ''}"
    lower = {k.lower(): v for k, v in headers.items()}
    secondary = isinstance(message, str) and any(s in message.lower() for s in _SECONDARY)
    limited = status in (403, 429) and (
        secondary or lower.get("x-ratelimit-remaining") == "0" or "retry-after" in lower
    )
    if limited or status == 429 or status >= 500:
        return TransientError(text, asked_wait(lower, secondary=secondary), system=SYSTEM, status=status)
    return PermanentError(text, system=SYSTEM, status=status)


def asked_wait(headers: Mapping[str, str], *, secondary: bool = False) -> float | None:
    """Seconds GitHub asks to wait: `retry-after`, else until `x-ratelimit-reset` (+1 s) once the limit is spent,
    else a minute after a secondary limit; None when it asks nothing (the policy's backoff applies)."""
    lower = {k.lower(): v for k, v in headers.items()}
    asked = parse_seconds(lower.get("retry-after"))
    if asked is None and lower.get("x-ratelimit-remaining") == "0":
        reset = parse_seconds(lower.get("x-ratelimit-reset"))
        asked = None if reset is None else max(reset - time.time(), 0.0) + 1.0
    if asked is None and secondary:
        asked = SECONDARY_WAIT
    return asked


def prefixed(exc: E, where: str) -> E:
    """The same error (same type, same attributes) with `where` in front of its message."""
    exc.args = (f"{where}: {exc}",)
    return exc


def _reason(exc: Exception) -> str:
    """The root cause of a requests failure (e.g. "Connection refused"), without the URL."""
    cause: object = exc.args[0] if exc.args else exc
    cause = getattr(cause, "reason", None) or cause
    text = str(cause)
    text = re.sub(r"HTTP(S)?ConnectionPool\([^)]*\): ", "", text)
    return quoted(re.sub(r"\(Caused by .*", "", text).strip())
