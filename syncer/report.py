"""The one renderer of runs: text for people, JSON (`--output json`, `/status`, `POST /sync`), the log event."""

from __future__ import annotations

from syncer.model import JSON, Change, Entry, IntegrationReport, RunReport


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
        "sources": [
            {"scope": d.scope.label, "ok": d.ok, "listed": d.seen, "entries": len(d.entries), "error": d.error}
            for d in report.sources
        ],
        "errors": list(report.errors),
    }


def log_event(report: IntegrationReport) -> dict[str, object]:
    """The fields of the one log event of a run: its report object without the entry lists, and without `status`."""
    # `status` is Datadog's reserved log-status attribute (the level): the log event says `result` and `interrupted`
    fields = {k: v for k, v in integration(report).items() if k not in ("added", "removed", "changed", "status")}
    return {"event": "integration_run", **fields}


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


def as_text(report: RunReport, limit: int | None = None) -> str:
    """The plan per integration: a summary line, then every entry added (+), removed (-), changed (~)."""
    blocks = [_block(r, limit) for r in report.integrations]
    return "\n\n".join(blocks) if blocks else "no integration selected"


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


def _block(report: IntegrationReport, limit: int | None) -> str:
    lines = [f"{report.integration}: {summary(report, with_errors=False)}"]
    for d in report.sources:
        if d.error is None:
            lines.append(f"  source {d.scope.label}: {d.seen} listed, {len(d.entries)} kept")
        else:
            named = d.error if d.error.startswith(d.scope.label) else f"{d.scope.label}: {d.error}"
            lines.append(f"  source FAILED {named}")
    plan = report.plan
    if plan is not None:
        lines += _entries("+", plan.added, limit)
        lines += _entries("-", plan.removed, limit)
        lines += _changes(plan.changed, limit)
    shown = {d.error for d in report.sources}
    lines += [f"  ! {error}" for error in report.errors if error not in shown]
    return "\n".join(lines)


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
