"""The thread-hosted uvicorn server every fake API runs on, with request counting and fault injection."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
import time
from typing import Any, ClassVar

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Message, Receive, Scope, Send

from syncer.simulator.faults import Fault, FaultInjector
from syncer.simulator.threaded import ServedRequest, ThreadedServer
from syncer.simulator.wire import dumps, json_response


class PortUnavailable(RuntimeError):
    """A fake could not listen on its port (in use, or not allowed); `reason` says why, in words."""

    def __init__(self, name: str, host: str, port: int, error: OSError) -> None:
        self.host, self.port = host, port
        self.reason = (error.strerror or str(error)).lower()
        super().__init__(f"{name} fake could not start on {host}:{port}: {error}")


class FakeServer:
    """Base of every fake API: real HTTP on 127.0.0.1, faults, latency and a log of served requests."""

    name: ClassVar[str] = "fake"
    rate_limit_api: ClassVar[str] = ""
    media_type: ClassVar[str] = "application/json"
    timeout_seconds: float = 30.0

    def __init__(self, hostname: str, *, port: int = 0, prefix: str = "", latency: float = 0.0) -> None:
        self.hostname = hostname
        self.prefix = prefix.rstrip("/")
        self.latency = latency
        self._initial_latency = latency
        self._requested_port = port
        self.faults = FaultInjector()
        self._requests: list[ServedRequest] = []
        self._requests_lock = threading.Lock()
        self._generation = 0
        self._server: ThreadedServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._port: int | None = None
        self._app = Starlette(
            routes=self.routes(),
            exception_handlers={HTTPException: self._http_exception},
        )

    # -- hooks for the concrete fakes -------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """The API's routes, relative to the prefix."""
        raise NotImplementedError

    def error_response(self, request: Request, status: int, message: str | None = None) -> Response:
        """The API's own error body for `status`."""
        return json_response({"message": message or "error"}, status, media_type=self.media_type)

    async def before_request(self, request: Request, path: str) -> Response | None:
        """Authentication and rate limiting; a response here answers instead of the route."""
        return None

    def common_headers(self, request: Request) -> dict[str, str]:
        """Headers every answer of this API carries (unless the answer sets them itself)."""
        return {}

    def reseed(self) -> None:
        """Restore the seeded data and credentials."""

    # -- lifecycle --------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the server listens on (known once started)."""
        if self._port is None:
            raise RuntimeError(f"{self.name} fake is not started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL of the API, e.g. `http://127.0.0.1:PORT` (plus the GHES prefix)."""
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start serving in a background thread; returns once the socket accepts connections."""
        if self.running:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self._requested_port))
        except OSError as exc:
            sock.close()
            raise PortUnavailable(self.name, "127.0.0.1", self._requested_port, exc) from exc
        config = uvicorn.Config(
            self,
            log_level="warning",
            log_config=None,  # uvicorn's own records go through syncer's (redacting) handler
            lifespan="off",
            ws="none",
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=2,
            backlog=2048,
        )
        server = ThreadedServer(config)
        thread = threading.Thread(target=server.serve_forever, args=(sock,), name=f"simulator-{self.name}", daemon=True)
        thread.start()
        while not server.started:
            if not thread.is_alive():
                sock.close()
                raise RuntimeError(f"{self.name} fake could not start: {server.failure!r}")
            time.sleep(0.002)
        self._server, self._thread, self._socket = server, thread, sock
        self._port = sock.getsockname()[1]

    def stop(self) -> None:
        """Stop serving (held requests are released) and wait for the thread to end."""
        self.request_stop()
        self.wait_stopped()

    def request_stop(self) -> None:
        """Ask the server to stop without waiting (see `wait_stopped`)."""
        server = self._server
        if server is None:
            return
        server.should_exit = True
        if server.loop is not None and server.stop_event is not None:
            with contextlib.suppress(RuntimeError):
                server.loop.call_soon_threadsafe(server.stop_event.set)

    def wait_stopped(self) -> None:
        """Wait for a stopping server's thread to end and release its socket."""
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def rate_limited(
        self,
        *,
        method: str | None = None,
        path: str = "",
        times: int | None = 1,
        retry_after: float = 1.0,
        status: int | None = None,
        secondary: bool = False,
    ) -> Fault:
        """Add (and return) a fault answering with this API's realistic rate-limit response."""
        api = f"{self.rate_limit_api}-secondary" if secondary else self.rate_limit_api
        fault = Fault.rate_limited(api, method=method, path=path, times=times, retry_after=retry_after, status=status)
        return self.faults.add(fault)

    def reset(self) -> None:
        """Reseed the data; clear faults, counters and runtime latency."""
        self.reseed()
        self.faults.clear()
        self.reset_counters()
        self.latency = self._initial_latency

    # -- request log ------------------------------------------------------------------------------

    @property
    def requests(self) -> list[ServedRequest]:
        """Every request served so far, in order of answer."""
        with self._requests_lock:
            return list(self._requests)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many served requests match `method` and the regular expression `path`."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper()) and (path is None or re.search(path, r.path))
        )

    def reset_counters(self) -> None:
        """Forget the served requests; requests still held from before are not counted when they end."""
        with self._requests_lock:
            self._requests.clear()
            self._generation += 1

    def _record(self, method: str, path: str, query: str, status: int, generation: int | None = None) -> None:
        with self._requests_lock:
            if generation is None or generation == self._generation:
                self._requests.append(ServedRequest(method, path, query, status))

    # -- ASGI -------------------------------------------------------------------------------------

    def _relative_path(self, path: str) -> str | None:
        if not self.prefix:
            return path
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return path[len(self.prefix) :] or "/"
        return None

    async def _sleep(self, seconds: float) -> None:
        event = self._server.stop_event if self._server is not None else None
        if event is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout=seconds)

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return self.error_response(request, status)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method: str = scope["method"]
        raw_path: str = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        path = self._relative_path(raw_path)
        if path is not None and self.prefix:
            scope["root_path"] = scope.get("root_path", "") + self.prefix
        request = Request(scope, receive)
        recorded = False
        generation = self._generation

        async def send_with_headers(message: Message) -> None:
            """Add the API's common headers and record the request when its answer starts."""
            nonlocal recorded
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in self.common_headers(request).items():
                    if key not in headers:
                        headers[key] = value
                if not recorded:
                    recorded = True
                    self._record(method, raw_path if path is None else path, query, message["status"], generation)
            await send(message)

        fault = self.faults.take(method, path, query) if path is not None else None
        delay = self.latency + (fault.latency if fault else 0.0)
        if delay > 0:
            await self._sleep(delay)
            if generation != self._generation:  # held across a reset: the next test must not see it
                await Response(b"", status_code=503)(scope, receive, send)
                return
        if path is None:
            response = self.error_response(request, 404)
        elif fault is not None and fault.timeout:
            recorded = True
            self._record(method, path, query, 0, generation)
            await self._sleep(self.timeout_seconds)
            response = self.error_response(request, 504)
        elif fault is not None and fault.trickle is not None:
            await self._trickle(request, path, fault, send_with_headers)
            return
        elif fault is not None and (fault.status is not None or fault.body is not None):
            response = self._fault_response(request, fault)
        elif fault is not None and fault.malformed:
            await self._malformed(request, path, send_with_headers)
            return
        else:
            gate = await self.before_request(request, path)
            if gate is None:
                await self._app(scope, receive, send_with_headers)
                return
            response = gate
        await response(scope, receive, send_with_headers)

    def _fault_response(self, request: Request, fault: Fault) -> Response:
        status = fault.status if fault.status is not None else 200
        if fault.body is None:
            response = self.error_response(request, status)
        elif isinstance(fault.body, (bytes, str)):
            raw = fault.body.encode() if isinstance(fault.body, str) else fault.body
            response = Response(raw, status_code=status, media_type=self.media_type)
        else:
            response = Response(dumps(fault.body), status_code=status)
            response.headers["content-type"] = self.media_type
        for key, value in fault.headers.items():
            response.headers[key] = value
        if fault.reset_after is not None and fault.reset_header:
            seconds = max(0.0, fault.reset_after)
            value_num = int(time.time() + seconds) if fault.reset_epoch else max(1, round(seconds))
            response.headers[fault.reset_header] = str(value_num)
        return response

    async def _captured(self, request: Request, path: str) -> tuple[int, list[Any], bytes]:
        """The answer the API would give (status, raw headers, body), without sending it."""
        captured: dict[str, Any] = {"status": 200, "headers": [], "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")

        gate = await self.before_request(request, path)
        if gate is not None:
            await gate(request.scope, request.receive, capture)
        else:
            await self._app(request.scope, request.receive, capture)
        return captured["status"], list(captured["headers"]), captured["body"]

    async def _trickle(self, request: Request, path: str, fault: Fault, send: Send) -> None:
        """The real answer (or the fault's body and status), its body sent one byte at a time."""
        if fault.body is not None or fault.status is not None:
            response = self._fault_response(request, fault)
            status, headers, body = response.status_code, list(response.raw_headers), bytes(response.body)
        else:
            status, headers, body = await self._captured(request, path)
        raw = MutableHeaders(raw=headers)
        raw["content-length"] = str(len(body))
        await send({"type": "http.response.start", "status": status, "headers": raw.raw})
        stop = self._server.stop_event if self._server is not None else None
        for index in range(len(body)):
            if stop is not None and stop.is_set():
                return
            await send({"type": "http.response.body", "body": body[index : index + 1], "more_body": True})
            await self._sleep(fault.trickle or 0.0)
        await send({"type": "http.response.body", "body": b""})

    async def _malformed(self, request: Request, path: str, send: Send) -> None:
        """The real answer's headers with its body cut in half, as a 200."""
        _, raw_headers, body = await self._captured(request, path)
        cut = body[: max(1, len(body) // 2)] if len(body) > 1 else b"{"
        headers = MutableHeaders(raw=raw_headers)
        headers["content-length"] = str(len(cut))
        headers["content-type"] = self.media_type
        await send({"type": "http.response.start", "status": 200, "headers": headers.raw})
        await send({"type": "http.response.body", "body": cut})
