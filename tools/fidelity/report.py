"""The report of a run: report.json, the printed summary, and the exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness import Recorder, compile_failures, summary


def report(rec: Recorder, logs: list[Path], work_dir: Path) -> int:
    """Write report.json, print the summary; returns the exit code (1 on any unjudged violation or failure)."""
    for failure in compile_failures(logs):
        rec.expect("prism", "every schema compiles (else Prism skips validation)", False, failure)
    data: dict[str, Any] = {"apis": summary(rec), "protocol_failures": rec.failures, "protocol_passes": len(rec.passes)}
    path = work_dir / "report.json"
    path.write_text(json.dumps(data, indent=1))
    bad = 0
    for api, found in data["apis"].items():
        print(f"\n== {api}: {found['requests']} answers, {found['with_violations']} with violations")
        for key, count in sorted(found["violations"].items()):
            bad += 1
            print(f"  {count:4d} x {key}")
        for key, count in sorted(found.get("justified", {}).items()):
            print(f"  {count:4d} x JUSTIFIED {key}")
    print(f"\n== violations: {bad} unjudged")
    print(f"== protocol: {len(rec.passes)} passed, {len(rec.failures)} failed")
    for api, what in rec.failures:
        print(f"  [{api}] {what}")
    print(f"== report: {path}")
    return 1 if bad or rec.failures else 0
