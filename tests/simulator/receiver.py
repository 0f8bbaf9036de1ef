"""A webhook receiver on loopback for the delivery tests: it records every POST and answers a chosen status."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple


class Received(NamedTuple):
    """One request the receiver got: its path, its headers as sent (name case kept) and its raw body."""

    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """A header's value by case-insensitive name, or None."""
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    @property
    def names(self) -> set[str]:
        """The header names exactly as sent."""
        return {key for key, _ in self.headers}

    @property
    def payload(self) -> Any:
        """The body decoded from JSON."""
        return json.loads(self.body)


def hmac_hex(secret: str, body: bytes, digest: str = "sha256") -> str:
    """`sha256=` (or `sha1=`) and the hex HMAC of `body`, computed here independently of the simulator."""
    return f"{digest}=" + hmac.new(secret.encode(), body, getattr(hashlib, digest)).hexdigest()


class Receiver:
    """An HTTP server in a thread: every POST is kept in `received`; answers `status` after `delay` seconds."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status = 200
        self.delay = 0.0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            """Records the request, then answers."""

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner.received.append(Received(self.path, list(self.headers.items()), body))
                time.sleep(owner.delay)
                self.send_response(owner.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                """A client that gave up (a delivery's timeout) is not an error here."""

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        """Stop serving and release the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
