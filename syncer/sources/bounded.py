"""Bounded answers for requests-based clients (PyGithub, jira): the run's deadline and a size cap on every body.

A read timeout bounds each wait for the next byte, not a whole answer: a server that trickles its body a byte at a
time would hold a run forever. `BoundedAdapter` reads every body itself, in pieces, checking the deadline between
them and stopping at `max_bytes`, and lowers every request's timeout to what the deadline leaves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from syncer.deadline import Deadline

MAX_BYTES = 32 * 1024 * 1024  # a page of 100 repos is ~0.5 MB; nothing syncer reads comes near this
CHUNK = 64 * 1024


class AnswerTooLarge(requests.RequestException):
    """The body of an answer is larger than the cap."""


class AnswerTooSlow(requests.RequestException):
    """The body of an answer was still arriving when the run's deadline came."""


class BoundedAdapter(HTTPAdapter):
    """An HTTPAdapter whose answers end by the deadline and never exceed `max_bytes`."""

    def __init__(self, deadline: Deadline, *, max_bytes: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._deadline = deadline
        self._max_bytes = MAX_BYTES if max_bytes is None else max_bytes

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send with a timeout no longer than the deadline leaves; read the whole body under the same bound."""
        self._deadline.check()
        response = super().send(
            request, stream=True, timeout=self._bounded(timeout), verify=verify, cert=cert, proxies=proxies
        )
        if not stream:
            try:
                response._content = self._read(response)
            finally:
                response.close()
        return response

    def _bounded(self, timeout: float | tuple[float | None, float | None] | None) -> tuple[float, float]:
        if isinstance(timeout, tuple):
            connect, read = timeout
        else:
            connect = read = timeout
        return self._deadline.timeout(connect or 30.0), self._deadline.timeout(read or 30.0)

    def _read(self, response: requests.Response) -> bytes:
        """The body, piece by piece; raises when the deadline comes or the cap is passed first."""
        chunks: list[bytes] = []
        size = 0
        raw = response.raw
        while True:
            if self._deadline.expired:
                raise AnswerTooSlow(
                    f"the answer was still arriving at the run's deadline (run_timeout, or a stop) after {size} bytes"
                )
            try:
                chunk = raw.read1(CHUNK, decode_content=True)
            except Exception as exc:  # urllib3 errors surface as requests' own, as in requests' iter_content
                raise requests.exceptions.ChunkedEncodingError(str(exc)) from exc
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self._max_bytes:
                raise AnswerTooLarge(f"the answer is larger than {_size(self._max_bytes)}")
            chunks.append(chunk)


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MB"
    return f"{count / 1024:g} KiB" if count >= 1024 else f"{count} bytes"


def bound(session: requests.Session, deadline: Deadline, *, max_bytes: int | None = None, **kwargs: Any) -> None:
    """Mount a BoundedAdapter on every scheme of `session` (`kwargs` as for HTTPAdapter: retries, pool size)."""
    adapter = BoundedAdapter(deadline, max_bytes=MAX_BYTES if max_bytes is None else max_bytes, **kwargs)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
