"""Run settings shared by `defaults` and every integration: schedule, policy, deletion limit, concurrency."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from syncer import schedule

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


class Strict(BaseModel):
    """Base of every section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class DeletionLimit(BaseModel):
    """max_deletions: a number of entries or a percentage of the current list."""

    model_config = ConfigDict(frozen=True)
    count: int | None = None
    percent: float | None = None

    def allowed(self, current_size: int) -> int:
        """How many removals the guard lets through for a list of this size."""
        if self.count is not None:
            return self.count
        return int((self.percent or 0.0) * current_size // 100)

    def __str__(self) -> str:
        return f"{self.count}" if self.count is not None else f"{self.percent:g}%"


def parse_deletion_limit(value: object) -> DeletionLimit:
    """Read max_deletions from an int or "N%" string."""
    if isinstance(value, DeletionLimit):
        return value
    if isinstance(value, bool):
        raise ValueError("must be a number of entries or a percentage such as '10%'")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must not be negative")
        return DeletionLimit(count=value)
    if isinstance(value, str):
        if value.strip().isdigit():
            return DeletionLimit(count=int(value))
        match = _PERCENT.match(value)
        if match and float(match.group(1)) <= 100:
            return DeletionLimit(percent=float(match.group(1)))
    raise ValueError(f"must be a number of entries or a percentage such as '10%', got {value!r}")


class Settings(Strict):
    """Keys of `defaults` that every integration may override."""

    schedule: str | None = None
    policy: Literal["sync", "upsert-only"] | None = None
    max_deletions: DeletionLimit | None = None
    on_source_error: Literal["keep", "abort"] | None = None
    concurrency: Annotated[int, Field(ge=1, le=64)] | None = None
    jitter: Annotated[int, Field(ge=0, le=3600)] | None = None

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is not None:
            schedule.parse(value)
        return value

    @field_validator("max_deletions", mode="before")
    @classmethod
    def _max_deletions(cls, value: object) -> DeletionLimit | None:
        return None if value is None else parse_deletion_limit(value)


class Defaults(Settings):
    """The `defaults` section, with the documented defaults filled in."""

    schedule: str | None = "*/30 * * * *"
    policy: Literal["sync", "upsert-only"] | None = "sync"
    max_deletions: DeletionLimit | None = DeletionLimit(percent=10.0)
    on_source_error: Literal["keep", "abort"] | None = "keep"
    concurrency: Annotated[int, Field(ge=1, le=64)] | None = 8
    jitter: Annotated[int, Field(ge=0, le=3600)] | None = 0


class Effective(BaseModel):
    """The settings in force for one integration (defaults merged with its overrides)."""

    model_config = ConfigDict(frozen=True)
    schedule: str
    policy: Literal["sync", "upsert-only"]
    max_deletions: DeletionLimit
    on_source_error: Literal["keep", "abort"]
    concurrency: int
    jitter: int
