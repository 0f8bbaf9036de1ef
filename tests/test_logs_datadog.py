"""JSON log lines read as Datadog reads them (SPEC §10): reserved attributes where they belong, nested fields."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from syncer import logsetup
from syncer.redact import MASK, REDACTOR

SECRET = "tok-Datadog-Registered-Secret-0077"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("DD_SERVICE", "DD_ENV", "DD_VERSION"):
        monkeypatch.delenv(name, raising=False)
    REDACTOR.clear()
    yield
    REDACTOR.clear()


def _emit(fmt: str, emit: object, name: str = "syncer.test") -> str:
    """Runs `emit(logger)` with a handler of format `fmt` on a private logger; returns what it wrote."""
    stream = io.StringIO()
    logger = logging.getLogger(name)
    saved = (logger.handlers[:], logger.level, logger.propagate)
    logger.handlers[:] = [logsetup.handler(fmt, stream)]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        emit(logger)  # type: ignore[operator]
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]
    return stream.getvalue()


def _records(emit: object, name: str = "syncer.test") -> list[dict[str, object]]:
    lines = [line for line in _emit("json", emit, name).splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def _keys(value: object, path: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield f"{path}/{key}"
            yield from _keys(child, f"{path}/{key}")
    elif isinstance(value, list):
        for child in value:
            yield from _keys(child, path)


def test_reserved_attributes_are_where_datadog_looks_for_them() -> None:
    (record,) = _records(lambda lg: lg.info("run %s", "done", extra={"event": "integration_run"}))
    assert TIMESTAMP.match(str(record["timestamp"])), record["timestamp"]
    assert record["status"] == "info"
    assert record["message"] == "run done"
    assert record["logger"] == {"name": "syncer.test"}
    assert record["service"] == "syncer"
    assert "env" not in record and "version" not in record
    assert record["event"] == "integration_run"
    for old in ("time", "level", "exception", "stack"):
        assert old not in record


@pytest.mark.parametrize(
    ("level", "status"),
    [
        (logging.DEBUG, "debug"),
        (logging.INFO, "info"),
        (logging.WARNING, "warning"),
        (logging.ERROR, "error"),
        (logging.CRITICAL, "critical"),
    ],
)
def test_status_is_a_datadog_status(level: int, status: str) -> None:
    (record,) = _records(lambda lg: lg.log(level, "x"))
    assert record["status"] == status


def test_unified_service_tagging_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DD_SERVICE", "catalog-sync")
    monkeypatch.setenv("DD_ENV", "prod")
    monkeypatch.setenv("DD_VERSION", "1.4.2")
    (record,) = _records(lambda lg: lg.warning("x"))
    assert (record["service"], record["env"], record["version"]) == ("catalog-sync", "prod", "1.4.2")


def test_an_exception_is_error_kind_message_and_stack() -> None:
    def emit(lg: logging.Logger) -> None:
        try:
            raise ValueError("the answer was\nnot 42")
        except ValueError:
            lg.exception("it failed")

    (record,) = _records(emit)
    assert record["status"] == "error"
    error = record["error"]
    assert isinstance(error, dict)
    assert error["kind"] == "ValueError"
    assert error["message"] == "the answer was\nnot 42"
    assert "Traceback (most recent call last)" in str(error["stack"])
    assert "raise ValueError" in str(error["stack"])


def test_extras_stay_nested_and_no_key_holds_a_dot() -> None:
    extra = {
        "event": "integration_run",
        "counts": {"added": 1, "removed.stale": 2},
        "sources": [{"name": "github", "pages.read": 3}],
        "http.status": 503,
        "http.method": "GET",
        "dry_run": True,
    }
    (record,) = _records(lambda lg: lg.info("done", extra=extra))
    assert record["counts"] == {"added": 1, "removed": {"stale": 2}}
    assert record["sources"] == [{"name": "github", "pages": {"read": 3}}]
    assert record["http"] == {"status": 503, "method": "GET"}
    assert record["dry_run"] is True
    dotted = [key for key in _keys(record) if "." in key.rsplit("/", 1)[-1]]
    assert dotted == []


def test_extras_named_like_reserved_attributes_do_not_clobber_them() -> None:
    extra = {"status": "refused", "service": "jira", "timestamp": 0, "logger.name": "evil", "error": "boom"}
    (record,) = _records(lambda lg: lg.info("real message", extra=extra))
    assert record["status"] == "info"
    assert record["service"] == "syncer"
    assert record["message"] == "real message"
    assert record["logger"] == {"name": "syncer.test"}
    assert TIMESTAMP.match(str(record["timestamp"]))
    assert "error" not in record
    assert record["fields"] == {
        "status": "refused",
        "service": "jira",
        "timestamp": 0,
        "logger": {"name": "evil"},
        "error": "boom",
    }


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_registered_secret_never_appears(fmt: str) -> None:
    REDACTOR.add(SECRET)

    def emit(lg: logging.Logger) -> None:
        try:
            raise RuntimeError(f"token {SECRET} refused")
        except RuntimeError:
            lg.exception("with %s", SECRET, extra={"token": SECRET, "nested.token": [SECRET], "status": SECRET})

    out = _emit(fmt, emit)
    assert SECRET not in out
    assert MASK in out
    if fmt == "json":
        (record,) = (json.loads(line) for line in out.splitlines() if line.strip())
        assert SECRET not in json.dumps(record)
        assert record["error"]["kind"] == "RuntimeError"  # type: ignore[index]


def test_library_loggers_get_the_same_shape() -> None:
    (record,) = _records(lambda lg: lg.warning("retrying"), name="urllib3.connectionpool")
    assert record["logger"] == {"name": "urllib3.connectionpool"}
    assert record["status"] == "warning"


def test_text_lines_have_no_python_reprs() -> None:
    extra = {"dry_run": True, "user": None, "count": 3, "changes": {"add": False}, "note": "two words"}
    out = _emit("text", lambda lg: lg.info("planned", extra=extra))
    assert len(out.strip().splitlines()) == 1
    assert "=True" not in out and "=None" not in out and "=False" not in out
    assert "dry_run=true" in out and "user=null" in out and "count=3" in out
    assert 'changes={"add":false}' in out
    assert 'note="two words"' in out


def test_library_noise_stays_out_at_info() -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in logsetup.LIBRARY_LOGGERS})
    try:
        logsetup.setup("json", "INFO")
        for name in ("httpcore", "urllib3", "httpx"):
            assert not logging.getLogger(f"{name}.x").isEnabledFor(logging.INFO)
        logsetup.setup("json", "DEBUG")
        assert logging.getLogger("httpcore.http11").isEnabledFor(logging.DEBUG)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, value in saved[2].items():
            logging.getLogger(name).setLevel(value)
        logging.captureWarnings(False)
