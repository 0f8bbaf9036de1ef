"""The bounded retry loop and backoff shared by the clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from syncer import retry
from syncer.errors import PermanentError, TransientError
from syncer.retry import RetryPolicy, Sleeper

POLICY = RetryPolicy(attempts=3, base=1.0, cap=3.0, max_wait=10.0)


def scripted(*answers: object) -> Callable[[], str]:
    """An attempt that raises or returns the given answers in turn."""
    left = list(answers)

    def attempt() -> str:
        answer = left.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    return attempt


def test_transient_failures_are_retried_then_succeed() -> None:
    sleeps: list[float] = []
    attempt = scripted(TransientError("503"), TransientError("429", retry_after=4.0), "ok")
    assert retry.call(attempt, POLICY, sleeps.append) == "ok"
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0, "first backoff: base, with jitter"
    assert sleeps[1] == 4.0, "the server's own wait wins"


def test_gives_up_after_the_policy_attempts_naming_the_count() -> None:
    calls: list[int] = []

    def attempt() -> None:
        calls.append(1)
        raise TransientError("site answered 500")

    with pytest.raises(TransientError, match=r"site answered 500 \(gave up after 3 attempts\)"):
        retry.call(attempt, POLICY, lambda _: None)
    assert len(calls) == 3


def test_permanent_failures_are_not_retried() -> None:
    calls: list[int] = []

    def attempt() -> None:
        calls.append(1)
        raise PermanentError("401")

    with pytest.raises(PermanentError):
        retry.call(attempt, POLICY, lambda _: None)
    assert calls == [1]


@pytest.mark.parametrize(("attempt", "low", "high"), [(0, 0.5, 1.0), (1, 1.0, 2.0), (5, 1.5, 3.0)])
def test_backoff_grows_and_is_capped(attempt: int, low: float, high: float) -> None:
    assert low <= POLICY.delay(attempt) <= high


def test_asked_waits_are_capped() -> None:
    assert POLICY.delay(0, asked=3600) == 10.0


def test_a_policy_makes_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="at least one attempt"):
        RetryPolicy(attempts=0)


def test_a_wait_asked_for_within_max_wait_is_waited_exactly() -> None:
    sleeps: list[float] = []
    assert retry.call(scripted(TransientError("429", retry_after=10.0), "ok"), POLICY, sleeps.append) == "ok"
    assert sleeps == [10.0]


@pytest.mark.parametrize(("text", "seconds"), [("3", 3.0), (" 1.5 ", 1.5), ("-2", 0.0), ("soon", None), (None, None)])
def test_parse_seconds(text: str | None, seconds: float | None) -> None:
    assert retry.parse_seconds(text) == seconds


def test_a_stopped_sleeper_returns_at_once() -> None:
    sleeper = Sleeper()
    sleeper.stop()
    sleeper(3600)
    assert sleeper.stopped
