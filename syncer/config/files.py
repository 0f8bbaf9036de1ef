"""Reading the configuration's files, bounded: regular files only, a size cap, UTF-8, never blocking.

A FIFO, a device (`/dev/zero`), a socket or a directory is refused from its `os.stat`, before it is opened; the
file is then opened non-blocking (so a FIFO swapped in after the check cannot hang the process) and at most
`limit + 1` bytes are read, whatever the file claims its size is (`/proc` files say 0).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from syncer.errors import ConfigError

CONFIG_LIMIT = 10 * 1024 * 1024
SECRET_LIMIT = 64 * 1024
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_text(path: Path, limit: int, label: str | None = None) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes; ConfigError (after `label: `, if given) otherwise."""
    prefix = f"{label}: " if label else ""
    try:
        info = path.stat()
        _check_kind(info, path, prefix)
        _check_size(info.st_size, limit, path, prefix)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ConfigError(f"{prefix}cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        _check_kind(os.fstat(fd), path, prefix)
        data = _read_at_most(fd, limit + 1)
    except OSError as exc:
        raise ConfigError(f"{prefix}cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    finally:
        os.close(fd)
    _check_size(len(data), limit, path, prefix)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{prefix}{path} is not UTF-8 text (invalid byte at offset {exc.start})") from None


def _check_kind(info: os.stat_result, path: Path, prefix: str) -> None:
    if stat.S_ISREG(info.st_mode):
        return
    kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
    raise ConfigError(f"{prefix}{path} is {kind}, not a regular file")


def _check_size(size: int, limit: int, path: Path, prefix: str) -> None:
    if size > limit:
        raise ConfigError(f"{prefix}{path} is larger than {_size(limit)}")


def _read_at_most(fd: int, count: int) -> bytes:
    chunks: list[bytes] = []
    left = count
    while left > 0:
        chunk = os.read(fd, min(left, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _size(limit: int) -> str:
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    return f"{limit // 1024} KiB" if limit % 1024 == 0 else f"{limit} bytes"
