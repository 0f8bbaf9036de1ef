"""The daemon's signals: SIGTERM/SIGINT stop it (a second one at once), SIGHUP asks for a configuration reload.

The handlers only set flags and wake the main loop, which does the work: a reload never runs inside a handler.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

from syncer.model import ExitCode

log = logging.getLogger("syncer")
Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


class Signals:
    """The flags the handlers set: `stop` (a graceful shutdown was asked), a pending reload, and `wake`."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.wake = threading.Event()
        self._reload = threading.Event()

    def take_reload(self) -> bool:
        """True (once) when a SIGHUP came since the last call."""
        if not self._reload.is_set():
            return False
        self._reload.clear()
        return True

    def install(self) -> dict[int, Handler]:
        """Install the handlers (main thread only); return the previous ones, to restore them."""
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, Handler] = {s: signal.signal(s, self._stop) for s in (signal.SIGTERM, signal.SIGINT)}
        hangup = getattr(signal, "SIGHUP", None)
        if hangup is not None:
            previous[hangup] = signal.signal(hangup, self._hangup)
        return previous

    @staticmethod
    def restore(previous: dict[int, Handler]) -> None:
        """Put back the handlers `install` replaced."""
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.stop.is_set():
            log.error("second %s: exiting at once", name, extra={"event": "shutdown_forced"})
            flush()
            os._exit(ExitCode.FAILURE)
        log.info("%s received: shutting down", name, extra={"event": "signal", "signal": name})
        self.stop.set()
        self.wake.set()

    def _hangup(self, signum: int, frame: FrameType | None) -> None:
        if self.stop.is_set():
            log.info("SIGHUP ignored: shutting down", extra={"event": "signal", "signal": "SIGHUP"})
            return
        log.info("SIGHUP received: reloading the configuration", extra={"event": "signal", "signal": "SIGHUP"})
        self._reload.set()
        self.wake.set()


def flush() -> None:
    """Flush every log handler and the standard streams (before os._exit)."""
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
