"""SIGHUP: the configuration read again from its file, validated completely before anything changes.

`load` reads and validates the file (loader.load, which also registers the new configuration's secrets with
the redactor) and builds every integration's trigger (a schedule that cannot be turned into a trigger is an error
here, not a crash later). The redactor forgets nothing on a reload: a secret of the old
configuration may still be in use by a run under way (or echoed by an answer still to come), and masking a
retired value costs nothing.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger

from syncer.config import loader, schedule
from syncer.config.schema import Config
from syncer.errors import ConfigError
from syncer.model import JSON, Integration
from syncer.redact import redact


@dataclass(frozen=True)
class Loaded:
    """A validated configuration and what the scheduler needs of it (its repr leaves the configuration out)."""

    config: Config = field(repr=False)
    schedules: dict[Integration, str]
    triggers: dict[Integration, BaseTrigger]
    jitter: dict[Integration, int]


def load(path: str | Path) -> Loaded:
    """Read and validate the configuration file; raise ConfigError (naming the key) before anything changes."""
    return prepare(loader.load(path))


def prepare(config: Config) -> Loaded:
    """The triggers of a validated configuration (ConfigError naming the schedule if one cannot be built)."""
    schedules: dict[Integration, str] = {}
    triggers: dict[Integration, BaseTrigger] = {}
    jitter: dict[Integration, int] = {}
    now = datetime.now(UTC)
    for integration in config.integrations():
        effective = config.effective(integration)
        try:
            trigger = schedule.parse(effective.schedule).trigger(effective.jitter)
            trigger.get_next_fire_time(None, now)
        except (ValueError, OverflowError, ArithmeticError) as exc:
            raise ConfigError(f"{integration}.schedule: {effective.schedule!r}: {exc}") from None
        schedules[integration], triggers[integration] = effective.schedule, trigger
        jitter[integration] = effective.jitter
    return Loaded(config, schedules, triggers, jitter)


class Schedules:
    """One scheduler job per integration, the schedule texts shown in /status, and their changes on a reload."""

    def __init__(self, scheduler: BaseScheduler, job: Callable[[Integration], None], loaded: Loaded) -> None:
        self.scheduler = scheduler
        self._job = job
        self.texts: dict[Integration, str] = dict(loaded.schedules)  # shared with /status: changed in place
        self._jitter = dict(loaded.jitter)
        self._triggers = dict(loaded.triggers)

    def add_all(self, now: datetime) -> None:
        """A job per integration, first run `now`."""
        for integration, trigger in self._triggers.items():
            self._add(integration, trigger, now)

    def apply(self, loaded: Loaded) -> None:
        """Jobs of removed integrations go, new ones run now, changed schedules get their new trigger."""
        wanted = loaded.config.integrations()
        for gone in [i for i in self.texts if i not in wanted]:
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job(str(gone))
            self.texts.pop(gone, None)
            self._jitter.pop(gone, None)
            self._triggers.pop(gone, None)
        now = datetime.now(UTC)
        for integration in wanted:
            text, jitter, trigger = (
                loaded.schedules[integration],
                loaded.jitter[integration],
                loaded.triggers[integration],
            )
            if self.scheduler.get_job(str(integration)) is None:
                self._add(integration, trigger, now)
            elif (self.texts.get(integration), self._jitter.get(integration)) != (text, jitter):
                self.scheduler.reschedule_job(str(integration), trigger=trigger)
            self.texts[integration], self._jitter[integration] = text, jitter
            self._triggers[integration] = trigger

    def next_run(self, integration: Integration) -> datetime | None:
        """The next scheduled run of an integration (None when it has no job)."""
        job = self.scheduler.get_job(str(integration))
        moment: datetime | None = job.next_run_time if job is not None else None
        return moment

    def first_after(self, integration: Integration, now: datetime) -> datetime | None:
        """The first fire time of the schedule after `now`, without jitter (for the start log)."""
        moment: datetime | None = schedule.parse(self.texts[integration]).trigger().get_next_fire_time(None, now)
        return moment

    def _add(self, integration: Integration, trigger: BaseTrigger, now: datetime) -> None:
        self.scheduler.add_job(self._job, trigger, args=[integration], id=str(integration), next_run_time=now)


class History:
    """When the configuration was loaded and how its reloads went; shown in /status and /readyz."""

    def __init__(self, path: str | Path | None) -> None:
        self._lock = threading.Lock()
        self.path = None if path is None else str(path)
        self.loaded_at = datetime.now(UTC)
        self.counts = {"success": 0, "failure": 0}
        self.last: dict[str, JSON] | None = None

    def succeeded(self) -> None:
        """A reload took effect."""
        with self._lock:
            now = datetime.now(UTC)
            self.loaded_at = now
            self.counts["success"] += 1
            self.last = {"at": now.isoformat(), "result": "success", "error": None}

    def failed(self, error: str) -> None:
        """A reload was refused; the running configuration stays."""
        with self._lock:
            self.counts["failure"] += 1
            self.last = {"at": datetime.now(UTC).isoformat(), "result": "failure", "error": redact(error)}

    def check(self) -> str:
        """One line for /readyz: how the last reload went."""
        with self._lock:
            if self.last is None:
                return "none"
            if self.last["result"] == "success":
                return f"success at {self.last['at']}"
            return f"failure at {self.last['at']} (the running configuration stays): {self.last['error']}"

    def as_json(self) -> dict[str, JSON]:
        """The `config` part of /status."""
        with self._lock:
            reloads: dict[str, JSON] = dict(self.counts)
            return {
                "path": self.path,
                "loaded_at": self.loaded_at.isoformat(),
                "reloads": reloads,
                "last_reload": dict(self.last) if self.last is not None else None,
            }
