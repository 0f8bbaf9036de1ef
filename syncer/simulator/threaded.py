"""The uvicorn server a fake runs in a background thread, and the record of one request it served."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator
from typing import NamedTuple

import uvicorn


class ServedRequest(NamedTuple):
    """One request a fake answered: status 0 means it was held without an answer (timeout fault)."""

    method: str
    path: str
    query_string: str
    status: int

    @property
    def query(self) -> str:
        """Alias of `query_string`."""
        return self.query_string


class ThreadedServer(uvicorn.Server):
    """A uvicorn server that runs in a background thread and never touches signal handlers."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None
        self.failure: BaseException | None = None

    def serve_forever(self, sock: socket.socket) -> None:
        """Run until `should_exit`; a startup failure is kept in `failure` instead of exiting the thread."""
        try:
            self.run(sockets=[sock])
        except BaseException as exc:  # uvicorn reports startup errors with SystemExit
            self.failure = exc

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Leave signal handling to the host process (the server runs in a worker thread)."""
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Remember the event loop and create the stop event before accepting connections."""
        self.loop = asyncio.get_running_loop()
        self.stop_event = asyncio.Event()
        await super().startup(sockets=sockets)
