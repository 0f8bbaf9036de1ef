"""`syncer validate`: describe the configuration, and with --online check every credential, then lint the rules of
every source whose check passed (syncer.lint: a pattern, topic, property value, language, project type or category
that matches nothing listed is a warning); the daemon's key check.

Everything returned here is shown: URLs without their userinfo (`display_url`), every text redacted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from syncer import lint
from syncer.config.schema import Config
from syncer.datadog.client import DatadogClient
from syncer.deadline import Deadline
from syncer.errors import SyncerError, UpstreamError
from syncer.model import Integration
from syncer.redact import display_url, redact
from syncer.retry import RetryPolicy
from syncer.sources import factory
from syncer.sources.base import Source

log = logging.getLogger("syncer")
KEY_RECHECK_SECONDS = 60.0
DATADOG_SECONDS = 60.0


def describe(config: Config) -> str:
    """What the configuration manages, without any secret."""
    lines = [f"configuration is valid; Datadog API {display_url(config.datadog.base_url)}"]
    for integration in config.integrations():
        settings = config.effective(integration)
        section = config.section(integration)
        count = len(section.sources) if section is not None else 0
        extra = len(section.extra) if section is not None else 0
        lines.append(
            f"  {integration}: {count} source(s), {extra} extra; schedule {settings.schedule!r}, "
            f"policy {settings.policy}, max_deletions {settings.max_deletions}, "
            f"on_source_error {settings.on_source_error}"
        )
    return redact("\n".join(lines))


@dataclass(frozen=True)
class Online:
    """What `validate --online` found: failed checks (exit 1) and lint warnings (the exit code stays)."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def online(config: Config) -> Online:
    """Check the Datadog keys and every source's credentials (one line per failure), then lint every source whose
    check passed (one line per rule that matches nothing listed).

    Each check is bounded: Datadog's by DATADOG_SECONDS, an integration's sources by its `run_timeout`, and the
    lint's listings of an integration by another `run_timeout`.
    """
    policy = RetryPolicy(attempts=2)
    found = Online()
    with DatadogClient(config.datadog, retry=policy, http=config.http) as datadog:
        try:
            datadog.validate_keys(Deadline(DATADOG_SECONDS, label="the Datadog key check"))
        except SyncerError as exc:
            found.problems.append(redact(f"datadog: {exc}"))
        except Exception as exc:  # an answer nobody planned for is a failed check, not a traceback
            found.problems.append(redact(f"datadog: {type(exc).__name__}: {exc}"))
    for integration in config.integrations():
        deadline = Deadline(config.effective(integration).run_timeout_seconds)
        passed: list[int] = []
        for index, source in enumerate(factory.sources(integration, config, policy, deadline.sleep, deadline=deadline)):
            try:
                source.check()
                passed.append(index)
            except SyncerError as exc:
                found.problems.append(redact(f"{integration}: {exc}"))
            except Exception as exc:
                found.problems.append(redact(f"{integration}: {type(exc).__name__}: {exc}"))
        if passed:
            found.warnings.extend(_lint(config, integration, passed, policy))
    return found


def _lint(config: Config, integration: Integration, passed: list[int], policy: RetryPolicy) -> list[str]:
    """The lint of the sources at `passed`, listed by sources of their own, bounded by a fresh `run_timeout`."""
    deadline = Deadline(config.effective(integration).run_timeout_seconds)
    built = factory.sources(integration, config, policy, deadline.sleep, deadline=deadline)
    chosen: list[tuple[int, Source]] = [(index, built[index]) for index in passed]
    try:
        return lint.warnings(config, integration, chosen)
    except SyncerError as exc:
        return [redact(f"{integration}: not linted: {exc}")]
    except Exception as exc:  # the lint never turns into a traceback nor a failed check
        return [redact(f"{integration}: not linted: {type(exc).__name__}: {exc}")]


class KeyCheck:
    """The daemon's check of the Datadog keys: at start (and after a reload that changed them), then once a
    minute until it passes. `state` is shown in /readyz; "rejected: ..." makes the daemon not ready."""

    def __init__(self, stopping: threading.Event, interval: float = KEY_RECHECK_SECONDS) -> None:
        self.state = "not checked yet"
        self._stopping = stopping
        self._interval = interval
        self._generation = 0
        self._lock = threading.Lock()

    @property
    def rejected(self) -> bool:
        """True while Datadog's last answer rejected the keys (401/403)."""
        return self.state.startswith("rejected")

    def start(self, client: Callable[[], DatadogClient]) -> None:
        """Check with `client()` in the background; a check started earlier stops speaking."""
        with self._lock:
            self._generation += 1
            generation = self._generation
            self.state = "not checked yet"
        threading.Thread(target=self._run, args=(generation, client), name="datadog-keys", daemon=True).start()

    def _run(self, generation: int, client: Callable[[], DatadogClient]) -> None:
        while not self._stopping.is_set() and generation == self._generation:
            try:
                client().validate_keys()
            except UpstreamError as exc:
                rejected = exc.status in (401, 403)
                state = redact(f"{'rejected' if rejected else 'unchecked'}: {exc}")
                level, shown = (logging.ERROR if rejected else logging.WARNING), f"Datadog key check: {exc}"
            except Exception as exc:
                state = redact(f"unchecked: {type(exc).__name__}: {exc}")
                level, shown = logging.WARNING, f"Datadog key check failed: {state}"
            else:
                state, level, shown = "ok", logging.INFO, ""
            with self._lock:
                if generation != self._generation:
                    return  # a reload changed the Datadog settings: a newer check speaks now
                self.state = state
            if state == "ok":
                return
            log.log(level, "%s", shown, extra={"event": "datadog_key_check"})
            self._stopping.wait(self._interval)
