"""Run settings shared by `defaults` and every integration: schedule, policy, limits, concurrency, deadlines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from syncer import schedule
from syncer.config_values import Int, duration
from syncer.redact import display_url

_PERCENT = re.compile(r"^\s*([0-9]{1,3}(?:\.[0-9]{1,6})?)\s*%\s*$")
_COUNT = re.compile(r"^\s*([0-9]{1,9})\s*$")
MIN_RUN_TIMEOUT, MAX_RUN_TIMEOUT = 1, 86400
RunTimeout = Annotated[str, duration(MIN_RUN_TIMEOUT, MAX_RUN_TIMEOUT)]
Concurrency = Annotated[Int, Field(ge=1, le=64)]
Jitter = Annotated[Int, Field(ge=0, le=3600)]
ConfirmRemovals = Annotated[Int, Field(ge=0, le=1_000_000)]


class Strict(BaseModel):
    """Base of every section: unknown keys are errors, values are immutable, types are exact (`true` is no number)."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True, strict=True)

    def __repr_args__(self) -> Iterator[tuple[str | None, object]]:
        """The fields as a repr shows them: URLs without their `user:password@` part (SecretStr masks itself)."""
        for name, value in super().__repr_args__():
            yield name, display_url(value) if isinstance(value, str) and "://" in value else value


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
    if type(value) is int:
        if value < 0:
            raise ValueError("must not be negative")
        return DeletionLimit(count=value)
    if isinstance(value, str) and len(value) <= 40:
        count = _COUNT.match(value)
        if count:
            return DeletionLimit(count=int(count.group(1)))
        match = _PERCENT.match(value)
        if match and float(match.group(1)) <= 100:
            return DeletionLimit(percent=float(match.group(1)))
        raise ValueError(f"must be a number of entries or a percentage such as '10%', got {value!r}")
    raise ValueError("must be a number of entries (an integer) or a percentage such as '10%'")


class Settings(Strict):
    """Keys of `defaults` that every integration may override."""

    schedule: str | None = None
    policy: Literal["sync", "upsert-only"] | None = None
    max_deletions: DeletionLimit | None = None
    on_source_error: Literal["keep", "abort"] | None = None
    concurrency: Concurrency | None = None
    jitter: Jitter | None = None
    run_timeout: RunTimeout | None = None
    confirm_removals: ConfirmRemovals | None = None

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
    concurrency: Concurrency | None = 8
    jitter: Jitter | None = 0
    run_timeout: RunTimeout | None = "15m"
    confirm_removals: ConfirmRemovals | None = 50


class Effective(BaseModel):
    """The settings in force for one integration (defaults merged with its overrides).

    `run_timeout` is in seconds; `run_timeout_text` is the duration as the operator wrote it (`15m`).
    """

    model_config = ConfigDict(frozen=True)
    schedule: str
    policy: Literal["sync", "upsert-only"]
    max_deletions: DeletionLimit
    on_source_error: Literal["keep", "abort"]
    concurrency: int
    jitter: int
    run_timeout: float
    run_timeout_text: str
    confirm_removals: int

    @classmethod
    def merge(cls, defaults: Settings, overrides: Settings | None) -> Effective:
        """Defaults merged with an integration's own overrides (an override wins where it is set)."""
        merged: dict[str, object] = {}
        for name in Settings.model_fields:
            own = None if overrides is None else getattr(overrides, name)
            value = own if own is not None else getattr(defaults, name)
            merged[name] = value if value is not None else Defaults.model_fields[name].default
        text = str(merged["run_timeout"])
        merged["run_timeout_text"] = text
        merged["run_timeout"] = float(schedule.parse_duration(text, MIN_RUN_TIMEOUT, MAX_RUN_TIMEOUT))
        return cls.model_validate(merged)
