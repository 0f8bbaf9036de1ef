"""The Source protocol: discover() returns one Discovery per scope, complete or failed, never short; answer decoding;
Inspection, what a source listed before filtering (for `syncer explain` and the lint)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from syncer.errors import PermanentError
from syncer.filters import Verdict
from syncer.model import Discovery, Entry, Scope


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
        """Check the credentials against the API (for `validate --online`); raise SyncerError on failure."""
        ...

    def confirm(self, entries: Sequence[Entry]) -> tuple[Entry, ...]:
        """Of current entries this source's healthy listing did not produce, those to keep after a direct look-up.

        Called after discover(), only with entries inside this source's scope. An entry is kept when it still
        exists and passes the filters (the listing missed it), and when its look-up fails or is cut short (never a
        removal on doubt). It is not kept when the system answers that it is gone (404), or that it was renamed
        to a name the listing has.
        """
        ...


class Answer(Protocol):
    """An HTTP answer of requests or httpx2: what decoding its JSON needs."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        ...

    @property
    def headers(self) -> Mapping[str, str]:
        """The answer's headers (case-insensitive in both libraries)."""
        ...

    def json(self) -> object:
        """The decoded body; ValueError when it is not JSON."""
        ...


def json_body(response: Answer, where: str) -> object:
    """An answer's JSON; a body that is not JSON (by its Content-Type or its text) is a permanent failure.

    A proxy's or a login page's `[]` served as HTML is not the API's answer, however it parses.
    """
    kind = response.headers.get("content-type") or ""
    if kind and "json" not in kind.lower():
        raise PermanentError(f"{where} answered {response.status_code} with {kind.split(';')[0][:60]}, not JSON")
    try:
        body: object = response.json()
    except ValueError as exc:
        raise PermanentError(f"{where} answered {response.status_code} with a body that is not JSON") from exc
    return body


T = TypeVar("T")


@dataclass(frozen=True)
class Inspection(Generic[T]):
    """What discover() found for one scope, and (when it listed) every item the listing held, before any filter.

    `listed` holds the items as the source's filters judge them: RepoTraits (GitHub), ProjectTraits (Jira), the
    subdomain (PagerDuty). Empty for a failed scope.
    """

    discovery: Discovery
    listed: tuple[T, ...] = ()


class Inspectable(Protocol[T]):
    """A source that can show what it listed and how its rules judged each item (`syncer explain`, the lint)."""

    def inspect(self) -> list[Inspection[T]]:
        """What discover() returns, each with every item listed before filtering."""
        ...

    def verdicts(self, item: T) -> tuple[Verdict, ...]:
        """Every rule's verdict on one listed item, in the order they apply; kept when all passed."""
        ...

    def decided(self, item: T) -> str | None:
        """The rule that drops the item (the one its drop is counted under in a plan), None when it is kept."""
        ...

    def entry_of(self, item: T) -> Entry:
        """The entry a listed item becomes when every rule passes it."""
        ...
