"""`main`: parse the command line, set up the logs, run the command, and turn what went wrong into one line.

Every failure a person can meet is said once, on stderr, as `syncer: <kind>: <message>` (redacted), with the
exit code of SPEC §3: a usage or configuration error is 2, any other syncer error 1, and an unexpected exception
is an internal error (1) whose traceback is logged only at --log-level debug. Ctrl-C is 130; a reader of stdout
that stopped early (`| head`) is not an error worth a word.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence

from syncer import logsetup
from syncer.cli import parser as command_line
from syncer.cli.usage import QUIET, UsageError, silence_stdout
from syncer.errors import ConfigError, SyncerError
from syncer.model import ExitCode
from syncer.redact import redact
from syncer.retry import RetryPolicy

log = logging.getLogger("syncer")


def main(argv: Sequence[str] | None = None, *, retry: RetryPolicy | None = None) -> int:
    """Entry point of the `syncer` console script; returns the exit code. `retry` replaces the default policy."""
    try:
        args = command_line.build().parse_args(argv)
    except KeyboardInterrupt:
        return ExitCode.SIGINT
    args.retry = retry or RetryPolicy()
    try:
        args.log_format = _logs(args.log_format, args.log_level, args.command)
        code: int = args.handler(args)
    except UsageError as exc:
        _say("error", str(exc))
        return ExitCode.USAGE
    except ConfigError as exc:
        _say("configuration error", str(exc))
        return ExitCode.USAGE
    except KeyboardInterrupt:
        return ExitCode.SIGINT
    except BrokenPipeError:
        silence_stdout()
        return ExitCode.FAILURE
    except SyncerError as exc:
        _say("error", str(exc))
        return ExitCode.FAILURE
    except Exception as exc:
        debugging = logging.getLogger().isEnabledFor(logging.DEBUG)
        log.debug("internal error", exc_info=True, extra={"event": "internal_error"})
        hint = "" if debugging else " (run with --log-level debug for the traceback)"
        _say("internal error", f"{type(exc).__name__}: {exc}{hint}")
        return ExitCode.FAILURE
    return code


def _logs(fmt: str | None, level: str | None, command: str) -> str | None:
    """The flags, else their variables (a wrong value is a usage error naming it), else the defaults; the format
    chosen (None: the default, text on a terminal, JSON otherwise)."""
    fmt = fmt or _from_env("SYNCER_LOG_FORMAT", logsetup.format_name)
    level = level or _from_env("SYNCER_LOG_LEVEL", logsetup.level_name)
    logsetup.setup(fmt, level or ("WARNING" if command in QUIET else "INFO"))
    return fmt


def _from_env(name: str, parse: Callable[[str], str]) -> str | None:
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        return parse(text)
    except ValueError as exc:
        raise UsageError(f"{name}: {exc}") from None


def _say(kind: str, message: str) -> None:
    """The one line that tells a person what went wrong."""
    with contextlib.suppress(OSError, ValueError):  # stderr is gone: nobody to tell
        print(redact(f"syncer: {kind}: {message}"), file=sys.stderr, flush=True)
