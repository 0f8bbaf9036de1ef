"""Guards: keep the entries of failed sources, upsert-only, deletion limit, empty-list refusal — pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from syncer.errors import GuardRefused
from syncer.model import Discovery, Entry, EntryKey, Plan
from syncer.settings import DeletionLimit


def keeper(
    discoveries: Sequence[Discovery], upsert_only: bool, confirmed: Sequence[Entry] = ()
) -> Callable[[Entry], bool]:
    """Which current entries the plan must not remove (written back as they are):

    - a failed scope keeps the current entries it answers for;
    - a failed scope of unknown identity keeps every current entry no healthy scope produced;
    - upsert-only keeps every current entry;
    - an entry a direct look-up confirmed (confirm_removals) is kept.
    """
    failed = [d.scope for d in discoveries if not d.ok]
    unknown_failed = any(scope.owns is None for scope in failed)
    produced = {e.key() for d in discoveries if d.ok for e in d.entries}
    kept = {e.key() for e in confirmed}

    def keep(entry: Entry) -> bool:
        key = entry.key()
        return (
            upsert_only
            or key in kept
            or any(scope.covers(entry) for scope in failed)
            or (unknown_failed and key not in produced)
        )

    return keep


def protect(
    current: Sequence[Entry],
    desired: Sequence[Entry],
    discoveries: Sequence[Discovery],
    upsert_only: bool,
) -> tuple[Entry, ...]:
    """The desired entries plus the current entries the plan must not remove (see `keeper`), one per key."""
    wanted: dict[EntryKey, Entry] = {entry.key(): entry for entry in desired}
    keep = keeper(discoveries, upsert_only)
    for entry in current:
        if entry.key() not in wanted and keep(entry):
            wanted[entry.key()] = entry
    return tuple(wanted.values())


def check(plan: Plan, current_size: int, limit: DeletionLimit, allow_deletions: int = 0) -> None:
    """Refuse a plan that removes too much; the message names what would have been removed."""
    removals = len(plan.removed)
    if not removals:
        return
    if not plan.result and current_size and removals > allow_deletions:
        raise GuardRefused(
            f"refusing to empty the {plan.integration} list ({current_size} entries); "
            f"run with --allow-deletions {removals} if this is intended. Would remove: {_names(plan.removed)}"
        )
    allowed = limit.allowed(current_size) + allow_deletions
    if removals > allowed:
        raise GuardRefused(
            f"refusing to remove {removals} of {current_size} {plan.integration} entries "
            f"(max_deletions {limit} allows {limit.allowed(current_size)}"
            f"{f', --allow-deletions adds {allow_deletions}' if allow_deletions else ''}). "
            f"Would remove: {_names(plan.removed)}"
        )


def _names(entries: Sequence[Entry], limit: int = 20) -> str:
    """The first entries' labels, with a count of the rest."""
    shown = ", ".join(entry.label() for entry in entries[:limit])
    rest = len(entries) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown
