"""Plan: compare the current list with the desired one — pure.

Entries are matched by key (case-insensitive); the desired spelling and values win:

    current        | desired        | to_write (the list a PUT writes)
    ---------------|----------------|----------------------------------------------
    a              | a              | unchanged (kept as is)
    —              | b              | added
    c              | —              | removed
    Acme/x         | acme/x         | changed (same key, other spelling)
    jira P acct=1  | jira P acct=2  | changed (same key, other values)
    R1, r1         | r1             | r1 matched with R1 (changed); the second stored item r1 removed
    R1, r1 (kept)  | —              | both written back as they are (keep: a failed source, upsert-only)

Every stored item is accounted for: items sharing one key (case duplicates, PagerDuty accounts without a
subdomain) are matched one to one; each item that is neither matched nor kept is a removal, counted by the guard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from syncer.model import Change, Entry, EntryKey, Integration, Plan, sort_key

Keep = Callable[[Entry], bool]


def compute(
    integration: Integration, current: Iterable[Entry], desired: Iterable[Entry], keep: Keep | None = None
) -> Plan:
    """Compute added / removed / changed / unchanged and the full list to write (sorted).

    `current` is the stored list item by item; `keep` says which stored items must be written back as they are
    when no desired entry takes their place (the first stored item of a desired key is matched with it).
    """
    desired_by_key: dict[EntryKey, Entry] = {}
    for entry in desired:
        desired_by_key.setdefault(entry.key(), entry)
    held_items = list(current)
    partner = _partners(held_items, desired_by_key)
    matched = set(partner)
    written: list[tuple[Entry, int | None, bool]] = []  # (entry, the stored item it rewrites, unchanged)
    changed, removed = [], []
    for index, held in enumerate(held_items):
        key = held.key()
        wanted = desired_by_key.get(key)
        if wanted is not None and partner.get(key) == index:
            same = held == wanted
            written.append((wanted, index, same))
            if not same:
                changed.append(Change(before=held, after=wanted))
        elif keep is not None and keep(held):
            written.append((held, index, True))
        else:
            removed.append(held)
    added = [wanted for key, wanted in desired_by_key.items() if key not in matched]
    written += [(entry, None, False) for entry in added]
    written.sort(key=lambda item: (sort_key(item[0]), -1 if item[1] is None else item[1]))
    return Plan(
        integration=integration,
        added=tuple(sorted(added, key=sort_key)),
        removed=tuple(sorted(removed, key=sort_key)),
        changed=tuple(sorted(changed, key=lambda c: sort_key(c.after))),
        # in list order already: the unchanged entries keep their order in the sorted list (a stable sort)
        unchanged=tuple(entry for entry, _, same in written if same),
        to_write=tuple(entry for entry, _, _ in written),
        origin=tuple(index for _, index, _ in written),
    )


def _partners(current: list[Entry], desired_by_key: dict[EntryKey, Entry]) -> dict[EntryKey, int]:
    """Per desired key, the stored item it rewrites: one equal to it if there is one, else the first of its key."""
    partner: dict[EntryKey, int] = {}
    for index, held in enumerate(current):
        key = held.key()
        wanted = desired_by_key.get(key)
        if wanted is None:
            continue
        if key not in partner or (held == wanted and current[partner[key]] != wanted):
            partner[key] = index
    return partner
