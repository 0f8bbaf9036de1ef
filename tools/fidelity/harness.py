"""Plumbing for check.py: host-preserving forwarders, Prism processes, and a recorder of Prism's violations."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import requests
import uvicorn

PRISM_BIN = Path("node_modules/.bin/prism")
_HOP = {b"host", b"connection", b"keep-alive", b"transfer-encoding", b"content-length", b"proxy-connection"}

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]


# -- host-preserving forwarder (Prism -> fake) ------------------------------------------------------


async def _read_body(receive: Receive) -> bytes:
    """The whole request body of an ASGI request."""
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if not message.get("more_body"):
            return body


def _target_url(upstream: str, scope: dict[str, Any]) -> str:
    """`upstream` plus the raw path and query of the request in `scope`."""
    path = bytes(scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    return upstream + path + (f"?{query}" if query else "")


def host_fixer(upstream: str, host: str) -> App:
    """An ASGI app forwarding everything to `upstream` with `Host: host`.

    Prism's proxy rewrites Host to the upstream's address, so without this the fakes would build their Link and
    nextPage URLs for the address Prism called instead of the one the client was given.
    """
    state: dict[str, httpx.AsyncClient] = {}

    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        client = state.get("client")
        if client is None:
            client = state["client"] = httpx.AsyncClient(timeout=60)
        body = await _read_body(receive)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP] + [(b"host", host.encode())]
        request = client.build_request(scope["method"], _target_url(upstream, scope), headers=headers, content=body)
        response = await client.send(request, stream=True)
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        await response.aclose()
        out = [(k, v) for k, v in response.headers.raw if k.lower() not in _HOP]
        out.append((b"content-length", str(len(raw)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": out})
        await send({"type": "http.response.body", "body": raw})

    return app


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the main thread."""

    def install_signal_handlers(self) -> None:  # older uvicorn
        """Install nothing: the server runs in a thread."""


def serve_in_thread(app: App, port: int) -> uvicorn.Server:
    """Run an ASGI app on 127.0.0.1:port in a daemon thread; returns once it listens."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        access_log=False,
        server_header=False,
        date_header=False,
    )
    server = _Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError(f"forwarder on {port} did not start")
        time.sleep(0.01)
    return server


# -- Prism ------------------------------------------------------------------------------------------

COMPILE_FAILED = "PRISM-SCHEMA-COMPILE-FAILED"
PATCHED = Path("node_modules/@stoplight/prism-http/dist/validator/validators/utils.js")
_OLD = """    const validationFunction = ajvInstance.compile({
        ...schema,
        __bundled__: bundle,
    });"""
_NEW = f"""    let validationFunction;
    try {{
        validationFunction = ajvInstance.compile({{
            ...schema,
            __bundled__: bundle,
        }});
    }} catch (e) {{
        console.error('{COMPILE_FAILED}: ' + String(e && e.message).slice(0, 400));
        throw e;
    }}"""


def patch_prism(work_dir: Path) -> None:
    """Make Prism say when a schema does not compile (it otherwise skips validating that answer silently)."""
    path = work_dir / PATCHED
    text = path.read_text()
    if COMPILE_FAILED not in text:
        if _OLD not in text:
            raise RuntimeError(f"cannot patch {path}: unexpected Prism version")
        path.write_text(text.replace(_OLD, _NEW))


def compile_failures(logs: list[Path]) -> list[str]:
    """Schema compile failures Prism reported (each means an answer went unvalidated)."""
    found = []
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if COMPILE_FAILED in line:
                found.append(f"{log.name}: {line.strip()[:300]}")
    return sorted(set(found))


def start_prism(work_dir: Path, spec: Path, upstream: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`prism proxy --errors SPEC UPSTREAM -p PORT` in the background, its output in `log`."""
    command = [str(work_dir / PRISM_BIN), "proxy", "--errors", "-h", "127.0.0.1", "-p", str(port), str(spec), upstream]
    with log.open("wb") as handle:
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def wait_prism(logs: list[Path], procs: list[subprocess.Popen[bytes]], timeout: float = 120) -> None:
    """Wait until every Prism says it listens."""
    deadline = time.time() + timeout
    pending = set(range(len(logs)))
    while pending:
        for index in list(pending):
            if procs[index].poll() is not None:
                raise RuntimeError(f"prism exited early; see {logs[index]}")
            if "Prism is listening" in logs[index].read_text(errors="replace"):
                pending.discard(index)
        if time.time() > deadline:
            raise RuntimeError(f"prism did not start in {timeout}s: {[str(logs[i]) for i in pending]}")
        time.sleep(0.5)


def stop_prism(procs: list[subprocess.Popen[bytes]]) -> None:
    """Terminate the Prism processes, killing any that do not exit within 10 s."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- recording ----------------------------------------------------------------------------------------


@dataclass
class Exchange:
    """One answer seen through a proxy, with Prism's violations."""

    api: str
    method: str
    url: str
    status: int
    violations: list[dict[str, Any]]
    note: str = ""


