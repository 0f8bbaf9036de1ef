"""A rule's verdict on one listed item: which rule (its configuration key), whether the item passed, and why."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """One rule's judgement of one item; an item is kept when every rule of its source passed it."""

    rule: str  # the configuration key: "include", "topics.exclude", "custom_properties.team", "categories", ...
    passed: bool
    detail: str  # a sentence for a person: 'matches include pattern "svc-*"'


def listed(texts: Iterable[str]) -> str:
    """Texts as a detail quotes them: `"a", "b"` (in the given order)."""
    return ", ".join(f'"{text}"' for text in texts)
