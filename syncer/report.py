"""The one renderer of runs: text for people, JSON (`--output json`, `/status`, `POST /sync`), the log event.

The text of a pass (`as_text`), per integration: a summary line; one line per source, with why listed items were
dropped (`source github.com/acme: 250 listed, 216 kept (29 archived, 3 forks, 2 excluded by pattern)`); every
entry added (`+`), removed (`-`) and changed (`~`), coloured green, red and yellow when `colour` is on; the errors
(`!`). Then a footer: `Plan: N to add, M to change, K to remove.` for a dry run; `Applied: N added, M changed,
K removed.` for a run that writes (totals over the integrations that wrote), followed by `Not written: ...` when a
plan was not written (refused, failed or interrupted). Whether to colour is decided in one place, `colour_for`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from syncer.model import JSON, Change, Discovery, Entry, IntegrationReport, RunReport


def as_json(report: RunReport) -> dict[str, JSON]:
    """The machine-readable report of a pass: its run id, exit code and one object per integration (`integration`)."""
    out: dict[str, JSON] = {
        "run_id": report.run_id,
        "exit_code": int(report.exit_code),
        "integrations": [integration(r) for r in report.integrations],
    }
    if report.interrupted_by is not None:
        out["interrupted"] = report.interrupted_by
    return out


def status(report: IntegrationReport) -> str:
    """`success`, `failure` or `refused` (the `result` label of syncer_runs_total), or `interrupted`."""
    return "interrupted" if report.interrupted else str(report.result)


def integration(report: IntegrationReport) -> dict[str, JSON]:
    """The one object describing an integration's run, with the same keys wherever it appears.

    `sync --output json`, `/status` (each `last_run`), `POST /sync?wait=true` and the run's log event carry it.
    """
    plan = report.plan
    return {
        "integration": str(report.integration),
        "run_id": report.run_id,
        "trigger": report.trigger,
        "targeted": list(report.targeted) or None,
        "status": status(report),
        "result": str(report.result),
        "dry_run": report.dry_run,
        "applied": report.applied,
        "interrupted": report.interrupted,
        "abandoned": report.abandoned,
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat(),
        "duration_seconds": round(report.duration_seconds, 3),
        "counts": _counts(report),
        "added": [] if plan is None else [e.to_json() for e in plan.added],
        "removed": [] if plan is None else [e.to_json() for e in plan.removed],
        "changed": [] if plan is None else [_change(c) for c in plan.changed],
        "sources": [_source(d) for d in report.sources],
        "errors": list(report.errors),
    }


def log_event(report: IntegrationReport) -> dict[str, object]:
    """The fields of the one log event of a run: its report object without the entry lists, and without `status`."""
    # `status` is Datadog's reserved log-status attribute (the level): the log event says `result` and `interrupted`
    fields = {k: v for k, v in integration(report).items() if k not in ("added", "removed", "changed", "status")}
    return {"event": "integration_run", **fields}


def _source(found: Discovery) -> dict[str, JSON]:
    """One scope's object: `dropped` counts the listed items the filters dropped, by reason (`{"archived": 29}`)."""
    dropped: dict[str, JSON] = dict(found.dropped)
    return {
        "scope": found.scope.label,
        "ok": found.ok,
        "listed": found.seen,
        "entries": len(found.entries),
        "error": found.error,
        "dropped": dropped,
    }


def _change(change: Change) -> JSON:
    return {"before": change.before.to_json(), "after": change.after.to_json()}


def _counts(report: IntegrationReport) -> dict[str, JSON]:
    """`current` and `final` always; the plan's counts, or null when the run ended before it had a plan."""
    plan = report.plan
    counts: dict[str, JSON] = {"current": report.current_count, "final": report.final_count}
    parts = (
        {}
        if plan is None
        else {
            "desired": plan.to_write,
            "added": plan.added,
            "removed": plan.removed,
            "changed": plan.changed,
            "unchanged": plan.unchanged,
        }
    )
    for name in ("desired", "added", "removed", "changed", "unchanged"):
        counts[name] = len(parts[name]) if name in parts else None
    return counts


