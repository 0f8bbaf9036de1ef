"""`http.ca_bundle` made into what each HTTP client needs; the one place that decides whom syncer's clients trust.

The bundle ADDS trust, it never replaces it: a client trusts what it trusts without one (its library's defaults,
environment included) and the bundle's CAs as well, so a private CA (GHES, a TLS-inspecting proxy) works next to
every public API.

- requests (PyGithub, the GitHub App token exchange, jira): `verify=` the path of a bundle written once (per
  bundle file version) to a private temporary file (mode 0600, removed at exit): the CAs requests would use anyway
  (`REQUESTS_CA_BUNDLE`, else `CURL_CA_BUNDLE`, else certifi's) followed by the extra PEM.
- httpx (Datadog) and httpx2 (PagerDuty): an `ssl.SSLContext` made as the library makes its default one
  (`SSL_CERT_FILE`/`SSL_CERT_DIR` honoured, else certifi for httpx, the system's CAs for httpx2), with the extra
  PEM loaded on top (`load_verify_locations`). One context per bundle file version, shared by every client.

Without `http.ca_bundle` each library keeps its defaults (True, or for requests the REQUESTS_CA_BUNDLE it would
read). Every client takes HTTPS_PROXY/HTTP_PROXY/NO_PROXY (and ALL_PROXY) from the environment and tunnels TLS
through the proxy with the same trust: httpx and httpx2 when a client is made without `transport=`; a requests
session through `settle`, which looks up once, for the one host the session talks to, what requests'
`trust_env` would look up twice on every request (the proxies, NO_PROXY honoured, and REQUESTS_CA_BUNDLE), then
turns `trust_env` off (so no `.netrc` credential is ever added either).

`use(config.http)` makes a configuration's settings the process's (the sources' factory calls it, before any
source exists); the functions below take an HttpConfig, or None for those. `use` also registers the password of
a proxy URL in the environment with the redactor.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import ssl
import tempfile
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import certifi
import httpx
import httpx2
import requests

from syncer.config.http import HttpConfig, check_ca_bundle
from syncer.errors import ConfigError
from syncer.redact import REDACTOR

KEY = "http.ca_bundle"
_lock = threading.Lock()
_installed = HttpConfig()
_bundles: dict[tuple[str, ...], str] = {}  # (requests' own CAs, ca_bundle version) -> the combined temp file
_contexts: dict[tuple[str, ...], ssl.SSLContext] = {}  # (library, its env, ca_bundle version) -> context


def use(http: HttpConfig) -> None:
    """Make `http` the settings of every client built from now on (a reload's new configuration replaces them).

    The bundle is read now: a file that went missing or bad since the configuration loaded is a ConfigError.
    """
    global _installed  # noqa: PLW0603 - the process's HTTP settings, as the environment's proxies are
    if http.ca_bundle is not None:
        _pem(http.ca_bundle)
    _register_proxy_credentials()
    with _lock:
        _installed = http


def current() -> HttpConfig:
    """The settings `use` installed (no extra CA before any call)."""
    with _lock:
        return _installed


def requests_verify(http: HttpConfig | None = None) -> bool | str:
    """requests' `verify=`: what requests trusts by itself (REQUESTS_CA_BUNDLE, else CURL_CA_BUNDLE, else True:
    certifi), or the path of those CAs and the extra ones in one file."""
    bundle = (current() if http is None else http).ca_bundle
    if bundle is None:
        return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    base = _requests_cas()
    key = (base, *_version(bundle))
    with _lock:
        found = _bundles.get(key)
        if found is not None and Path(found).exists():
            return found
        try:
            cas = Path(base).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ConfigError(f"{KEY}: cannot read the default CAs {base}: {exc.strerror}") from None
        path = _private_file(f"{cas.rstrip()}\n{_pem(bundle).strip()}\n")
        _bundles[key] = path
        return path


def settle(session: requests.Session, url: str, verify: bool | str) -> None:
    """Give a session that talks only to `url`'s host its proxies (none when NO_PROXY covers the host) and `verify`,
    looked up once; the environment is not read again on each request (`trust_env` off)."""
    proxies = requests.utils.get_environ_proxies(url)
    session.proxies = {scheme: proxy for scheme, proxy in proxies.items() if scheme != "no"}
    session.verify = verify
    session.trust_env = False


def httpx_verify(http: HttpConfig | None = None) -> ssl.SSLContext | bool:
    """httpx's `verify=` (the Datadog client): True, or httpx's default context with the extra CAs loaded too."""
    return _context("httpx", httpx.create_ssl_context, http)


def httpx2_verify(http: HttpConfig | None = None) -> ssl.SSLContext | bool:
    """httpx2's `verify=` (the PagerDuty client): True, or httpx2's default context with the extra CAs loaded too."""
    return _context("httpx2", httpx2.create_ssl_context, http)


def _context(library: str, default: Callable[[], ssl.SSLContext], http: HttpConfig | None) -> ssl.SSLContext | bool:
    bundle = (current() if http is None else http).ca_bundle
    if bundle is None:
        return True
    env = tuple(os.environ.get(name, "") for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"))
    key = (library, *env, *_version(bundle))
    with _lock:
        found = _contexts.get(key)
        if found is None:
            found = default()
            found.load_verify_locations(cadata=_pem(bundle))
            _contexts[key] = found
        return found


def _requests_cas() -> str:
    """The CA file requests trusts without being told: REQUESTS_CA_BUNDLE, else CURL_CA_BUNDLE, else certifi's."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        value = os.environ.get(name)
        if value and Path(value).is_file():
            return value
    return certifi.where()


def _version(bundle: str) -> tuple[str, str, str]:
    """The bundle's path and what changes when the file is replaced (a rotated CA is read again)."""
    try:
        info = Path(bundle).stat()
    except OSError as exc:
        raise ConfigError(f"{KEY}: cannot read {bundle}: {exc.strerror or type(exc).__name__}") from None
    return bundle, str(info.st_mtime_ns), str(info.st_size)


def _pem(bundle: str) -> str:
    """The bundle's PEM text, checked as the configuration checks it; ConfigError naming the key."""
    try:
        return check_ca_bundle(Path(bundle))
    except ValueError as exc:
        raise ConfigError(f"{KEY}: {exc}") from None


def _register_proxy_credentials() -> None:
    """Mask the password of every proxy URL of the environment (a proxy error may quote its URL)."""
    for value in urllib.request.getproxies().values():
        try:
            parts = urlsplit(value if "://" in value else f"http://{value}")
        except ValueError:
            continue
        if parts.password:
            REDACTOR.add_basic_auth(unquote(parts.username or ""), unquote(parts.password))
            REDACTOR.add(parts.password)


def _private_file(text: str) -> str:
    """A new file only this user can read, holding `text`, removed when the process exits."""
    try:
        fd, path = tempfile.mkstemp(prefix="syncer-ca-", suffix=".pem")
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as exc:
        folder = tempfile.gettempdir()
        raise ConfigError(f"{KEY}: cannot write the combined CA file in {folder} (TMPDIR): {exc.strerror}") from None
    atexit.register(_remove, path)
    return path


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        Path(path).unlink()
