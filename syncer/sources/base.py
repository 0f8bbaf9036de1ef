"""The Source protocol: discover() returns one Discovery per scope, complete or failed, never short."""

from __future__ import annotations

from typing import Protocol

from syncer.model import Discovery, Scope


class Source(Protocol):
    """Something that lists entries of one integration from one system."""

    @property
    def scope(self) -> Scope:
        """The whole of what this source answers for (used when it fails as a whole)."""
        ...

    def discover(self) -> list[Discovery]:
        """Every scope's outcome; a scope either lists everything or carries its error."""
        ...

    def check(self) -> None:
        """Check the credentials against the API (for `validate --online`); raise SourceError on failure."""
        ...
