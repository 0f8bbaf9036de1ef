"""Schedules: crontab meaning (0 and 7 are Sunday, dom OR dow) and intervals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncer.config import schedule

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


@pytest.mark.parametrize(
    "text",
    [
        "0 0 31 2 *",
        "0 0 30 2 *",
        "0 0 30,31 2 *",
        "0 0 31 4,6,9,11 *",
        "0 0 31 4 *",
        "*/5 * 31 11 *",
        "0 0 29 2 *",  # fires only in leap years: not at least once a year
    ],
)
def test_a_cron_that_does_not_fire_every_year_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="at least once a year"):
        schedule.parse(text)


@pytest.mark.parametrize("text", ["0 0 31 2 1", "0 0 28 2 *", "0 0 31 1-12 *", "0 0 1 1 *"])
def test_a_cron_that_fires_every_year_is_accepted(text: str) -> None:
    fire = _next(text)
    assert fire - MONDAY <= timedelta(days=366)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("every 99999999999d", "at most 366d"),
        ("every 367d", "at most 366d"),
        ("every 8785h", "at most 366d"),
        ("every 31622401s", "at most 366d"),
        ("every 0s", "at least 1s"),
        ("every 0d", "at least 1s"),
        ("every 1.5h", "duration"),
        ("every -1h", "duration"),
        ("every 10y", "duration"),
        ("every ", "every <n>"),
        ("every " + "9" * 5000 + "s", "at most 200 characters"),
    ],
)
def test_every_is_between_one_second_and_366_days(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        schedule.parse(text)


@pytest.mark.parametrize(
    ("text", "seconds"), [("every 1s", 1), ("every 366d", 366 * 86400), ("every 8784h", 366 * 86400)]
)
def test_the_longest_and_shortest_intervals_build_a_working_trigger(text: str, seconds: int) -> None:
    parsed = schedule.parse(text)
    assert parsed.interval_seconds == seconds
    now = datetime.now(UTC)
    fire = parsed.trigger(jitter=3600).get_next_fire_time(None, now)
    assert fire is not None
    assert timedelta(0) <= fire - now <= timedelta(seconds=seconds + 3600)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1),
        ("90s", 90),
        ("15m", 900),
        ("2h", 7200),
        ("1d", 86400),
        (" 3m ", 180),
        ("10 minutes", 600),
        ("1H", 3600),
    ],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert schedule.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "1.5m", "-1s", "1w", "1e3s", "15 m m", "١s", "99" * 200 + "s"])
def test_parse_duration_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="must be a duration"):
        schedule.parse_duration(text)


def test_parse_duration_bounds() -> None:
    assert schedule.parse_duration("24h", minimum=1, maximum=86400) == 86400
    with pytest.raises(ValueError, match="at most 1d"):
        schedule.parse_duration("86401s", minimum=1, maximum=86400)
    with pytest.raises(ValueError, match="at least 1s"):
        schedule.parse_duration("0m", minimum=1, maximum=86400)


@pytest.mark.parametrize(("seconds", "text"), [(900, "15m"), (86400, "1d"), (90, "90s"), (7200, "2h"), (1.5, "1.5s")])
def test_format_duration(seconds: float, text: str) -> None:
    assert schedule.format_duration(seconds) == text
