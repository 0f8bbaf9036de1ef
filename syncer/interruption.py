"""Signals during a one-shot run: the first SIGINT/SIGTERM stops the run cleanly, a second one exits at once.

After the first signal no PUT starts (one already sent is awaited to its answer, at most
`SYNCER_SHUTDOWN_TIMEOUT` seconds, default 20), every wait ends, and the report says `interrupted`; the exit code
is 130 (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from types import FrameType

from syncer.deadline import Stop
from syncer.errors import ConfigError
from syncer.model import ExitCode, RunReport

log = logging.getLogger("syncer")
EXIT_CODES = {signal.SIGINT: ExitCode.SIGINT, signal.SIGTERM: ExitCode.SIGTERM}
SHUTDOWN_TIMEOUT = 20.0
_Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


@contextlib.contextmanager
def handled(stop: Stop, grace: float | None = None) -> Iterator[None]:
    """Within the block, SIGINT/SIGTERM set `stop` (once), and a second signal ends the process at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    grace = shutdown_timeout(os.environ) if grace is None else grace

    def handle(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        code = EXIT_CODES.get(signal.Signals(signum), ExitCode.SIGINT)
        if stop.is_set():
            _exit_now(code, f"second {name}: exiting at once")
            return
        log.warning(
            "%s received: stopping; no PUT starts from now (a second %s exits at once)",
            name,
            name,
            extra={"event": "signal", "signal": name},
        )
        stop.stop(f"interrupted by {name}", name)
        timer = _Timer(grace, _exit_now, args=(code, f"still running {grace:g}s after {name}: exiting"))
        timer.daemon = True
        timer.start()

    previous: dict[int, _Handler] = {s: signal.signal(s, handle) for s in EXIT_CODES}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class _Timer(threading.Timer):
    """The timer that ends a run still going long after a signal."""


def exit_if_left_behind(report: RunReport) -> None:
    """End the process now when a listing the run abandoned would hold the interpreter open.

    An abandoned listing's thread may still be blocked in a read, and the thread pools it started are joined at
    interpreter exit: the report is out, so nothing is lost by not waiting for them.
    """
    if any(d.abandoned for r in report.integrations for d in r.sources):
        _flush()
        os._exit(report.exit_code)


def _exit_now(code: int, message: str) -> None:
    print(f"syncer: {message}", file=sys.stderr)
    _flush()
    os._exit(code)


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(Exception):
        sys.stderr.flush()


def shutdown_timeout(env: Mapping[str, str]) -> float:
    """Seconds a PUT under way may take after a signal: env SYNCER_SHUTDOWN_TIMEOUT (0-3600), default 20.

    The one parser of the variable, for `sync` and the daemon alike; a bad value is a ConfigError before any I/O.
    """
    raw = env.get("SYNCER_SHUTDOWN_TIMEOUT", "").strip()
    if not raw:
        return SHUTDOWN_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise ConfigError(f"SYNCER_SHUTDOWN_TIMEOUT: expected seconds between 0 and 3600, got {raw!r}")
    return value
