"""The one redactor: every configured secret, every value derived from one, and URL userinfo become `***`.

Everything syncer shows (log records of every logger, errors, reports, `/status`, `/readyz`) passes through
`redact()`. Secrets are registered when the configuration is loaded (and when a value is derived from one at run
time, such as a GitHub App installation token); GitHub token and JWT shapes are masked even when unregistered.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from urllib.parse import quote, urlsplit, urlunsplit

MASK = "***"
MAX_DERIVED = 512
MIN_LENGTH = 4  # shorter values would mask ordinary words; the loader refuses no secret for being short
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@'\"<>]*@")
_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
)


# Credential-bearing headers as they show in debug output or echoed requests: `Authorization: Bearer x`,
# `"DD-API-KEY": "x"`, `authorization=Basic x`; the value becomes *** even when the secret was never registered.
_HEADERS = re.compile(
    r"(?i)\b(?P<name>(?:proxy-)?authorization|dd-api-key|dd-application-key|x-api-key|private-token)"
    r"(?P<sep>['\"]?\s*[:=]\s*['\"]?)(?P<scheme>(?:bearer|basic|token|jwt)\s+)?(?P<value>[^\s'\",;}\]]+)"
)
# An HTTP credential in any text: `Basic <base64>`, `Bearer <token>` (an echoed header, a quoted request).
# A value of letters only is masked for Basic when it decodes to `user:password`, else left ("Basic authentication
# failed" stays readable).
_SCHEMES = re.compile(r"(?i)\b(?P<scheme>basic|bearer)(?P<sep>\s+)(?P<value>[A-Za-z0-9._~+/-]{8,}=*)")
# Runs of base64 long enough to hide a secret: decoded, and masked when what they carry holds a known secret.
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{12,}={0,2}")
_MAX_DEPTH = 32


class Redactor:
    """Knows the secrets to mask; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._derived: OrderedDict[str, None] = OrderedDict()  # run-time tokens, the newest MAX_DERIVED kept
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

    def add_derived(self, *secrets: str | None) -> None:
        """Mask values derived at run time (installation tokens, minted again every run) — the newest MAX_DERIVED.

        A daemon mints new ones for ever, so they are not kept for ever: one that expired long ago is dropped
        (GitHub's are `ghs_` tokens, masked by their shape anyway).
        """
        with self._lock:
            for secret in secrets:
                if secret and len(secret) >= MIN_LENGTH and secret not in self._derived:
                    self._derived[secret] = None
                    self._pattern = None
            while len(self._derived) > MAX_DERIVED:
                self._derived.popitem(last=False)

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
            text = _BASE64.sub(lambda match: _mask_encoded(match, pattern), text)
        text = _SHAPES.sub(MASK, text)
        text = _HEADERS.sub(_mask_header, text)
        text = _SCHEMES.sub(_mask_scheme, text)
        return _USERINFO.sub(r"\g<scheme>", text)

    def redact_value(self, value: object, _depth: int = 0) -> object:
        """A JSON-like value (dicts, lists, tuples, strings) with every string in it redacted, keys included.

        Numbers, booleans and None are kept; any other object whose text holds a secret becomes its redacted
        text. Nesting deeper than a bound is cut (a cycle cannot recurse forever).
        """
        if isinstance(value, str):
            return self.redact(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if _depth >= _MAX_DEPTH:
            return MASK
        if isinstance(value, Mapping):
            return {
                (self.redact(k) if isinstance(k, str) else k): self.redact_value(v, _depth + 1)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple | set | frozenset):
            items = [self.redact_value(item, _depth + 1) for item in value]
            return tuple(items) if isinstance(value, tuple) else items
        try:
            text = str(value)
        except Exception:
            return f"<unprintable {type(value).__name__}>"
        masked = self.redact(text)
        return value if masked == text else masked

    def clear(self) -> None:
        """Forget every registered secret (a configuration reload registers the new ones)."""
        with self._lock:
            self._secrets.clear()
            self._derived.clear()
            self._pattern = None

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and (self._secrets or self._derived):
                ordered = sorted(self._secrets | set(self._derived), key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
            return self._pattern


def _mask_encoded(match: re.Match[str], secrets: re.Pattern[str]) -> str:
    """A base64 run that decodes to text holding a known secret (`user:token` of a Basic header) is masked."""
    blob = match.group(0)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            decoded = decode(blob + "=" * (-len(blob) % 4)).decode("utf-8", errors="ignore")
        except (ValueError, TypeError):
            continue
        if secrets.search(decoded):
            return MASK
    return blob


def _mask_scheme(match: re.Match[str]) -> str:
    value = match["value"]
    if not re.search(r"[0-9+/=]", value):
        try:
            decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return match.group(0)
        if match["scheme"].lower() != "basic" or ":" not in decoded:
            return match.group(0)
    return f"{match['scheme']}{match['sep']}{MASK}"


def _mask_header(match: re.Match[str]) -> str:
    return f"{match['name']}{match['sep']}{match['scheme'] or ''}{MASK}"


def _forms(secret: str) -> set[str]:
    """The secret as written, URL-encoded, JSON-escaped and base64-encoded (headers and echoes carry any of them)."""
    forms = {secret, quote(secret, safe=""), quote(secret), json.dumps(secret)[1:-1], repr(secret)[1:-1]}
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


def redact_value(value: object) -> object:
    """Mask every secret the process knows in every string of a JSON-like value (see Redactor.redact_value)."""
    return REDACTOR.redact_value(value)
