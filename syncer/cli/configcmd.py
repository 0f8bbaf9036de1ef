"""`syncer config schema` and `syncer config init [PATH]`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from syncer.cli.usage import config_path, emit
from syncer.model import ExitCode


def schema(args: argparse.Namespace) -> int:
    """Print the configuration's JSON Schema (draft 2020-12) on stdout."""
    from syncer.config import jsonschema

    emit(json.dumps(jsonschema.document(), indent=2))
    return ExitCode.OK


def init(args: argparse.Namespace) -> int:
    """Write the commented starter configuration to PATH (default: --config, else $SYNCER_CONFIG, else
    config/syncer.yaml); an existing file is never touched."""
    from syncer.config import starter

    path = Path(args.path) if args.path else config_path(args)  # default: the file the other commands read
    starter.write(path)  # refuses a path that exists (ConfigError naming it): the check and the write are one step
    plain = path == config_path(args) and not getattr(args, "config", None)  # what a bare `syncer validate` reads
    check = "syncer validate" if plain else f"syncer --config {path} validate"
    emit(f"wrote {path}; fill in what it asks for, then check it with: {check}")
    return ExitCode.OK
