"""Logging to stderr: JSON lines when not on a TTY, readable text on one; extra fields are kept; secrets never.

Every record that reaches the handler — syncer's own and every library's (urllib3, requests, github, jira,
httpx, httpcore, pagerduty, uvicorn, apscheduler, ...) — first goes through `RedactFilter`: its message (with
its arguments merged in), its extra fields (recursively), its exception text and its stack text are passed
through the one redactor (`syncer.redact`). The formatters redact the final line once more, so a value that
only becomes text when it is rendered is masked too.

JSON lines use Datadog's reserved attributes (SPEC §10): `timestamp` (RFC 3339, UTC, milliseconds), `status`
(`debug`, `info`, `warning`, `error`; CRITICAL is `critical`, a status Datadog knows), `message`,
`logger: {"name": ...}`, `error: {"kind", "message", "stack"}` for an exception, `service` (`DD_SERVICE`, default
`syncer`) and `env` / `version` (`DD_ENV` / `DD_VERSION`, only when set). A record's extra fields stay nested
objects and lists; a key with dots (`"http.status"`) becomes nested objects (`{"http": {"status": ...}}`), so no
key ever holds a dot. An extra whose top-level name is a reserved attribute (`status`, `message`, `error`,
`logger`, `host`, ...) never replaces it: it is kept under `fields` instead (`{"fields": {"status": ...}}`).

Text lines (a terminal) are one line per record, `HH:MM:SS LEVEL message  [key=value ...]`, values shown as JSON
scalars (`dry_run=true`, `count=3`, `user=null`), never Python reprs.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import TextIO

from syncer.redact import redact, redact_value

_ERROR = "_syncer_error"  # the exception's kind and (redacted) message, kept when the filter turns it into text
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName", _ERROR}
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
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("text", "json")
_LEVEL_ALIASES = {"WARN": "WARNING"}


def level_name(text: str) -> str:
    """`text` as one of LEVELS, in any case (`debug` is DEBUG, `warn` is WARNING); ValueError otherwise."""
    name = text.strip().upper()
    name = _LEVEL_ALIASES.get(name, name)
    if name not in LEVELS:
        raise ValueError(f"{text!r} is not a log level (use debug, info, warning or warn, error; any case)")
    return name


def format_name(text: str) -> str:
    """`text` as one of FORMATS, in any case; ValueError otherwise."""
    name = text.strip().lower()
    if name not in FORMATS:
        raise ValueError(f"{text!r} is not a log format (use text or json)")
    return name


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
            kind, value = record.exc_info[0], record.exc_info[1]
            record.__dict__[_ERROR] = (kind.__name__, redact(str(value)) if value is not None else "")
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


RESERVED = frozenset(
    {
        "timestamp",
        "date",
        "status",
        "message",
        "msg",
        "logger",
        "error",
        "service",
        "env",
        "version",
        "host",
        "hostname",
        "source",
        "ddsource",
        "ddtags",
        "tags",
        "trace_id",
        "span_id",
        "dd",
        "fields",
    }
)
_STATUS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warning", "ERROR": "error", "CRITICAL": "critical"}


def _status(record: logging.LogRecord) -> str:
    if record.levelname in _STATUS:
        return _STATUS[record.levelname]
    if record.levelno >= logging.CRITICAL:
        return "critical"
    if record.levelno >= logging.ERROR:
        return "error"
    if record.levelno >= logging.WARNING:
        return "warning"
    return "info" if record.levelno >= logging.INFO else "debug"


def _merge(into: dict[str, object], key: object, value: object) -> None:
    """Puts `value` at `key` in `into`, a dotted key as nested objects; objects at the same place are merged."""
    parts = [part for part in str(key).split(".") if part] or [str(key) or "_"]
    here = into
    for part in parts[:-1]:
        child = here.get(part)
        if not isinstance(child, dict):
            child = {} if child is None else {"value": child}
            here[part] = child
        here = child
    value = _nested(value)
    last = parts[-1]
    if isinstance(value, dict) and isinstance(here.get(last), dict):
        for k, v in value.items():
            _merge(here[last], k, v)  # type: ignore[arg-type]
    else:
        here[last] = value


def _nested(value: object) -> object:
    """`value` with every mapping's dotted keys made nested objects, tuples and sets as lists."""
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for k, v in value.items():
            _merge(out, k, v)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        items = [_nested(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return value


def _exception_parts(formatter: logging.Formatter, record: logging.LogRecord) -> dict[str, str] | None:
    if record.exc_info and record.exc_info[0] is not None:
        kind, value = record.exc_info[0], record.exc_info[1]
        return {
            "kind": kind.__name__,
            "message": str(value) if value is not None else "",
            "stack": formatter.formatException(record.exc_info),
        }
    if not record.exc_text:
        return None
    stack = record.exc_text
    known = record.__dict__.get(_ERROR)
    if isinstance(known, tuple) and len(known) == 2:
        return {"kind": str(known[0]), "message": str(known[1]), "stack": stack}
    last = stack.rstrip("\n").rsplit("\n", 1)[-1]
    name, _, message = last.partition(": ")
    return {"kind": name.strip().rsplit(".", 1)[-1] or "Exception", "message": message.strip(), "stack": stack}


class JsonFormatter(logging.Formatter):
    """One JSON object per line with Datadog's reserved attributes and the record's extra fields (nested)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{int(record.msecs):03d}Z",
            "status": _status(record),
            "message": record.getMessage(),
            "logger": {"name": record.name},
            "service": os.environ.get("DD_SERVICE") or "syncer",
        }
        for key in ("env", "version"):
            tag = os.environ.get(f"DD_{key.upper()}")
            if tag:
                out[key] = tag
        collided: dict[str, object] = {}
        for key, value in _extra(record).items():
            top = str(key).split(".", 1)[0]
            _merge(collided if top in RESERVED else out, key, value)
        if collided:
            out["fields"] = collided
        error = _exception_parts(self, record)
        if error:
            out["error"] = error
        if record.stack_info:
            _merge(out, "logger.stack", record.stack_info)
        return redact(json.dumps(redact_value(out), default=str))


def _scalar(value: object) -> str:
    if isinstance(value, str):
        return value if value and not any(c.isspace() or c in '"=[]' for c in value) else json.dumps(value)
    try:
        return json.dumps(_nested(value), default=str, separators=(",", ":"))
    except (TypeError, ValueError):
        return json.dumps(str(value))


class TextFormatter(logging.Formatter):
    """`time level message key=value ...` for people at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        extra = " ".join(
            f"{k}={_scalar(v)}" for k, v in _extra(record).items() if k not in ("event", "sources", "errors")
        )
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
    """Send logs to stderr as `fmt` ("text" or "json"; default: text on a TTY, JSON otherwise) from `level` on
    (any case; `warn` is WARNING). ValueError for a format or level that is not one of FORMATS / LEVELS.

    Library loggers are quiet (WARNING) unless the level is DEBUG, where their debug lines show too — redacted
    like everything else. Python warnings and uncaught exceptions (main thread and others) are logged through
    the same handler, so their text is redacted as well.
    """
    chosen = format_name(fmt) if fmt else ("text" if sys.stderr.isatty() else "json")
    root = logging.getLogger()
    root.handlers[:] = [handler(chosen)]
    root.setLevel(level_name(level))
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
