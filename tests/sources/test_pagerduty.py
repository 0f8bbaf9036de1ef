"""PagerDutyAccounts against the simulated PagerDuty REST API, over real (plain http) HTTP."""

from __future__ import annotations

import socket
from typing import Any

import httpx2
import pagerduty
import pytest

from syncer import metrics
from syncer.config.schema import PagerDutySource
from syncer.errors import PermanentError
from syncer.filters import NameFilter
from syncer.model import Discovery, PagerDutyAccount, Scope
from syncer.retry import RetryPolicy
from syncer.simulator import seed
from syncer.simulator.faults import Fault
from syncer.simulator.pagerduty import FakePagerDuty
from syncer.sources import pagerduty_client
from syncer.sources.base import Inspectable
from syncer.sources.pagerduty import PagerDutyAccounts

from .conftest import FAST, Sleeps, settle

USERS = r"^/users$"


def source(fake: FakePagerDuty, token: str = seed.PAGERDUTY_TOKEN, **overrides: Any) -> PagerDutySource:
    """A PagerDuty source pointed at the fake (an http:// URL)."""
    return PagerDutySource.model_validate({"token": token, "api_url": fake.url, **overrides})


def discover(
    src: PagerDutySource, sleeps: Sleeps, index: int = 0, names: NameFilter | None = None, policy: RetryPolicy = FAST
) -> Discovery:
    """Run discovery and return its single Discovery."""
    found = PagerDutyAccounts(src, index, names, policy, sleeps).discover()
    assert len(found) == 1
    return found[0]


def test_two_tokens_give_two_accounts_read_from_the_tokens(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    account_level = discover(source(pagerduty_api), sleeps, 0)
    user_level = discover(source(pagerduty_api, seed.PAGERDUTY_EU_TOKEN), sleeps, 1)

    assert account_level.ok and user_level.ok, (account_level.error, user_level.error)
    assert account_level.entries == (PagerDutyAccount(enabled=True, subdomain="acme"),)
    assert user_level.entries == (PagerDutyAccount(enabled=True, subdomain="acme-eu"),)
    assert account_level.scope == Scope("pagerduty:acme", ("acme",))
    assert user_level.scope == Scope("pagerduty:acme-eu", ("acme-eu",))
    assert [(r.path, r.query) for r in pagerduty_api.requests] == [("/users", "limit=1")] * 2
    assert sleeps == []


def test_configured_subdomain_skips_discovery(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    accounts = PagerDutyAccounts(source(pagerduty_api, subdomain="acme"), 0, None, FAST, sleeps)

    [discovery] = accounts.discover()

    assert discovery.entries == (PagerDutyAccount(enabled=True, subdomain="acme"),)
    assert accounts.scope == discovery.scope == Scope("pagerduty:acme", ("acme",))
    assert pagerduty_api.count() == 0


def test_enabled_is_written_from_the_config(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    discovery = discover(source(pagerduty_api, enabled=False), sleeps)

    assert discovery.entries == (PagerDutyAccount(enabled=False, subdomain="acme"),)


@pytest.mark.parametrize(
    ("include", "exclude", "kept"),
    [
        pytest.param(["*"], [], True, id="default"),
        pytest.param(["acme-*"], [], False, id="not-included"),
        pytest.param(["*"], ["ACME"], False, id="excluded-any-case"),
    ],
)
def test_include_and_exclude_apply_to_the_subdomain(
    pagerduty_api: FakePagerDuty, sleeps: Sleeps, include: list[str], exclude: list[str], kept: bool
) -> None:
    discovery = discover(source(pagerduty_api), sleeps, names=NameFilter.of(include, exclude))

    assert discovery.ok, "an account filtered out is a success with no entries, not a failure"
    assert discovery.scope == Scope("pagerduty:acme", ("acme",))
    assert bool(discovery.entries) is kept
    assert discovery.seen == 1


def test_inspect_lists_the_subdomain_and_names_the_pattern_that_dropped_it(
    pagerduty_api: FakePagerDuty, sleeps: Sleeps
) -> None:
    accounts = PagerDutyAccounts(source(pagerduty_api), 0, NameFilter.of(["*"], ["ac*"]), FAST, sleeps)
    checked: Inspectable[str] = accounts
    [inspection] = checked.inspect()
    assert inspection.listed == ("acme",)
    assert inspection.discovery.entries == ()
    include, exclude = accounts.verdicts("acme")
    assert include.passed and (exclude.passed, exclude.detail) == (
        False,
        'matches exclude pattern "ac*", and exclude wins',
    )
    assert accounts.entry_of("acme") == PagerDutyAccount(True, "acme")
    assert [p.text for p in accounts.rules.exclude] == ["ac*"]


def test_eu_host_names_give_the_first_label(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    body = {"users": [{"id": "P1", "html_url": "https://acme.eu.pagerduty.com/users/P1"}], "more": True}
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=200, body=body))

    discovery = discover(source(pagerduty_api), sleeps)

    assert discovery.entries == (PagerDutyAccount(enabled=True, subdomain="acme"),)


def test_rate_limit_waits_what_retry_after_asks_then_succeeds(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    pagerduty_api.faults.add(Fault.rate_limited("pagerduty", method="GET", path=USERS, retry_after=4))
    patient = RetryPolicy(attempts=3, base=0.01, cap=0.05, max_wait=30)

    discovery = discover(source(pagerduty_api), sleeps, policy=patient)

    assert discovery.ok, discovery.error
    assert sleeps == [4.0]
    assert [r.status for r in pagerduty_api.requests] == [429, 200]


def test_rate_limit_without_retry_after_waits_for_the_window_reset(
    pagerduty_api: FakePagerDuty, sleeps: Sleeps
) -> None:
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=429, headers={"ratelimit-reset": "5"}))
    patient = RetryPolicy(attempts=3, base=0.01, cap=0.05, max_wait=30)

    discovery = discover(source(pagerduty_api), sleeps, policy=patient)

    assert discovery.ok, discovery.error
    assert sleeps == [5.0]


def test_rate_limit_forever_fails_after_bounded_attempts(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    pagerduty_api.faults.add(Fault.rate_limited("pagerduty", method="GET", path=USERS, retry_after=60, times=None))

    discovery = discover(source(pagerduty_api), sleeps)

    assert not discovery.ok
    assert "answered 429" in discovery.error and "gave up after 3 attempts" in discovery.error
    assert pagerduty_api.count() == FAST.attempts
    assert sleeps == [FAST.max_wait] * (FAST.attempts - 1)


def test_server_errors_are_retried(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=502, times=2))

    discovery = discover(source(pagerduty_api), sleeps)

    assert discovery.ok, discovery.error
    assert [r.status for r in pagerduty_api.requests] == [502, 502, 200]
    assert len(sleeps) == 2


def test_server_errors_forever_fail_with_the_unknown_scope(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=500, times=None))

    discovery = discover(source(pagerduty_api), sleeps, index=2)

    assert not discovery.ok
    assert discovery.scope == Scope("pagerduty token #3", None)
    assert "pagerduty token #3: GET http://127.0.0.1" in discovery.error and "500" in discovery.error
    assert pagerduty_api.count() == FAST.attempts


