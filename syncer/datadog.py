"""DatadogClient (httpx): read and replace entity-integration configs, check keys; retries 429/5xx."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping

import httpx

from syncer import document, metrics
from syncer.config import DatadogConfig
from syncer.errors import DatadogError
from syncer.model import JSON, Current, Integration
from syncer.retry import RETRY_STATUSES, RetryPolicy, Sleep, parse_seconds

log = logging.getLogger(__name__)
PATH = "/api/v2/idp/entity_integrations/{}"
USER_AGENT = "syncer (+https://github.com/syncer)"


class DatadogClient:
    """A small Datadog API client for the IDP entity-integration endpoints."""

    def __init__(
        self,
        config: DatadogConfig,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
        sleep: Sleep = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = config.base_url
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "DD-API-KEY": config.api_key.get_secret_value(),
                "DD-APPLICATION-KEY": config.app_key.get_secret_value(),
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            timeout=timeout or httpx.Timeout(30.0, connect=10.0),
            transport=transport or httpx.HTTPTransport(retries=2),
            event_hooks={"response": [_count]},
        )

    def __repr__(self) -> str:
        return f"DatadogClient(base_url={self.base_url!r})"

    def __enter__(self) -> DatadogClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def get_config(self, integration: Integration) -> Current:
        """The stored config; an empty, non-existing one on 404."""
        response = self._send("GET", PATH.format(integration), ok=(200, 404))
        if response.status_code == 404:
            return Current(integration=integration)
        return document.parse_response(integration, _json(response, integration))

    def put_config(self, integration: Integration, config: Mapping[str, JSON]) -> Current | None:
        """Replace the stored config with `config`; returns what Datadog stored, None when its answer is unreadable.

        The write has succeeded once Datadog answered 2xx: an answer body syncer cannot read is logged, not a failure.
        """
        body = document.request_body(config)
        response = self._send("PUT", PATH.format(integration), ok=(200, 201, 204), body=body)
        try:
            return document.parse_response(integration, _json(response, integration))
        except DatadogError as exc:
            log.warning("Datadog accepted the %s list but its answer is not readable: %s", integration, exc)
            return None

    def validate_keys(self) -> None:
        """Check the keys with GET /api/v2/validate_keys."""
        self._send("GET", "/api/v2/validate_keys", ok=(200,))

    def _send(self, method: str, path: str, ok: tuple[int, ...], body: JSON = None) -> httpx.Response:
        """Send with retries on 429, 5xx and transport errors; raise DatadogError otherwise."""
        attempts = self._retry.attempts
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._http.request(method, path, json=body if body is not None else None)
            except httpx.TransportError as exc:
                metrics.count_http("datadog", "error")
                if last:
                    raise DatadogError(f"Datadog {method} {path}: {type(exc).__name__}: {exc}") from exc
                wait = self._retry.delay(attempt)
                log.warning("datadog request failed, retrying", extra=_ctx(method, path, str(exc), wait))
                self._sleep(wait)
                continue
            if response.status_code in ok:
                return response
            if response.status_code not in RETRY_STATUSES or last:
                raise _error(method, path, response)
            asked = parse_seconds(response.headers.get("X-RateLimit-Reset")) if response.status_code == 429 else None
            wait = self._retry.delay(attempt, asked)
            log.warning("datadog answered %s, retrying", response.status_code, extra=_ctx(method, path, None, wait))
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover


def _count(response: httpx.Response) -> None:
    metrics.count_http("datadog", response.status_code)


def _ctx(method: str, path: str, error: str | None, wait: float) -> dict[str, object]:
    out: dict[str, object] = {"method": method, "path": path, "retry_in_seconds": round(wait, 2)}
    if error:
        out["error"] = error
    return out


def _json(response: httpx.Response, integration: Integration) -> JSON:
    try:
        parsed: JSON = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatadogError(
            f"Datadog {integration}: answer {response.status_code} is not valid JSON", response.status_code
        ) from exc
    return parsed


def _error(method: str, path: str, response: httpx.Response) -> DatadogError:
    """A DatadogError carrying Datadog's own error text."""
    detail = describe_errors(response)
    hint = ""
    if response.status_code in (401, 403):
        hint = " (check DD_API_KEY / DD_APP_KEY, the site, and the app key's permissions)"
    return DatadogError(
        f"Datadog {method} {path} answered {response.status_code}: {detail}{hint}", response.status_code
    )


def describe_errors(response: httpx.Response) -> str:
    """Datadog's `errors` items (strings or objects) as one line."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:300].strip() or response.reason_phrase
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return json.dumps(body)[:300]
    parts = []
    for item in errors:
        if isinstance(item, dict):
            text = ": ".join(str(item[k]) for k in ("title", "detail") if item.get(k))
            pointer = item.get("source", {}).get("pointer") if isinstance(item.get("source"), dict) else None
            parts.append(f"{text or json.dumps(item)}{f' (at {pointer})' if pointer else ''}")
        else:
            parts.append(str(item))
    return "; ".join(parts)
