"""Logging: every record of every logger (library loggers at DEBUG included) is redacted, JSON and text alike."""

from __future__ import annotations

import base64
import json
import logging
import sys
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import requests

from syncer import logsetup
from syncer.redact import MASK, REDACTOR

SECRET = "tok-Registered-Secret-0042"
EMAIL, API_TOKEN = "bot@acme.example", "jira-api-token-0099"
USERINFO_URL = "https://user:pass-in-url@host.example/x"
LIBRARIES = (
    "urllib3.connectionpool",
    "requests",
    "github.Requester",
    "jira",
    "httpx",
    "httpcore.http11",
    "httpx2",
    "pagerduty",
    "uvicorn.error",
    "apscheduler.scheduler",
    "syncer",
)
FORMATS = ("json", "text")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """setup() replaces the root handler and hooks: put everything back, and forget the secrets."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logsetup.LIBRARY_LOGGERS}
    hooks = (sys.excepthook, threading.excepthook)
    # the in-process simulator's uvicorn (other tests) gives "uvicorn" a handler of its own; the daemon does not
    uvicorn = {name: logging.getLogger(name) for name in ("uvicorn", "uvicorn.error")}
    saved = {name: (lg.level, lg.propagate, lg.handlers[:]) for name, lg in uvicorn.items()}
    for lg in uvicorn.values():
        lg.setLevel(logging.NOTSET)
        lg.propagate, lg.handlers[:] = True, []
    REDACTOR.clear()
    yield
    for name, (lvl, propagate, own) in saved.items():
        uvicorn[name].setLevel(lvl)
        uvicorn[name].propagate, uvicorn[name].handlers[:] = propagate, own
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)
    sys.excepthook, threading.excepthook = hooks
    logging.captureWarnings(False)
    REDACTOR.clear()


def _lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def _assert_clean(err: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in err, f"{secret!r} shown in:\n{err}"
    assert "pass-in-url" not in err
    assert MASK in err


@pytest.mark.parametrize("fmt", FORMATS)
def test_library_debug_records_are_redacted_in_message_args_extra_and_exception(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    logsetup.setup(fmt, "DEBUG")
    REDACTOR.add(SECRET)
    for name in LIBRARIES:
        logger = logging.getLogger(name)
        logger.debug(f"in the message {SECRET} and {USERINFO_URL}")
        logger.debug("in the args %s %r %s", SECRET, {"token": SECRET}, USERINFO_URL)
        logger.debug(
            "in the extra",
            extra={"headers": {"Authorization": f"Bearer {SECRET}"}, "items": [SECRET, (USERINFO_URL,)], "n": 1},
        )
        try:
            raise ValueError(f"upstream said: Bad credentials {SECRET} at {USERINFO_URL}")
        except ValueError:
            logger.exception("in the exception")
        logger.debug("in the stack %s", "text", stack_info=True)
    err = capsys.readouterr().err
    _assert_clean(err, SECRET)
    if fmt == "json":
        assert {json.loads(line)["logger"]["name"] for line in _lines(err)} == set(LIBRARIES)
    assert err.count("in the extra") == len(LIBRARIES)
    assert "Traceback" in err
    assert "ValueError: upstream said: Bad credentials ***" in err


def test_json_lines_stay_valid_json_with_the_extra_fields_masked(capsys: pytest.CaptureFixture[str]) -> None:
    logsetup.setup("json", "INFO")
    REDACTOR.add(SECRET)
    logging.getLogger("syncer").info(
        "run %s", "done", extra={"event": "integration_run", "errors": [f"401: {SECRET}"], "count": 3}
    )
    (line,) = _lines(capsys.readouterr().err)
    record = json.loads(line)
    assert record["message"] == "run done"
    assert record["errors"] == [f"401: {MASK}"]
    assert record["count"] == 3
    assert record["event"] == "integration_run"


@pytest.mark.parametrize("fmt", FORMATS)
def test_unregistered_github_tokens_and_jwts_are_masked(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    logsetup.setup(fmt, "DEBUG")
    tokens = [
        "ghp_" + "Z" * 36,
        "ghs_" + "installationToken0000000",
        "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjM0NSJ9.c2lnbmF0dXJlLXBhcnQtMDAx",
    ]
    for token in tokens:
        logging.getLogger("github.Requester").debug("Authorization: token %s", token)
        logging.getLogger("syncer").warning("echoed body", extra={"body": {"message": f"bad {token}"}})
    err = capsys.readouterr().err
    _assert_clean(err + MASK, *tokens)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_base64_of_email_and_api_token_is_masked_after_add_basic_auth(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    logsetup.setup(fmt, "DEBUG")
    REDACTOR.add_basic_auth(EMAIL, API_TOKEN)
    header = base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
    logging.getLogger("jira").debug("headers: {'Authorization': 'Basic %s'}", header)
    logging.getLogger("urllib3.connectionpool").debug("echo %s and %s", header, API_TOKEN)
    err = capsys.readouterr().err
    _assert_clean(err, header, API_TOKEN, header.rstrip("="))


def test_library_loggers_are_quiet_unless_debug(capsys: pytest.CaptureFixture[str]) -> None:
    logsetup.setup("text", "INFO")
    logging.getLogger("urllib3.connectionpool").debug("hidden at info")
    logging.getLogger("urllib3.connectionpool").warning("shown at info")
    err = capsys.readouterr().err
    assert "hidden at info" not in err
    assert "shown at info" in err


def test_a_record_with_broken_arguments_is_still_logged_and_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    logsetup.setup("json", "DEBUG")
    REDACTOR.add(SECRET)
    logging.getLogger("requests").debug("two placeholders %s %s", SECRET)  # noqa: PLE1206 - on purpose
    err = capsys.readouterr().err
    _assert_clean(err, SECRET)
    assert "two placeholders" in err


def test_warnings_and_uncaught_thread_exceptions_go_through_the_redactor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logsetup.setup("text", "INFO")
    REDACTOR.add(SECRET)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn(f"insecure request to {USERINFO_URL} with {SECRET}", UserWarning, stacklevel=1)

    def crash() -> None:
        raise RuntimeError(f"thread died holding {SECRET}")

    thread = threading.Thread(target=crash, name="worker")
    thread.start()
    thread.join()
    err = capsys.readouterr().err
    _assert_clean(err, SECRET)
    assert "insecure request to https://host.example/x" in err
    assert "RuntimeError: thread died holding ***" in err


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"message": f"Bad credentials {self.headers.get('Authorization')}"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize("fmt", FORMATS)
def test_real_requests_and_httpx_debug_output_with_userinfo_urls_is_masked(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        logsetup.setup(fmt, "DEBUG")
        REDACTOR.add(SECRET)
        url = f"http://user:{SECRET}@127.0.0.1:{port}/orgs/acme/repos"
        answer = requests.get(url, timeout=5)
        logging.getLogger("syncer").error("GitHub answered %s: %s", answer.status_code, answer.text)
        with httpx.Client(headers={"Authorization": f"Bearer {SECRET}"}) as client:
            echoed = client.get(url)
        logging.getLogger("syncer").error("GitHub answered %s: %s", echoed.status_code, echoed.text, extra={"url": url})
    finally:
        server.shutdown()
        server.server_close()
    err = capsys.readouterr().err
    basic = base64.b64encode(f"user:{SECRET}".encode()).decode()
    for shown in (SECRET, basic, f"user:{SECRET}"):
        assert shown not in err
    assert "urllib3.connectionpool" in err or "/orgs/acme/repos" in err
    assert MASK in err
