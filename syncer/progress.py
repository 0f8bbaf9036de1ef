"""Progress of a long discovery on a terminal: the pages listed so far per scope, drawn with rich on stderr.

Sources that list pages report each one to a `Progress` (`page(scope, items, noun)`); `SILENT`, the default,
does nothing. `for_terminal(stream, log_format)` gives a display only when `stream` is a terminal and logs are
text (a `log_format` of None is text on a terminal, as logsetup decides); JSON logs and a stream that is not a
terminal get None, and nothing changes. The display is one line per scope (`github.com/acme  12 pages, 1,200
repos`); it is transient (`close()` clears it) and the log lines written to the same stream while it is shown are
printed above it instead of through it.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol, TextIO

from rich.console import Console
from rich.file_proxy import FileProxy
from rich.progress import Progress as Display
from rich.progress import TaskID, TextColumn


class Progress(Protocol):
    """Where a discovery reports the pages it lists; called from the sources' threads."""

    def page(self, scope: str, items: int, noun: str) -> None:
        """One more page of `items` listed for `scope` (its label); `noun` names the items (`repos`, `projects`)."""
        ...

    def close(self) -> None:
        """The pass is over: end the display."""
        ...


class _Silent:
    """A Progress that shows nothing."""

    def page(self, scope: str, items: int, noun: str) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to end."""


SILENT: Progress = _Silent()


def for_terminal(stream: TextIO, log_format: str | None = None) -> Progress | None:
    """A display on `stream` when it is a terminal and logs are text (`log_format` text, any case, or None);
    None otherwise (nothing is shown)."""
    if (log_format or "text").strip().lower() != "text":
        return None
    try:
        terminal = stream.isatty()
    except ValueError:  # a closed stream
        return None
    return TerminalProgress(stream) if terminal else None


class TerminalProgress:
    """The pages and items listed per scope, one line each, redrawn in place (shown from the first page on)."""

    def __init__(self, stream: TextIO, refresh_per_second: float = 8.0) -> None:
        self._stream = stream
        self._console = Console(file=stream, force_terminal=True)
        self._display = Display(
            TextColumn("{task.description}"),
            TextColumn("{task.fields[listed]}"),
            console=self._console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
            refresh_per_second=refresh_per_second,
        )
        self._lock = threading.Lock()
        self._tasks: dict[str, tuple[TaskID, int, int]] = {}  # scope -> (its line, pages, items)
        self._moved: list[logging.StreamHandler[TextIO]] = []  # log handlers printing above the display
        self._started = False
        self._closed = False

    def page(self, scope: str, items: int, noun: str) -> None:
        """Count one more page of `items` for `scope` and show the new totals."""
        with self._lock:
            if self._closed:
                return
            if not self._started:
                self._start()
            task, pages, total = self._tasks.get(scope) or (self._display.add_task(scope, listed=""), 0, 0)
            pages, total = pages + 1, total + items
            self._tasks[scope] = (task, pages, total)
            self._display.update(task, listed=f"{pages:,} {'page' if pages == 1 else 'pages'}, {total:,} {noun}")

    def close(self) -> None:
        """Clear the display and give the log handlers their stream back."""
        with self._lock:
            self._closed = True
            if not self._started:
                return
            self._display.stop()
            for handler in self._moved:
                handler.setStream(self._stream)
            self._moved.clear()

    def _start(self) -> None:
        """Show the display; the root logger's handlers writing to the same stream print above it meanwhile."""
        self._display.start()
        above = FileProxy(self._console, self._stream)
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is self._stream:
                handler.setStream(above)
                self._moved.append(handler)
        self._started = True
