"""Schedules: crontab meaning (0 and 7 are Sunday, dom OR dow) and intervals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncer import schedule

MONDAY = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday


def _next(text: str, after: datetime = MONDAY) -> datetime:
    fire = schedule.parse(text).trigger().get_next_fire_time(None, after)
    assert fire is not None
    return fire


@pytest.mark.parametrize(
    ("text", "weekday"),
    [
        pytest.param("0 9 * * 1", 0, id="1-is-monday"),
        pytest.param("0 9 * * 0", 6, id="0-is-sunday"),
        pytest.param("0 9 * * 7", 6, id="7-is-sunday"),
        pytest.param("0 9 * * sat", 5, id="names"),
        pytest.param("0 9 * * 5-7", 4, id="range-into-sunday"),
        pytest.param("0 9 * * 0-6/3", 2, id="step-from-sunday"),
    ],
)
def test_crontab_weekdays(text: str, weekday: int) -> None:
    assert _next(text, datetime(2026, 11, 23, 10, 0, tzinfo=UTC)).weekday() == weekday


def test_monday_means_monday() -> None:
    fire = _next("0 9 * * 1", datetime(2026, 11, 24, 0, 0, tzinfo=UTC))  # from a Tuesday
    assert fire.weekday() == 0
    assert fire.day == 30


def test_sunday_as_zero_and_seven() -> None:
    assert _next("0 9 * * 0").weekday() == 6
    assert _next("0 9 * * 7").weekday() == 6


def test_day_of_month_or_day_of_week() -> None:
    # crontab: the 1st of the month OR any Friday — the next from Monday the 23rd is Friday the 27th
    fire = _next("0 0 1 * 5")
    assert (fire.month, fire.day) == (11, 27)


def test_every_interval() -> None:
    parsed = schedule.parse("every 10m")
    assert parsed.interval_seconds == 600
    assert schedule.parse("every 2h").interval_seconds == 7200


@pytest.mark.parametrize(
    "text",
    ["* * * *", "* * * * * *", "61 * * * *", "* * * * 8", "every 0m", "every ten minutes", "* * * * 5-2", ""],
)
def test_invalid_schedules(text: str) -> None:
    with pytest.raises(ValueError):
        schedule.parse(text)
