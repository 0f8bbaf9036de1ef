"""Wire-format helpers shared by the fakes: JSON responses, query parsing and pagination links."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import Response

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(data: Any) -> bytes:
    """Compact JSON encoding, as the real APIs send it."""
    return _ENCODER.encode(data).encode("utf-8")


def json_response(
    data: Any,
    status: int = 200,
    *,
    media_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Response:
    """A JSON response with an exact Content-Type (no charset is added behind our back)."""
    response = Response(dumps(data), status_code=status, headers=headers)
    response.headers["content-type"] = media_type
    return response


def query_items(request: Request) -> list[tuple[str, str]]:
    """The query string as ordered (name, value) pairs, blanks kept."""
    return parse_qsl(request.url.query, keep_blank_values=True)


def query_int(request: Request, name: str, default: int) -> int:
    """An integer query parameter; missing or unparsable values give `default`."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        return default


def query_list(request: Request, name: str) -> list[str]:
    """A list parameter given repeated (`a=x&a=y`), comma-separated (`a=x,y`) or both."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return values


def with_params(url: str, items: list[tuple[str, str]], **updates: int | str) -> str:
    """`url?query` where `updates` replace parameters in place or are appended in order."""
    out: list[tuple[str, str]] = []
    pending = dict(updates)
    for key, value in items:
        if key in pending:
            out.append((key, str(pending.pop(key))))
        elif key not in updates:
            out.append((key, value))
    out.extend((key, str(value)) for key, value in pending.items())
    return f"{url}?{urlencode(out)}" if out else url


def request_origin(request: Request) -> str:
    """`http://host:port` as the client addressed this server (its Host header)."""
    host = request.headers.get("host")
    if not host:
        server = request.scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{request.url.scheme}://{host}"


def github_link_header(url: str, items: list[tuple[str, str]], page: int, last: int) -> str | None:
    """A GitHub `Link` header: prev, next, last, first as they apply; None for a single page."""
    links: list[str] = []

    def rel(name: str, number: int) -> None:
        """Add one link relation."""
        links.append(f'<{with_params(url, items, page=number)}>; rel="{name}"')

    if page > 1:
        rel("prev", page - 1)
    if page < last:
        rel("next", page + 1)
        rel("last", last)
    if page > 1:
        rel("first", 1)
    return ", ".join(links) or None
