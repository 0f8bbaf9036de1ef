"""Every safety rule of a run, in one place — pure, on plain values.

rule                  | what it decides
----------------------|-------------------------------------------------------------------------------
on_source_error abort | a failed source stops its integration before anything is read or written
keep (failed source)  | the current entries a failed scope answers for are written back as they are
upsert-only           | every current entry is written back; nothing is ever removed
confirm_removals      | which removals are looked up first (`to_confirm`); each stored item of a key found there stays
empty list            | a plan that empties a non-empty list is refused, unless --allow-deletions covers it
max_deletions         | a plan removing more than the limit (+ --allow-deletions) is refused
which result wins     | failure (a source or Datadog failed) > refused (a guard) > success
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from syncer.errors import GuardRefused
from syncer.model import Discovery, Entry, Plan, Result, Scope


@dataclass(frozen=True)
class DeletionLimit:
    """max_deletions: a number of entries, or a percentage of the current list."""

    count: int | None = None
    percent: float | None = None

    def allowed(self, current_size: int) -> int:
        """How many removals the guard lets through for a list of this size."""
        if self.count is not None:
            return self.count
        return int((self.percent or 0.0) * current_size // 100)

    def __str__(self) -> str:
        return f"{self.count}" if self.count is not None else f"{self.percent:g}%"


@dataclass(frozen=True)
class Rules:
    """The safety settings in force for one run of one integration."""

    max_deletions: DeletionLimit
    allow_deletions: int = 0  # --allow-deletions: this run may remove this many more
    upsert_only: bool = False
    abort_on_source_error: bool = False


def result(failed: bool, refused: bool = False) -> Result:
    """Which result wins when several apply: a failure beats a refusal, a refusal beats success."""
    if failed:
        return Result.FAILURE
    return Result.REFUSED if refused else Result.SUCCESS


def abort(rules: Rules, failures: Sequence[str], integration: str) -> str | None:
    """Why the integration may not go on after discovery (on_source_error: abort and a source failed), or None."""
    if failures and rules.abort_on_source_error:
        return f"on_source_error is abort: {integration} was not written"
    return None


def keeper(
    discoveries: Sequence[Discovery],
    upsert_only: bool,
    confirmed: Sequence[Entry] = (),
    targeted: Sequence[Scope] = (),
) -> Callable[[Entry], bool]:
    """Which current entries the plan must not remove (written back as they are):

    - a targeted run (`targeted` not empty) keeps every current entry outside the scopes it lists again;
    - a failed scope keeps the current entries it answers for;
    - a failed scope of unknown identity keeps every current entry no healthy scope produced;
    - upsert-only keeps every current entry;
    - every stored item of a key a direct look-up confirmed (confirm_removals) is kept, duplicates included.
    """
    failed = [d.scope for d in discoveries if not d.ok]
    unknown_failed = any(scope.owns is None for scope in failed)
    produced = {e.key() for d in discoveries if d.ok for e in d.entries}
    kept = {e.key() for e in confirmed}
    targets = tuple(targeted)

    def keep(entry: Entry) -> bool:
        key = entry.key()
        return (
            upsert_only
            or key in kept
            or (bool(targets) and not any(scope.covers(entry) for scope in targets))
            or any(scope.covers(entry) for scope in failed)
            or (unknown_failed and key not in produced)
        )

    return keep


def to_confirm(removed: Sequence[Entry], desired: Sequence[Entry], discoveries: Sequence[Discovery]) -> list[Entry]:
    """The removals worth a direct look-up: entries a healthy scope answers for that its listing did not return.

    A stored duplicate of a desired key (R1 beside r1) is not missing from any listing, and an entry no healthy
    scope answers for has nobody to ask: neither is looked up.
    """
    wanted = {e.key() for e in desired}
    healthy = [d.scope for d in discoveries if d.ok]
    return [e for e in removed if e.key() not in wanted and any(scope.covers(e) for scope in healthy)]


def check(plan: Plan, current_size: int, rules: Rules) -> None:
    """Refuse a plan that removes too much; the message names the `--allow-deletions` value that would pass.

    The removals themselves are not named: the plan lists them (`-` lines, the report's `removed`), once.
    """
    removals = len(plan.removed)
    if not removals:
        return
    extra = rules.allow_deletions
    if not plan.to_write and current_size and removals > extra:
        given = f" (--allow-deletions {extra} covers {extra})" if extra else ""
        raise GuardRefused(
            f"refusing to empty the {plan.integration} list ({current_size} entries){given}; "
            f"rerun with --allow-deletions {removals} to allow this run"
        )
    limit = rules.max_deletions
    allowed = limit.allowed(current_size)
    if removals > allowed + extra:
        given = f", --allow-deletions adds {extra}" if extra else ""
        raise GuardRefused(
            f"refusing to remove {removals} of {current_size} {plan.integration} entries: "
            f"max_deletions {limit} allows {allowed}{given}; "
            f"rerun with --allow-deletions {needed(removals, current_size, limit)} to allow this run, "
            "or raise max_deletions"
        )


def needed(removals: int, current_size: int, limit: DeletionLimit) -> int:
    """The smallest `--allow-deletions` that lets `removals` of a list of `current_size` entries past `limit`:
    `--allow-deletions N` is added to what the limit allows (a run may remove limit + N)."""
    return max(removals - limit.allowed(current_size), 0)
