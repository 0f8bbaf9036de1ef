"""Run settings shared by `defaults` and every integration: schedule, policy, limits, concurrency, deadlines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from syncer.config import schedule
from syncer.config.values import Int, duration
from syncer.guards import DeletionLimit
from syncer.redact import display_url

PERCENT = r"(100(?:\.0{1,6})?|[0-9]{1,2}(?:\.[0-9]{1,6})?)"  # 0 to 100, up to 6 decimals: the one rule
COUNT = r"([0-9]{1,9})"
MAX_DELETIONS_TEXT = rf"^\s*(?:{COUNT}|{PERCENT}\s*%)\s*$"  # `max_deletions` as text (the schema's pattern)
_PERCENT = re.compile(rf"^\s*{PERCENT}\s*%\s*$")
_COUNT = re.compile(rf"^\s*{COUNT}\s*$")
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


class Policy(StrEnum):
    """`policy`: whether syncer may remove entries."""

    SYNC = "sync"
    UPSERT_ONLY = "upsert-only"


class OnSourceError(StrEnum):
    """`on_source_error`: what a failed source does to its integration's run."""

    KEEP = "keep"
    ABORT = "abort"


class RunSettings(Strict):
    """The keys of `defaults`, each declared once with its documented default; every integration may override them.

    An integration's section inherits these fields; only the keys it sets override `defaults` (see `merged`).
    A key given as `null` counts as not given.
    """

    schedule: str = "*/30 * * * *"
    policy: Annotated[Policy, Field(strict=False)] = Policy.SYNC
    max_deletions: DeletionLimit = DeletionLimit(percent=10.0)
    on_source_error: Annotated[OnSourceError, Field(strict=False)] = OnSourceError.KEEP
    concurrency: Concurrency = 8
    jitter: Jitter = 0
    run_timeout: RunTimeout = "15m"
    confirm_removals: ConfirmRemovals = 50

    @model_validator(mode="before")
    @classmethod
    def _nulls_are_unset(cls, data: object) -> object:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (k in RunSettings.model_fields and v is None)}
        return data

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        schedule.parse(value)
        return value

    @field_validator("max_deletions", mode="before")
    @classmethod
    def _max_deletions(cls, value: object) -> DeletionLimit:
        return parse_deletion_limit(value)

    @property
    def run_timeout_seconds(self) -> float:
        """`run_timeout` in seconds."""
        return float(schedule.parse_duration(self.run_timeout, MIN_RUN_TIMEOUT, MAX_RUN_TIMEOUT))

    @property
    def upsert_only(self) -> bool:
        """True when the policy never removes an entry."""
        return self.policy is Policy.UPSERT_ONLY

    def merged(self, overrides: RunSettings | None) -> RunSettings:
        """These settings with the keys `overrides` sets (an integration's section) put over them."""
        if overrides is None:
            return self
        own = {name: getattr(overrides, name) for name in overrides.model_fields_set & RunSettings.model_fields.keys()}
        return self.model_copy(update=own)
