"""The one redactor: every configured secret, every value derived from one, and URL userinfo become `***`.

Everything syncer shows (log records of every logger, errors, reports, `/status`, `/readyz`) passes through
`redact()`. Secrets are registered when the configuration is loaded (and when a value is derived from one at run
time, such as a GitHub App installation token); GitHub token and JWT shapes are masked even when unregistered.
"""

from __future__ import annotations

import base64
import re
import threading
from urllib.parse import quote, urlsplit, urlunsplit

MASK = "***"
MIN_LENGTH = 4  # shorter values would mask ordinary words; the loader refuses no secret for being short
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@'\"<>]*@")
_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
)


class Redactor:
    """Knows the secrets to mask; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, *secrets: str | None) -> None:
        """Mask these values (and their URL-encoded and base64 forms) from now on."""
        with self._lock:
            before = len(self._secrets)
            for secret in secrets:
                if secret and len(secret) >= MIN_LENGTH:
                    self._secrets.update(_forms(secret))
            if len(self._secrets) != before:
                self._pattern = None

    def add_basic_auth(self, user: str, password: str) -> None:
        """Mask a password and the base64 of `user:password` (what an Authorization: Basic header carries)."""
        self.add(password, base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))

    def redact(self, text: str) -> str:
        """The text with every known secret, token shape and URL userinfo masked."""
        if not text:
            return text
        pattern = self._compiled()
        if pattern is not None:
            text = pattern.sub(MASK, text)
        text = _SHAPES.sub(MASK, text)
        return _USERINFO.sub(r"\g<scheme>", text)

    def clear(self) -> None:
        """Forget every registered secret (a configuration reload registers the new ones)."""
        with self._lock:
            self._secrets.clear()
            self._pattern = None

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._secrets:
                ordered = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
            return self._pattern


def _forms(secret: str) -> set[str]:
    """The secret as written, URL-encoded, and base64-encoded (headers and echoes carry any of them)."""
    forms = {secret, quote(secret, safe=""), quote(secret)}
    stripped = secret.strip()
    if stripped and len(stripped) >= MIN_LENGTH:
        forms.add(stripped)
        forms.add(base64.b64encode(stripped.encode()).decode("ascii").rstrip("="))
    return {f for f in forms if len(f) >= MIN_LENGTH}


def display_url(url: str) -> str:
    """A URL as it may be shown: without its `user:password@` part."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO.sub(r"\g<scheme>", url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


REDACTOR = Redactor()


def redact(text: str) -> str:
    """Mask every secret the process knows in `text` (see Redactor.redact)."""
    return REDACTOR.redact(text)
