"""Plan: compare the current list with the desired one — pure.

Entries are matched by key (case-insensitive); the desired spelling and values win:

    current        | desired        | result
    ---------------|----------------|----------------------------------------------
    a              | a              | unchanged (kept as is)
    —              | b              | added
    c              | —              | removed
    Acme/x         | acme/x         | changed (same key, other spelling)
    jira P acct=1  | jira P acct=2  | changed (same key, other values)
"""

from __future__ import annotations

from collections.abc import Iterable

from syncer.model import Change, Entry, EntryKey, Integration, Plan, sort_key


def compute(integration: Integration, current: Iterable[Entry], desired: Iterable[Entry]) -> Plan:
    """Compute added / removed / changed / unchanged and the full list to write (sorted, deduplicated)."""
    current_by_key: dict[EntryKey, Entry] = {}
    for entry in current:
        current_by_key.setdefault(entry.key(), entry)
    desired_by_key: dict[EntryKey, Entry] = {}
    for entry in desired:
        desired_by_key.setdefault(entry.key(), entry)
    added, changed, unchanged = [], [], []
    for key, wanted in desired_by_key.items():
        held = current_by_key.get(key)
        if held is None:
            added.append(wanted)
        elif held == wanted:
            unchanged.append(wanted)
        else:
            changed.append(Change(before=held, after=wanted))
    removed = [entry for key, entry in current_by_key.items() if key not in desired_by_key]
    return Plan(
        integration=integration,
        added=tuple(sorted(added, key=sort_key)),
        removed=tuple(sorted(removed, key=sort_key)),
        changed=tuple(sorted(changed, key=lambda c: sort_key(c.after))),
        unchanged=tuple(sorted(unchanged, key=sort_key)),
        result=tuple(sorted(desired_by_key.values(), key=sort_key)),
    )
