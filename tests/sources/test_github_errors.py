"""github_errors.translate: what each failed attempt means in syncer's error tree (narrow cases, no network)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from github import GithubException

from syncer.errors import PermanentError, TransientError
from syncer.sources.bounded import AnswerTooLarge, AnswerTooSlow
from syncer.sources.github_errors import SECONDARY_WAIT, UnexpectedAnswer, translate

WHERE = "github.com/acme: GET /orgs/acme/repos page 2"
SPENT = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "{in_30s}"}
SECONDARY = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}


def github_error(status: int, headers: dict[str, str], data: Any) -> GithubException:
    """PyGithub's exception for an error status, its headers lowercased as PyGithub has them."""
    later = str(int(time.time()) + 30)
    return GithubException(status, data, {k: v.format(in_30s=later) for k, v in headers.items()})


@pytest.mark.parametrize(
    ("status", "headers", "data", "wait"),
    [
        pytest.param(429, {"retry-after": "7"}, {"message": "slow down"}, 7.0, id="429-retry-after"),
        pytest.param(429, {}, {}, None, id="429-no-hint-backoff"),
        pytest.param(429, SPENT, {"message": "API rate limit exceeded"}, 31.0, id="429-primary"),
        pytest.param(500, {}, {"message": "boom"}, None, id="500"),
        pytest.param(502, {}, "<html>Bad Gateway</html>", None, id="502-html"),
        pytest.param(503, {"retry-after": "12"}, {}, 12.0, id="503-retry-after"),
        pytest.param(403, SPENT, {"message": "API rate limit exceeded for user ID 1"}, 31.0, id="403-primary"),
        pytest.param(403, {"retry-after": "5"}, {"message": "x"}, 5.0, id="403-retry-after"),
        pytest.param(403, {}, SECONDARY, SECONDARY_WAIT, id="403-secondary-message"),
        pytest.param(403, {}, {"message": "You have triggered an abuse detection mechanism."}, 60.0, id="403-abuse"),
        pytest.param(403, {"retry-after": "2"}, SECONDARY, 2.0, id="403-secondary-retry-after"),
    ],
)
def test_transient_answers(status: int, headers: dict[str, str], data: Any, wait: float | None) -> None:
    error = translate(github_error(status, headers, data), WHERE)

    assert type(error) is TransientError
    assert (error.system, error.status) == ("github", status)
    assert str(error).startswith(f"{WHERE} answered {status}")
    if wait is None:
        assert error.retry_after is None
    else:
        assert error.retry_after is not None and abs(error.retry_after - wait) <= 1.5


@pytest.mark.parametrize(
    ("status", "headers", "data"),
    [
        pytest.param(401, {}, {"message": "Bad credentials"}, id="401"),
        pytest.param(403, {"x-ratelimit-remaining": "4000"}, {"message": "Resource not accessible"}, id="403"),
        pytest.param(404, {}, {"message": "Not Found"}, id="404"),
        pytest.param(410, {}, {"message": "Gone"}, id="410"),
        pytest.param(422, {}, {"message": "Validation Failed"}, id="422"),
        pytest.param(400, {"retry-after": "5"}, {}, id="400-retry-after-is-no-rate-limit"),
    ],
)
def test_permanent_answers(status: int, headers: dict[str, str], data: Any) -> None:
    error = translate(github_error(status, headers, data), WHERE)

    assert type(error) is PermanentError
    assert (error.system, error.status) == ("github", status)
    assert str(error).startswith(f"{WHERE} answered {status}")


@pytest.mark.parametrize(
    ("exc", "kind", "text"),
    [
        pytest.param(requests.ConnectionError("Connection refused"), TransientError, "ConnectionError", id="refused"),
        pytest.param(requests.ConnectTimeout("timed out"), TransientError, "ConnectTimeout", id="connect-timeout"),
        pytest.param(requests.ReadTimeout("read timed out"), TransientError, "ReadTimeout", id="read-timeout"),
        pytest.param(
            requests.exceptions.ChunkedEncodingError("reset"), TransientError, "ChunkedEncodingError", id="cut-off"
        ),
        pytest.param(AnswerTooSlow("still arriving"), TransientError, "AnswerTooSlow", id="too-slow"),
        pytest.param(AnswerTooLarge("larger than 32 MB"), PermanentError, "larger than", id="too-large"),
        pytest.param(UnexpectedAnswer(302, "https://elsewhere/x?token=t"), PermanentError, "not followed", id="302"),
        pytest.param(UnexpectedAnswer(202, None), PermanentError, "answered 202", id="202"),
        pytest.param(requests.exceptions.InvalidURL("bad"), PermanentError, "InvalidURL", id="invalid-url"),
    ],
)
def test_no_usable_answer(exc: requests.RequestException, kind: type[Exception], text: str) -> None:
    error = translate(exc, WHERE)

    assert type(error) is kind
    assert error.system == "github"
    assert str(error).startswith(WHERE) and text in str(error)
    assert "token=t" not in str(error)


def test_a_long_upstream_message_is_cut_and_its_secrets_masked() -> None:
    token = "ghp_" + "a" * 36
    error = translate(github_error(500, {}, {"message": f"{token} " + "y" * 1000}), WHERE)

    assert token not in str(error)
    assert len(str(error)) <= len(WHERE) + len(" answered 500: ") + 300
