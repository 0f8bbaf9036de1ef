"""`syncer daemon` as a process: bind the socket, install the signals, run the Daemon until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

from syncer import interruption
from syncer.daemon import memory
from syncer.daemon.reload import load
from syncer.daemon.service import Daemon
from syncer.daemon.signals import Signals, flush
from syncer.errors import ConfigError
from syncer.model import ExitCode
from syncer.redact import REDACTOR

log = logging.getLogger("syncer")


def serve(config_path: Path, listen: str) -> int:
    """Run the daemon until SIGTERM/SIGINT and return the exit code; ConfigError before anything is served.

    SIGHUP reloads the configuration from `config_path` (Daemon.reload).
    """
    loaded = load(config_path)
    host, port = parse_listen(listen)
    memory.cap_arenas()  # before the runs' threads exist: their arenas are what grows
    timeout = interruption.shutdown_timeout(os.environ)
    sock = _bind(host, port, listen)
    token = os.environ.get("SYNCER_TRIGGER_TOKEN", "").strip() or None
    REDACTOR.add(token)
    signals = Signals()
    daemon = Daemon(loaded.config, token, config_path=config_path)
    previous = signals.install()
    code: int = ExitCode.OK
    try:
        daemon.start(sock)
        while not signals.stop.is_set():
            signals.wake.wait(0.5)
            signals.wake.clear()
            if signals.stop.is_set():
                break
            if signals.take_reload():
                daemon.reload(config_path)
            if not daemon.serving:
                log.error("the HTTP server stopped unexpectedly", extra={"event": "server_failed"})
                code = ExitCode.FAILURE
                break
    finally:
        clean = daemon.stop(timeout)
        Signals.restore(previous)
    if not clean:  # threads of abandoned runs would hold the interpreter open: end the process now
        flush()
        os._exit(code)
    return code


def parse_listen(text: str) -> tuple[str, int]:
    """HOST:PORT (IPv6 in brackets) → (host, port); ConfigError naming --listen otherwise."""
    host, sep, port_text = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ConfigError(f"--listen: expected HOST:PORT such as 0.0.0.0:8080, got {text!r}")
    return host, int(port_text)


def _bind(host: str, port: int, listen: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=128)
    except OSError as exc:
        reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        raise ConfigError(f"--listen {listen}: cannot listen there: {reason}; choose another HOST:PORT") from exc