def colour_for(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """The one decision on colour: on when `stream` is a terminal, unless NO_COLOR is set to anything (no-color.org)."""
    if environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except ValueError:  # a closed stream
        return False


def as_text(report: RunReport, limit: int | None = None, colour: bool | None = None) -> str:
    """The plan per integration (at most `limit` entries of each kind), then the footer of totals.

    `colour`: None decides by stdout (`colour_for(sys.stdout)`), where the text is printed.
    """
    if not report.integrations:
        return "no integration selected"
    paint = colour_for(sys.stdout) if colour is None else colour
    blocks = [_block(r, limit, paint) for r in report.integrations]
    return "\n\n".join([*blocks, "\n".join(footer(report.integrations))])


def footer(reports: Sequence[IntegrationReport]) -> list[str]:
    """`Plan: ...` (dry runs), `Applied: ...` (runs that write) and `Not written: ...` (plans left unwritten)."""
    planned = [r for r in reports if r.dry_run]
    writing = [r for r in reports if not r.dry_run]
    lines = []
    if planned:
        add, change, remove = _totals(planned)
        lines.append(f"Plan: {add} to add, {change} to change, {remove} to remove.")
    if writing:
        add, change, remove = _totals([r for r in writing if r.applied])
        lines.append(f"Applied: {add} added, {change} changed, {remove} removed.")
        left = [r for r in writing if not r.applied and r.plan is not None and r.plan.has_changes]
        if left:
            add, change, remove = _totals(left)
            why = ", ".join(f"{r.integration} {status(r)}" for r in left)
            lines.append(f"Not written: {add} to add, {change} to change, {remove} to remove ({why}).")
    return lines


def _totals(reports: Sequence[IntegrationReport]) -> tuple[int, int, int]:
    """Added, changed and removed entries over the plans of `reports`."""
    plans = [r.plan for r in reports if r.plan is not None]
    return (
        sum(len(p.added) for p in plans),
        sum(len(p.changed) for p in plans),
        sum(len(p.removed) for p in plans),
    )


def summary(report: IntegrationReport, with_errors: bool = True) -> str:
    """One line: result, counts, what was written (and the errors, for the log event)."""
    plan = report.plan
    if plan is None:
        return f"{status(report)}: {'; '.join(report.errors)}" if with_errors else status(report)
    counts = (
        f"{len(plan.added)} added, {len(plan.removed)} removed, {len(plan.changed)} changed, "
        f"{len(plan.unchanged)} unchanged"
    )
    if report.dry_run:
        action = "dry run, nothing written"
    elif report.applied:
        action = f"written ({report.current_count} -> {report.final_count} entries)"
    elif plan.has_changes:
        action = "nothing written"
    else:
        action = "in step, nothing to write"
    errors = f"; {'; '.join(report.errors)}" if report.errors and with_errors else ""
    return f"{status(report)}: {counts}; {action}{errors}"


def source_line(found: Discovery) -> str:
    """What one scope listed and kept, and why the rest was dropped; or why it failed."""
    if found.error is not None:
        named = found.error if found.error.startswith(found.scope.label) else f"{found.scope.label}: {found.error}"
        return f"source FAILED {named}"
    line = f"source {found.scope.label}: {found.seen} listed, {len(found.entries)} kept"
    if found.dropped:
        line += f" ({', '.join(_dropped(reason, count) for reason, count in found.dropped)})"
    return line


_REASONS = {  # how a drop reason reads after its count: singular, plural
    "archived": ("archived", "archived"),
    "forks": ("fork", "forks"),
    "pattern": ("excluded by pattern", "excluded by pattern"),
    "deleted": ("in the trash", "in the trash"),
}


def _dropped(reason: str, count: int) -> str:
    one, many = _REASONS.get(reason, (f"by {reason}", f"by {reason}"))
    return f"{count} {one if count == 1 else many}"


_COLOURS = {"+": "\x1b[32m", "-": "\x1b[31m", "~": "\x1b[33m"}  # green, red, yellow
_RESET = "\x1b[0m"


def _block(report: IntegrationReport, limit: int | None, colour: bool) -> str:
    lines = [f"{report.integration}: {summary(report, with_errors=False)}"]
    lines += [f"  {source_line(d)}" for d in report.sources]
    plan = report.plan
    if plan is not None:
        marked = [
            *_entries("+", plan.added, limit),
            *_entries("-", plan.removed, limit),
            *_changes(plan.changed, limit),
        ]
        lines += [_paint(line, colour) for line in marked]
    shown = {d.error for d in report.sources}
    lines += [f"  ! {error}" for error in report.errors if error not in shown]
    return "\n".join(lines)


def _paint(line: str, colour: bool) -> str:
    """A `+`/`-`/`~` line in its colour (the mark is its third character), or as it is."""
    return f"{_COLOURS[line[2]]}{line}{_RESET}" if colour else line


def _entries(mark: str, entries: tuple[Entry, ...], limit: int | None) -> list[str]:
    shown = entries if limit is None else entries[:limit]
    lines = [f"  {mark} {e.label()}" for e in shown]
    if len(shown) < len(entries):
        lines.append(f"  {mark} ... and {len(entries) - len(shown)} more")
    return lines


def _changes(changes: tuple[Change, ...], limit: int | None) -> list[str]:
    shown = changes if limit is None else changes[:limit]
    lines = [f"  ~ {c.before.label()} -> {c.after.label()}" for c in shown]
    if len(shown) < len(changes):
        lines.append(f"  ~ ... and {len(changes) - len(shown)} more")
    return lines
