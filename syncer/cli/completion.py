"""`syncer completion SHELL`: the completion script shtab generates from the command line's own parser."""

from __future__ import annotations

import argparse

import shtab

from syncer.cli.usage import UsageError, emit
from syncer.model import ExitCode

SHELLS = ("bash", "zsh", "fish")


def files(action: argparse.Action) -> argparse.Action:
    """Mark an option or argument as taking a file path, for the completion scripts."""
    action.complete = shtab.FILE  # type: ignore[attr-defined]
    return action


def script(parser: argparse.ArgumentParser, shell: str) -> int:
    """Print the completion script of `parser` for `shell`."""
    if shell not in shtab.SUPPORTED_SHELLS:  # fish came with shtab 1.9
        raise UsageError(f"the installed shtab {shtab.__version__} cannot write {shell} completion")
    emit(shtab.complete(parser, shell=shell).rstrip("\n"))
    return ExitCode.OK