def test_bad_token_fails_at_once_with_the_unknown_scope(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    discovery = discover(source(pagerduty_api, "revoked-token-123"), sleeps)

    assert not discovery.ok
    assert discovery.scope == Scope("pagerduty token #1", None)
    assert "answered 401" in discovery.error and "Unauthorized" in discovery.error
    assert "revoked-token-123" not in discovery.error and "123" not in discovery.error
    assert pagerduty_api.count() == 1 and sleeps == []


def test_read_timeout_is_retried(pagerduty_api: FakePagerDuty, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pagerduty_client, "TIMEOUT", httpx2.Timeout(0.2, connect=2.0))
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, latency=0.6))

    discovery = discover(source(pagerduty_api), sleeps)

    assert discovery.ok, discovery.error
    assert len(sleeps) == 1
    settle(pagerduty_api, 2)


def test_an_api_that_never_answers_fails_after_bounded_attempts(sleeps: Sleeps) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    src = PagerDutySource.model_validate({"token": "t", "api_url": f"http://127.0.0.1:{port}"})

    discovery = discover(src, sleeps)

    assert not discovery.ok and "no answer (ConnectError)" in discovery.error
    assert len(sleeps) == FAST.attempts - 1


def test_an_account_without_users_cannot_be_named(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=200, body={"users": [], "more": False}))

    discovery = discover(source(pagerduty_api), sleeps)

    assert not discovery.ok and "set subdomain in the configuration" in discovery.error


def test_malformed_body_fails(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, malformed=True))

    discovery = discover(source(pagerduty_api), sleeps)

    assert not discovery.ok and "not JSON" in discovery.error


def test_the_library_alone_refuses_plain_http(pagerduty_api: FakePagerDuty) -> None:
    with pytest.raises(pagerduty.UrlError):
        pagerduty.RestApiV2Client("token", base_url=pagerduty_api.url)


def test_every_answer_is_counted(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=429, headers={"Retry-After": "0"}))
    before = {s: _counted(s) for s in ("200", "429")}

    discover(source(pagerduty_api), sleeps)

    assert {s: _counted(s) - before[s] for s in before} == {"200": 1, "429": 1}


def test_check_accepts_both_token_levels(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    PagerDutyAccounts(source(pagerduty_api), 0, None, FAST, sleeps).check()
    eu = source(pagerduty_api, seed.PAGERDUTY_EU_TOKEN, subdomain="ACME-EU")
    PagerDutyAccounts(eu, 1, None, FAST, sleeps).check()

    assert [(r.path, r.query) for r in pagerduty_api.requests] == [("/users", "limit=1")] * 2


def test_check_refuses_a_subdomain_that_is_not_the_tokens(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    accounts = PagerDutyAccounts(source(pagerduty_api, subdomain="acme-eu"), 0, None, FAST, sleeps)

    with pytest.raises(PermanentError, match="belongs to 'acme'"):
        accounts.check()


def test_check_fails_on_a_bad_token(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    with pytest.raises(PermanentError, match="401"):
        PagerDutyAccounts(source(pagerduty_api, "nope"), 0, None, FAST, sleeps).check()


def _counted(status: str) -> float:
    value = metrics.REGISTRY.get_sample_value("syncer_http_requests_total", {"api": "pagerduty", "status": status})
    return value or 0.0
