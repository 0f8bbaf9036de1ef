"""One exception tree for syncer; control flow is driven by these types.

SyncerError
├── ConfigError          bad configuration or usage; raised before any network call (exit 2)
├── SourceError          a source system failed after retries (names system, scope and cause)
│   ├── TransientError   worth retrying (5xx, 429, connection reset, timeout)
│   ├── PermanentError   not worth retrying (401, 403, 404, malformed answer)
│   └── Stopped          the run may not go on: never retried
│       ├── DeadlineExceeded   past `run_timeout`
│       └── Interrupted        a signal or the daemon's shutdown
├── DatadogError         Datadog answered an error after retries, or something not understood
│   └── ShapeError       the stored config has a shape syncer does not understand
└── GuardRefused         a safety guard refused the plan (exit 3)
"""

from __future__ import annotations


class SyncerError(Exception):
    """Base of every error syncer raises on purpose."""


class ConfigError(SyncerError):
    """The configuration or the command line is wrong; nothing was contacted."""


class SourceError(SyncerError):
    """A source system (GitHub, Jira, PagerDuty) failed."""


class TransientError(SourceError):
    """A failure that may go away when retried; `retry_after` is the wait the server asked for, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(SourceError):
    """A failure that retrying will not fix."""


class Stopped(SourceError):
    """The run may not go on (its deadline passed, or it was interrupted); never retried."""


class DeadlineExceeded(Stopped):
    """The run went past its `run_timeout`."""


class Interrupted(Stopped):
    """The run was interrupted (SIGINT, SIGTERM, the daemon's shutdown)."""


class DatadogError(SyncerError):
    """Datadog refused a request or answered something unexpected."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ShapeError(DatadogError):
    """The configuration Datadog holds has a shape syncer does not understand."""


class GuardRefused(SyncerError):
    """A guard refused to write the plan."""