def _violations(header: str | None, problem: Any) -> list[dict[str, Any]]:
    """Prism's violations of one answer, from its `sl-violations` header or its problem+json body."""
    try:
        violations: list[dict[str, Any]] = json.loads(header) if header else []
    except ValueError:  # a very long header arrives cut: the problem body has the full list
        unreadable = {"location": ["?"], "severity": "Error", "message": "unreadable sl-violations header"}
        return (problem or {}).get("validation") or [unreadable]
    if not violations and isinstance(problem, dict):
        # an answer Prism made itself (request invalid, or security scheme refused): the fake never saw it
        refused = {"location": ["prism"], "severity": "Error", "message": problem.get("title")}
        found = problem.get("validation") or [refused]
        violations = [dict(v, prism_answered=True) for v in found]
    return violations


def _problem(response: Any) -> Any:
    """The problem+json body of a response (Prism's own answers), else None."""
    if "problem+json" not in response.headers.get("content-type", ""):
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return {"title": "unreadable problem+json"}


@dataclass
class Recorder:
    """Every answer seen through a proxy, by API, and the protocol checks' outcomes."""

    ports: dict[int, str]
    exchanges: list[Exchange] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    passes: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: str, url: str, status: int, header: str | None, problem: Any = None) -> None:
        """Keep one answer if it came through one of the proxies."""
        api = self.ports.get(urlsplit(url).port or 0)
        if api is None:
            return
        exchange = Exchange(api, method, url, status, _violations(header, problem), self.note)
        with self.lock:
            self.exchanges.append(exchange)

    def record_response(self, request: Any, response: Any) -> None:
        """Keep one requests / httpx answer."""
        header = response.headers.get("sl-violations")
        self.record(str(request.method), str(request.url), response.status_code, header, _problem(response))

    def expect(self, api: str, what: str, ok: bool, detail: str = "") -> bool:
        """Count one protocol check as passed or failed."""
        with self.lock:
            (self.passes if ok else self.failures).append((api, what if ok else f"{what}: {detail}"))
        return ok

    def install(self) -> None:
        """Record every requests / httpx / httpx2 answer (PyGithub, jira, pagerduty use these)."""
        _hook_requests(self)
        for module_name in ("httpx", "httpx2"):
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            _hook_httpx(self, module)


def _hook_requests(recorder: Recorder) -> None:
    """Wrap `requests.Session.send` to record every answer."""
    original = requests.Session.send

    def send(session: requests.Session, request: Any, **kwargs: Any) -> requests.Response:
        response = original(session, request, **kwargs)
        recorder.record_response(request, response)
        return response

    requests.Session.send = send  # type: ignore[method-assign,assignment]


def _hook_httpx(recorder: Recorder, module: Any) -> None:
    """Wrap `module.Client.send` (httpx or its httpx2 fork) to record every answer."""
    original = module.Client.send

    def send(client: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = original(client, request, *args, **kwargs)
        recorder.record_response(request, response)
        return response

    module.Client.send = send


# -- summary ----------------------------------------------------------------------------------------

_IDS = re.compile(r"/(\d+|P[A-Z0-9]{6})(?=/|$)")
_INDEX = re.compile(r"(?:(?<=\.)|(?<=property ))\d+(?=[.:\s]|$)")

# Violations judged by hand: the answer is what the real API sends, and the description says otherwise.
# (API regex, URL regex, message text, reason)
JUSTIFIED: list[tuple[str, str, str, str]] = [
    (
        r"^jira",
        r"[?&]expand=[^&]*projectKeys",
        "must NOT have additional properties; found 'projectKeys'",
        "Atlassian documents expand=projectKeys ('Returns all project keys associated with the project') for "
        "GET /project and /project/search, but the Project schema (additionalProperties: false) lacks the field",
    ),
]


def template(url: str) -> str:
    """The path of a URL with numeric / PagerDuty ids folded, for grouping."""
    return _IDS.sub("/{id}", urlsplit(url).path)


def justified(api: str, url: str, message: str) -> str:
    """The reason a violation was judged by hand, or "" when it was not."""
    for api_re, url_re, text, reason in JUSTIFIED:
        if re.search(api_re, api) and re.search(url_re, url) and text in message:
            return reason
    return ""


def _violation_key(ex: Exchange, violation: dict[str, Any]) -> tuple[str, str]:
    """A grouping key for one violation (array indexes folded), and the reason it is justified, if it is."""
    who = "PRISM-ANSWERED " if violation.get("prism_answered") else ""
    where = _INDEX.sub("[]", ".".join(map(str, violation.get("location", []))))
    message = _INDEX.sub("[]", str(violation.get("message")))
    key = f"{who}{ex.method} {template(ex.url)} [{ex.status}] {violation.get('severity')} {where}: {message}"
    return key, justified(ex.api, ex.url, message)


def summary(recorder: Recorder) -> dict[str, Any]:
    """Violations grouped by API, operation and message, with request counts."""
    out: dict[str, Any] = {}
    for ex in recorder.exchanges:
        api = out.setdefault(ex.api, {"requests": 0, "with_violations": 0, "violations": {}, "answers": {}})
        api["requests"] += 1
        answer = f"{ex.method} {template(ex.url)} {ex.status}"
        api["answers"][answer] = api["answers"].get(answer, 0) + 1
        if ex.violations:
            api["with_violations"] += 1
        for violation in ex.violations:
            key, reason = _violation_key(ex, violation)
            bucket = api.setdefault("justified" if reason else "violations", {})
            if reason:
                key = f"{key}  -- {reason}"
            bucket[key] = bucket.get(key, 0) + 1
    return out
