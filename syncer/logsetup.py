"""Logging to stderr: JSON lines when not on a TTY, readable text on one; extra fields are kept; secrets never.

Every record that reaches the handler — syncer's own and every library's (urllib3, requests, github, jira,
httpx, httpcore, pagerduty, uvicorn, apscheduler, ...) — first goes through `RedactFilter`: its message (with
its arguments merged in), its extra fields (recursively), its exception text and its stack text are passed
through the one redactor (`syncer.redact`). The formatters redact the final line once more, so a value that
only becomes text when it is rendered is masked too.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import TextIO

from syncer.redact import redact, redact_value

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
LIBRARY_LOGGERS = (
    "urllib3",
    "requests",
    "github",
    "jira",
    "httpx",
    "httpcore",
    "httpx2",
    "pagerduty",
    "uvicorn.access",
    "apscheduler",
)
log = logging.getLogger("syncer")


def _extra(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


class RedactFilter(logging.Filter):
    """Rewrites a record so that nothing in it shows a secret; never drops a record, never raises."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, never break the caller
            message = f"{record.msg!s} (arguments: {record.args!r})"
        record.msg, record.args = redact(message), None
        for key, value in _extra(record).items():
            record.__dict__[key] = redact_value(value)
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(_exception_text(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _exception_text(exc_info: object) -> str:
    if not isinstance(exc_info, tuple) or len(exc_info) != 3:
        return str(exc_info)
    return "".join(traceback.format_exception(exc_info[0], exc_info[1], exc_info[2])).rstrip("\n")


def _exception(formatter: logging.Formatter, record: logging.LogRecord) -> str | None:
    if record.exc_info and record.exc_info[0] is not None:
        return formatter.formatException(record.exc_info)
    return record.exc_text or None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update(_extra(record))
        exception = _exception(self, record)
        if exception:
            out["exception"] = exception
        if record.stack_info:
            out["stack"] = record.stack_info
        return redact(json.dumps(redact_value(out), default=str))


class TextFormatter(logging.Formatter):
    """`time level message key=value ...` for people at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        extra = " ".join(f"{k}={v}" for k, v in _extra(record).items() if k not in ("event", "sources", "errors"))
        line = f"{stamp} {record.levelname:<7} {record.getMessage()}"
        if extra:
            line += f"  [{extra}]"
        exception = _exception(self, record)
        if exception:
            line += "\n" + exception
        if record.stack_info:
            line += "\n" + record.stack_info
        return redact(line)


def handler(fmt: str, stream: TextIO | None = None) -> logging.Handler:
    """A stderr handler (or one on `stream`) with the redacting filter and the chosen formatter."""
    out = logging.StreamHandler(stream if stream is not None else sys.stderr)
    out.addFilter(RedactFilter())
    out.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    return out


def setup(fmt: str | None = None, level: str = "INFO") -> None:
    """Send logs to stderr as `fmt` ("text" or "json"; default: text on a TTY, JSON otherwise).

    Library loggers are quiet (WARNING) unless the level is DEBUG, where their debug lines show too — redacted
    like everything else. Python warnings and uncaught exceptions (main thread and others) are logged through
    the same handler, so their text is redacted as well.
    """
    chosen = fmt or ("text" if sys.stderr.isatty() else "json")
    root = logging.getLogger()
    root.handlers[:] = [handler(chosen)]
    root.setLevel(level.upper())
    library = root.level if root.level <= logging.DEBUG else max(logging.WARNING, root.level)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(library)
        logging.getLogger(name).handlers.clear()  # PyGithub adds a stderr handler of its own: ours formats all
    logging.captureWarnings(True)
    sys.excepthook = _uncaught
    threading.excepthook = _uncaught_in_thread


def _uncaught(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    log.critical("uncaught exception", exc_info=(kind, value, tb), extra={"event": "uncaught_exception"})


def _uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    thread = args.thread.name if args.thread is not None else "unknown"
    log.error(
        "uncaught exception in thread %s",
        thread,
        exc_info=(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback),
        extra={"event": "uncaught_exception", "thread_name": thread},
    )
