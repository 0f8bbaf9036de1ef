"""`syncer explain` output: text for people, and `--output json` (one object, stable keys).

JSON keys (every key is always present; `null` where a value is not known):

    entry           the entry explained: host/org/repo, jira:SITE/KEY or pagerduty:SUBDOMAIN
    integration     github | jira | pagerduty
    scope           the GitHub org (host/org) or Jira site listed; null for PagerDuty and an extra-only entry
    sources         each scope listed: {scope, ok, listed, entries, error} (the keys of the run report's sources)
    listed          true when a healthy listing held it
    found_by        "listing", "look-up" (a healthy listing lacked it; Jira's GET /project/{key} has it: an
                    archived project the listing does not ask for), or null
    listed_as       the entry the listing (or look-up) makes of it, spelt as the source reports it, or null
    verdicts        every rule's verdict in the order they apply: [{rule, passed, detail}]; [] when not found
    decided_by      the first rule that dropped it {rule, detail}, or null (kept by every rule, or not found)
    looked_up       the direct look-up a sync makes before removing an entry a healthy listing lacks (GitHub
                    GET /repos/{o}/{r}, Jira GET /project/{key}): true = it exists and passes the filters (kept),
                    false = gone, renamed or dropped, null = not asked
    extra           true when the integration's `extra` holds it
    source_failed   true when a scope that answers for it failed; source_errors: their errors
    kept_by_failure true when it is kept (as Datadog holds it) because its source failed
    datadog         {read, holds, held, error}: whether the list was read, whether it holds the key, the stored
                    items of the key (managed fields), Datadog's error
    desired         true when it is in the desired list; desired_entry: that entry, or null
    action          what a sync would do: add | keep | change | remove | nothing | unknown (Datadog not read)
    conclusion      the same, as a sentence
    errors          anything else that went wrong
    exit_code       0 explained; 1 the listing or Datadog failed (what is known is still shown)
"""

from __future__ import annotations

from syncer.explain.explanation import Explanation
from syncer.model import JSON
from syncer.redact import redact

_WIDTH = 12


def as_json(found: Explanation) -> dict[str, JSON]:
    """The explanation as one object with the documented keys (every text redacted)."""
    hit = found.found
    decided = None if hit is None else hit.decided_by
    out: dict[str, JSON] = {
        "entry": found.target.label,
        "integration": str(found.target.integration),
        "scope": None if found.target.scope is None else found.target.scope.label,
        "sources": [
            {"scope": d.scope.label, "ok": d.ok, "listed": d.seen, "entries": len(d.entries), "error": d.error}
            for d in found.listings
        ],
        "listed": hit is not None and hit.via == "listing",
        "found_by": None if hit is None else hit.via,
        "listed_as": None if hit is None else hit.entry.to_json(),
        "verdicts": []
        if hit is None
        else [{"rule": v.rule, "passed": v.passed, "detail": v.detail} for v in hit.verdicts],
        "decided_by": None if decided is None else {"rule": decided.rule, "detail": decided.detail},
        "looked_up": found.lookup,
        "extra": found.extra,
        "source_failed": bool(found.failed),
        "source_errors": list(found.failed),
        "kept_by_failure": found.kept_by_failure,
        "datadog": {
            "read": found.held is not None,
            "holds": None if found.held is None else bool(found.held),
            "held": [] if found.held is None else [e.to_json() for e in found.held],
            "error": found.datadog_error,
        },
        "desired": found.wanted is not None,
        "desired_entry": None if found.wanted is None else found.wanted.to_json(),
        "action": found.action,
        "conclusion": found.conclusion,
        "errors": list(found.errors),
        "exit_code": int(found.exit_code),
    }
    return {name: _redacted(value) for name, value in out.items()}


def as_text(found: Explanation) -> str:
    """The explanation for a person: the listing, every rule's verdict, the deciding rule, extra, failure,
    Datadog, the conclusion."""
    lines = [f"explain {found.target.label} ({found.target.integration})"]
    lines += _listing(found)
    hit = found.found
    if hit is not None:
        lines.append(_row("rules", ""))
        width = max(len(v.rule) for v in hit.verdicts) if hit.verdicts else 0
        for verdict in hit.verdicts:
            mark = "pass" if verdict.passed else "DROP"
            lines.append(f"{'':{_WIDTH}}  {mark}  {verdict.rule:{width}}  {verdict.detail}")
        decided = hit.decided_by
        lines.append(
            _row("decided by", "kept by every rule" if decided is None else f"{decided.rule}: {decided.detail}")
        )
    lines.append(_row("extra", "yes: the integration's extra holds it" if found.extra else "no"))
    lines.append(_row("source", _source(found)))
    lines.append(_row("Datadog", _datadog(found)))
    for error in found.errors:
        lines.append(_row("error", error))
    lines.append(_row("conclusion", f"{found.action}: {found.conclusion}"))
    return redact("\n".join(lines))


def _listing(found: Explanation) -> list[str]:
    if not found.listings:
        if found.extra:
            return [_row("listed", "no source lists this scope: the entry comes from extra only")]
        return [_row("listed", "no source lists this scope (a GitHub App without orgs is not installed on it?)")]
    hit = found.found
    lines = []
    for discovery in found.listings:
        if discovery.error is not None:
            lines.append(_row("listed", f"{discovery.scope.label}: FAILED: {discovery.error}"))
            continue
        among = hit is not None and hit.via == "listing" and hit.scope == discovery.scope.label
        lines.append(
            _row(
                "listed",
                f"{discovery.scope.label}: {discovery.seen} listed, {len(discovery.entries)} kept by the rules; "
                f"{'it is one of them' if among else 'it is not among them'}",
            )
        )
    if found.lookup is not None:
        if found.lookup:
            said = "it exists and passes the filters (the listing missed it)"
        elif hit is not None:
            said = "it exists, and the rules below drop it"
        else:
            said = "it does not exist (or the credentials do not see it), or it was renamed"
        lines.append(_row("look-up", f"a direct look-up says: {said}"))
    return lines


def _source(found: Explanation) -> str:
    if not found.failed:
        return "healthy: nothing is kept because of a failure"
    errors = "; ".join(found.failed)
    if found.kept_by_failure:
        return f"FAILED ({errors}): the current entry is kept as Datadog holds it"
    return f"FAILED ({errors})"


def _datadog(found: Explanation) -> str:
    if found.held is None:
        return f"the list could not be read: {found.datadog_error}"
    if not found.held:
        return "does not hold it"
    return "holds it: " + ", ".join(e.label() for e in found.held)


def _redacted(value: JSON) -> JSON:
    """Every text of a value redacted (a secret an upstream error echoed is never shown)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    if isinstance(value, dict):
        return {name: _redacted(item) for name, item in value.items()}
    return value


def _row(name: str, text: str) -> str:
    return f"{name:{_WIDTH}}  {text}".rstrip()
