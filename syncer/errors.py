"""One exception tree for syncer; control flow is driven by these types.

Whether a failure is retried depends only on its type, never on which system failed:

SyncerError
├── ConfigError          bad configuration or usage; raised before any network call (exit 2)
├── GuardRefused         a safety guard refused the plan (exit 3)
├── Stopped              the run may not go on: never retried
│   ├── DeadlineExceeded     past `run_timeout` (or the run was abandoned)
│   └── Interrupted          a signal or the daemon's shutdown
└── UpstreamError        an API (GitHub, Jira, PagerDuty, Datadog) failed: `system` names it, `status` its answer
    ├── TransientError   worth retrying (5xx, 429, a rate limit, no answer); `retry_after` is the wait asked for
    └── PermanentError   not worth retrying (401, 403, 404, an answer not understood, a redirect)
        └── ShapeError       the config Datadog holds has a shape syncer does not understand
"""

from __future__ import annotations


class SyncerError(Exception):
    """Base of every error syncer raises on purpose."""


class ConfigError(SyncerError):
    """The configuration or the command line is wrong; nothing was contacted."""


class GuardRefused(SyncerError):
    """A guard refused to write the plan."""


class Stopped(SyncerError):
    """The run may not go on (its deadline passed, or it was interrupted); never retried."""


class DeadlineExceeded(Stopped):
    """The run went past its `run_timeout`."""


class Interrupted(Stopped):
    """The run was interrupted (SIGINT, SIGTERM, the daemon's shutdown)."""


class UpstreamError(SyncerError):
    """An API failed or answered something syncer does not take for an answer."""

    def __init__(self, message: str, *, system: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.system = system
        self.status = status


class TransientError(UpstreamError):
    """A failure that may go away when retried; `retry_after` is the wait the server asked for, if any."""

    def __init__(
        self, message: str, retry_after: float | None = None, *, system: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message, system=system, status=status)
        self.retry_after = retry_after


class PermanentError(UpstreamError):
    """A failure that retrying will not fix."""


class ShapeError(PermanentError):
    """The configuration Datadog holds has a shape syncer does not understand."""

    def __init__(self, message: str) -> None:
        super().__init__(message, system="datadog")
