"""Why listed items were dropped: each dropped item counted once, under the first rule that drops it.

A filter's `first_failing_rule(item)` names the rule (the verdict's configuration key) that drops the item, or
None when it keeps it, at the cost of `matches()`: the rules are tried in the order `matches` applies them (the
item's traits first, the name patterns last) and the first that fails decides. `sort_out` splits a listing into
the kept items and the dropped ones counted by reason, the key the report shows:

    rule (a verdict's key)            | reason (a `dropped` key of the report)
    ----------------------------------|----------------------------------------
    include, exclude                  | pattern
    topics.include, topics.exclude    | topics
    custom_properties.<name>          | custom_properties
    any other rule                    | the rule itself: archived, forks, visibility, languages,
                                      | pushed_within, deleted, project_types, categories
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

T = TypeVar("T")
Drops = tuple[tuple[str, int], ...]  # (reason, count), the most frequent first, then by name


def reason(rule: str) -> str:
    """The reason a rule's drops are counted under (see the table above)."""
    if rule in ("include", "exclude"):
        return "pattern"
    return rule.split(".", 1)[0]


def sort_out(items: Iterable[T], failing: Callable[[T], str | None]) -> tuple[list[T], Drops]:
    """The items `failing` names no rule for (kept, in order), and the others counted by reason; O(1) per item."""
    kept: list[T] = []
    rules: Counter[str] = Counter()
    for item in items:
        rule = failing(item)
        if rule is None:
            kept.append(item)
        else:
            rules[rule] += 1
    return kept, tally(rules)


def tally(rules: Mapping[str, int]) -> Drops:
    """Counts per rule folded into counts per reason, the most frequent first."""
    reasons: Counter[str] = Counter()
    for rule, count in rules.items():
        reasons[reason(rule)] += count
    return tuple(sorted(reasons.items(), key=lambda pair: (-pair[1], pair[0])))
