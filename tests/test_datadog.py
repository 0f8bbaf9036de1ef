"""DatadogClient edge cases over httpx.MockTransport (the simulator covers the wire end to end)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from syncer.config.schema import DatadogConfig
from syncer.datadog.client import DatadogClient
from syncer.errors import ShapeError, UpstreamError
from syncer.model import Integration
from syncer.retry import RetryPolicy

pytestmark = pytest.mark.reliability(system="Datadog client")

CONFIG = DatadogConfig.model_validate({"api_key": "k-secret", "app_key": "a-secret", "site": "datadoghq.eu"})
OK = {"data": {"id": "1", "type": "entity_integration_configs", "attributes": {"config": {"enabled_repos": []}}}}


def client(handler: Callable[[httpx.Request], httpx.Response], sleeps: list[float]) -> DatadogClient:
    return DatadogClient(
        CONFIG,
        retry=RetryPolicy(attempts=4, base=0.5, cap=4),
        sleep=sleeps.append,
        transport=httpx.MockTransport(handler),
    )


def sequence(*responses: httpx.Response) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler, seen


def test_site_url_and_key_headers() -> None:
    handler, seen = sequence(httpx.Response(404, json={"errors": ["Not found"]}))
    with client(handler, []) as dd:
        current = dd.get_config(Integration.GITHUB)
    assert current.entries == ()
    assert not current.exists
    assert str(seen[0].url) == "https://api.datadoghq.eu/api/v2/idp/entity_integrations/github"
    assert seen[0].headers["DD-API-KEY"] == "k-secret"
    assert seen[0].headers["DD-APPLICATION-KEY"] == "a-secret"


def test_429_waits_rate_limit_reset_then_succeeds() -> None:
    limited = httpx.Response(429, headers={"X-RateLimit-Reset": "7"}, json={"errors": ["Too many requests"]})
    handler, seen = sequence(limited, httpx.Response(200, json=OK))
    sleeps: list[float] = []
    with client(handler, sleeps) as dd:
        dd.put_config(Integration.GITHUB, {"enabled_repos": []})
    assert sleeps == [7.0]
    assert len(seen) == 2


def test_5xx_backoff_is_bounded_and_exponential() -> None:
    handler, seen = sequence(httpx.Response(503, text="upstream down"))
    sleeps: list[float] = []
    with client(handler, sleeps) as dd, pytest.raises(UpstreamError, match="503"):
        dd.get_config(Integration.GITHUB)
    assert len(seen) == 4
    assert len(sleeps) == 3
    assert all(0.25 <= s <= 4 for s in sleeps)
    assert sleeps[2] > sleeps[0]


def test_400_is_not_retried_and_shows_object_errors() -> None:
    body = {
        "errors": [
            {
                "status": "400",
                "title": "Bad Request",
                "detail": "repo_name is required",
                "source": {"pointer": "/data/attributes/config/enabled_repos/0/repo_name"},
            }
        ]
    }
    handler, seen = sequence(httpx.Response(400, json=body))
    with client(handler, []) as dd, pytest.raises(UpstreamError) as caught:
        dd.put_config(Integration.GITHUB, {"enabled_repos": [{}]})
    assert len(seen) == 1
    assert "Bad Request: repo_name is required (at /data/attributes/config/enabled_repos/0/repo_name)" in str(
        caught.value
    )


def test_403_string_errors_no_retry_no_secret() -> None:
    handler, seen = sequence(httpx.Response(403, json={"errors": ["Forbidden"]}))
    with client(handler, []) as dd, pytest.raises(UpstreamError) as caught:
        dd.validate_keys()
    assert len(seen) == 1
    assert "Forbidden" in str(caught.value)
    assert "k-secret" not in str(caught.value)
    assert caught.value.status == 403


def test_transport_errors_are_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, json=OK)

    with client(handler, []) as dd:
        assert dd.get_config(Integration.GITHUB).exists
    assert len(calls) == 3


def test_malformed_json_is_an_error() -> None:
    handler, _ = sequence(httpx.Response(200, text='{"data": {'))
    with client(handler, []) as dd, pytest.raises(UpstreamError, match="not valid JSON"):
        dd.get_config(Integration.GITHUB)


def test_unexpected_shape_is_a_shape_error() -> None:
    handler, _ = sequence(httpx.Response(200, json={"data": {"attributes": {"config": {"enabled_repos": 3}}}}))
    with client(handler, []) as dd, pytest.raises(ShapeError):
        dd.get_config(Integration.GITHUB)


def test_repr_has_no_secret() -> None:
    handler, _ = sequence(httpx.Response(200, json=OK))
    with client(handler, []) as dd:
        assert "secret" not in repr(dd)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(httpx.Response(204), id="204-no-body"),
        pytest.param(httpx.Response(200, text="<html>ok</html>"), id="200-not-json"),
        pytest.param(httpx.Response(200, json={"data": {}}), id="200-other-shape"),
    ],
)
def test_an_accepted_put_with_an_unreadable_answer_is_not_a_failure(answer: httpx.Response) -> None:
    handler, seen = sequence(answer)
    with client(handler, []) as dd:
        assert dd.put_config(Integration.GITHUB, {"enabled_repos": []}) is None
    assert len(seen) == 1


def _held(*names: str) -> httpx.Response:
    items = [{"hostname": "github.com", "github_org_name": "acme", "repo_name": n} for n in names]
    return httpx.Response(200, json={"data": {"attributes": {"config": {"enabled_repos": items}}}})


def test_an_answer_of_the_same_bytes_as_the_last_is_not_parsed_again_and_other_bytes_are() -> None:
    handler, _ = sequence(_held("a"), _held("a"), _held("a", "b"), _held("a", "b"), _held("c"))
    gh = Integration.GITHUB
    with client(handler, []) as datadog:
        first = datadog.get_config(gh)
        assert datadog.get_config(gh) is first  # the re-read before a PUT: the same bytes
        written = datadog.put_config(gh, {"enabled_repos": []})
        assert written is not None and [s.entry.repo_name for s in written.entries] == ["a", "b"]  # type: ignore[union-attr]
        assert datadog.get_config(gh) is written  # the next run's read of what the PUT stored
        changed = datadog.get_config(gh)  # another writer changed it: read anew
        assert [s.entry.repo_name for s in changed.entries] == ["c"]  # type: ignore[union-attr]
