"""Schedules: 5-field crontab strings (standard meaning) and "every 10m" intervals, as APScheduler triggers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

_EVERY = re.compile(r"^every\s+(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)$", re.I)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NAME_NUMBERS = {name: i for i, name in enumerate(_DAY_NAMES)}


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

    def trigger(self, jitter: int | None = None, timezone: str = "UTC") -> BaseTrigger:
        """The APScheduler trigger; crontab's day-of-month OR day-of-week rule is kept."""
        if self.interval_seconds is not None:
            return IntervalTrigger(seconds=self.interval_seconds, jitter=jitter, timezone=timezone)
        common = {"minute": self.minute, "hour": self.hour, "month": self.month, "timezone": timezone}
        if self.day != "*" and self.day_of_week != "*":
            by_day = CronTrigger(day=self.day, jitter=jitter, **common)
            by_weekday = CronTrigger(day_of_week=self.day_of_week, jitter=jitter, **common)
            return OrTrigger([by_day, by_weekday])
        return CronTrigger(day=self.day, day_of_week=self.day_of_week, jitter=jitter, **common)


def parse(text: str) -> Schedule:
    """Parse a schedule string; raise ValueError naming what is wrong."""
    stripped = text.strip()
    every = _EVERY.match(stripped)
    if every:
        seconds = int(every.group(1)) * _UNIT_SECONDS[every.group(2)[0].lower()]
        if seconds <= 0:
            raise ValueError(f"interval must be positive, got {text!r}")
        return Schedule(text=stripped, interval_seconds=seconds)
    fields = stripped.split()
    if len(fields) != 5:
        raise ValueError(
            f"expected 5 cron fields (minute hour day month weekday) or 'every <n><s|m|h|d>', got {text!r}"
        )
    minute, hour, day, month, weekday = fields
    schedule = Schedule(stripped, None, minute, hour, day, month, _weekday_names(weekday))
    try:
        schedule.trigger()
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {text!r}: {exc}") from exc
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
    if not token.isdigit():
        raise ValueError(f"invalid weekday field {field!r}")
    return int(token)
