"""The command line of syncer: `syncer.cli:main` is the `syncer` console script."""

from syncer.cli.app import main

__all__ = ["main"]
