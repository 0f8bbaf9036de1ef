"""What every command shares: the usage error, the configuration file's path, printing on stdout."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from syncer.errors import ConfigError

DEFAULT_CONFIG = "config/syncer.yaml"
QUIET = ("demo", "simulate", "config", "completion")  # commands whose logs start at WARNING by default
SIMULATOR_PORTS = 6  # `syncer simulate --port-base N` puts its fakes on N..N+5


class UsageError(ConfigError):
    """The command line (or a variable standing for one of its flags) is wrong: `syncer: error: ...`, exit 2."""


def config_path(args: argparse.Namespace) -> Path:
    """--config, else $SYNCER_CONFIG, else config/syncer.yaml."""
    return Path(getattr(args, "config", None) or os.environ.get("SYNCER_CONFIG") or DEFAULT_CONFIG)


def config_file(args: argparse.Namespace) -> Path:
    """The configuration file's path; a missing file is a ConfigError that says how to get one."""
    path = config_path(args)
    if path.exists():
        return path
    given = "--config" if getattr(args, "config", None) else "SYNCER_CONFIG" if os.environ.get("SYNCER_CONFIG") else ""
    where = f" (from {given})" if given else " (the default)"
    init = "syncer config init" if path == Path(DEFAULT_CONFIG) else f"syncer config init {path}"
    raise ConfigError(
        f'no configuration file at {path}{where}; run "{init}" to write one, or pass --config PATH / set SYNCER_CONFIG'
    )


def emit(text: str) -> None:
    """Print on stdout; a reader that stopped early (`| head`) neither raises nor changes the exit code."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        silence_stdout()


def silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush does not complain of a closed pipe."""
    with contextlib.suppress(OSError, ValueError):  # stdout is not a real file (a test's capture): nothing to do
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
