"""Schedules: 5-field crontab strings (standard meaning) and "every 10m" intervals, as APScheduler triggers.

Durations (`Ns`, `Nm`, `Nh`, `Nd`) are read here too, by `parse_duration`: the `every` schedules, `run_timeout` and
every other duration key of the configuration share that one grammar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

_DURATION = re.compile(r"^([0-9]+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)$", re.I)
_EVERY = re.compile(r"^every\s+(.*)$", re.I | re.S)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NAME_NUMBERS = {name: i for i, name in enumerate(_DAY_NAMES)}
MAX_TEXT = 200
MIN_EVERY = 1
MAX_EVERY = 366 * 86400
# A non-leap year: a cron that fires in it fires every year (only 29 February is missing from it).
_PROBE_YEAR = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))


def parse_duration(text: str, minimum: float = 0, maximum: float | None = None) -> int:
    """Seconds in a duration `Ns`, `Nm`, `Nh` or `Nd` (an integer N); ValueError names what is wrong.

    The bounds are inclusive; the message quotes them in the operator's units.
    """
    match = _DURATION.match(text.strip()) if isinstance(text, str) and len(text) <= MAX_TEXT else None
    if match is None:
        raise ValueError("must be a duration: a whole number and a unit s, m, h or d (such as 90s, 15m, 2h, 1d)")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)[0].lower()]
    if maximum is not None and seconds > maximum:
        raise ValueError(f"must be at most {format_duration(maximum or 0)}")
    if seconds < minimum:
        raise ValueError(f"must be at least {format_duration(minimum)}")
    return seconds


def format_duration(seconds: float) -> str:
    """A number of seconds in the largest unit that divides it (`15m`, `1d`, `90s`)."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


@dataclass(frozen=True)
class Schedule:
    """A validated schedule; `text` is what the operator wrote."""

    text: str
    interval_seconds: int | None = None
    minute: str = "*"
    hour: str = "*"
    day: str = "*"
    month: str = "*"
    day_of_week: str = "*"

    def trigger(
        self, jitter: int | None = None, timezone: str = "UTC", end_date: datetime | None = None
    ) -> BaseTrigger:
        """The APScheduler trigger; crontab's day-of-month OR day-of-week rule is kept."""
        if self.interval_seconds is not None:
            return IntervalTrigger(seconds=self.interval_seconds, jitter=jitter, timezone=timezone, end_date=end_date)
        common = {"minute": self.minute, "hour": self.hour, "month": self.month, "timezone": timezone}
        if self.day != "*" and self.day_of_week != "*":
            by_day = CronTrigger(day=self.day, jitter=jitter, end_date=end_date, **common)
            by_weekday = CronTrigger(day_of_week=self.day_of_week, jitter=jitter, end_date=end_date, **common)
            return OrTrigger([by_day, by_weekday])
        return CronTrigger(day=self.day, day_of_week=self.day_of_week, jitter=jitter, end_date=end_date, **common)


def parse(text: str) -> Schedule:
    """Parse a schedule string; raise ValueError naming what is wrong.

    A schedule must fire at least once a year: `every` lies between 1s and 366d, and a cron must fire in every
    calendar year (`0 0 31 2 *` never does, `0 0 29 2 *` only in leap years).
    """
    if len(text) > MAX_TEXT:
        raise ValueError(f"a schedule is at most {MAX_TEXT} characters")
    stripped = text.strip()
    every = _EVERY.match(stripped)
    if every:
        try:
            seconds = parse_duration(every.group(1), minimum=MIN_EVERY, maximum=MAX_EVERY)
        except ValueError as exc:
            raise ValueError(f"'every <n><s|m|h|d>': the interval {exc}") from None
        return _checked(Schedule(text=stripped, interval_seconds=seconds))
    fields = stripped.split()
    if len(fields) != 5:
        raise ValueError(
            f"expected 5 cron fields (minute hour day month weekday) or 'every <n><s|m|h|d>', got {text!r}"
        )
    minute, hour, day, month, weekday = fields
    return _checked(Schedule(stripped, None, minute, hour, day, month, _weekday_names(weekday)))


def _checked(schedule: Schedule) -> Schedule:
    """The schedule, once its trigger is built and asked for a fire time (in a whole year, for a cron)."""
    start, end = _PROBE_YEAR
    try:
        if schedule.interval_seconds is not None:
            fire = schedule.trigger().get_next_fire_time(None, datetime.now(UTC))
        else:
            fire = schedule.trigger(end_date=end).get_next_fire_time(None, start)
    except (ValueError, OverflowError, TypeError) as exc:
        raise ValueError(f"invalid cron expression {schedule.text!r}: {exc}") from None
    if fire is None:
        raise ValueError(f"{schedule.text!r} does not fire in every year: a schedule must fire at least once a year")
    return schedule


def _weekday_names(field: str) -> str:
    """Translate a crontab weekday field (0 or 7 = Sunday) into APScheduler day names."""
    if field == "*":
        return field
    days: set[int] = set()
    for part in field.split(","):
        days |= _weekday_part(part.strip().lower(), field)
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


def _weekday_part(part: str, field: str) -> set[int]:
    """Expand one comma-separated part of a crontab weekday field into day numbers 0-6."""
    body, _, step_text = part.partition("/")
    step = _number(step_text, field) if step_text else 1
    if step < 1:
        raise ValueError(f"invalid weekday step in {field!r}")
    if body == "*":
        low, high = 0, 6
    elif "-" in body:
        first, _, last = body.partition("-")
        low, high = _day(first, field), _day(last, field)
    else:
        low = _day(body, field)
        high = 6 if step_text else low
    if high < low:
        raise ValueError(f"weekday range {body!r} runs backwards in {field!r}")
    return {day % 7 for day in range(low, high + 1, step)}


def _day(token: str, field: str) -> int:
    """One weekday as a crontab number 0-7, from a number or a three-letter name."""
    if token in _NAME_NUMBERS:
        return _NAME_NUMBERS[token]
    value = _number(token, field)
    if not 0 <= value <= 7:
        raise ValueError(f"weekday {value} out of range 0-7 in {field!r}")
    return value


def _number(token: str, field: str) -> int:
    """An integer from a cron field, or a ValueError naming the field."""
    if not re.fullmatch(r"[0-9]{1,4}", token):
        raise ValueError(f"invalid weekday field {field!r}")
    return int(token)
