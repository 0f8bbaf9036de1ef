"""The desired list: entries of every healthy source plus the static extra entries, deduplicated and sorted."""

from __future__ import annotations

from collections.abc import Iterable

from syncer.model import Discovery, Entry, EntryKey, sort_key


def build(discoveries: Iterable[Discovery], extra: Iterable[Entry] = ()) -> tuple[Entry, ...]:
    """Merge sources and extra; the first spelling of a key wins (sources before extra), order is stable."""
    chosen: dict[EntryKey, Entry] = {}
    for discovery in discoveries:
        if discovery.ok:
            for entry in discovery.entries:
                chosen.setdefault(entry.key(), entry)
    for entry in extra:
        chosen.setdefault(entry.key(), entry)
    return tuple(sorted(chosen.values(), key=sort_key))
