"""The mutation score per module, from mutmut's results in mutants/ (and tools/mutation_properties.py's).

`python -m tools.mutation_score [--fail-under 90] [--quiet]`: one row per module of [tool.mutmut] only_mutate,
then every mutant that was not killed (see it with `mutmut show NAME`). Killed = killed, timed out or caught by
the type check; a mutant no test reached counts as not killed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field

from mutmut.stats import status_by_exit_code

from tools.mutation_config import MUTANTS, load

DETECTED = {"killed", "timeout", "caught by type check", "segfault"}
PENDING = {"not checked", "check was interrupted by user"}


@dataclass
class Row:
    """The mutants of one module (or of its @property bodies)."""

    name: str
    killed: int = 0
    left: list[str] = field(default_factory=list)  # "<mutant> (<status>)"

    @property
    def total(self) -> int:
        """Every mutant tested."""
        return self.killed + len(self.left)

    @property
    def score(self) -> float:
        """Killed mutants in percent; a module without mutants scores 100."""
        return 100.0 * self.killed / self.total if self.total else 100.0


def mutmut_row(module: str) -> Row:
    """One module's row from its mutants/<module>.meta; SystemExit when the run did not finish."""
    meta = MUTANTS / f"{module}.meta"
    if not meta.exists():
        raise SystemExit(f"{meta} is missing: run `mutmut run` (or `make mutation`) first")
    row = Row(module)
    for name, code in sorted(json.loads(meta.read_text("utf-8"))["exit_code_by_key"].items()):
        status = status_by_exit_code[code]
        if status in PENDING:
            raise SystemExit(f"{name} was not checked: the mutmut run did not finish")
        if status in DETECTED:
            row.killed += 1
        elif status != "skipped":
            row.left.append(f"{name} ({status})")
    return row


def property_rows() -> list[Row]:
    """The rows tools/mutation_properties.py wrote, if it ran: one per module that has @property bodies."""
    path = MUTANTS / "properties.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text("utf-8"))
    return [
        Row(f"{module} @property", killed=len(r["killed"]), left=[f"{m} (survived)" for m in r["survived"]])
        for module, r in results.items()
        if r["killed"] or r["survived"]
    ]


def total_row(rows: list[Row]) -> Row:
    """Every module together."""
    return Row("total", killed=sum(r.killed for r in rows), left=[m for r in rows for m in r.left])


def table(rows: list[Row]) -> str:
    """The score table, with a total row."""
    total = total_row(rows)
    width = max(len(r.name) for r in [*rows, total])
    lines = [f"{'module':<{width}}  killed  total  score"]
    lines += [f"{r.name:<{width}}  {r.killed:>6}  {r.total:>5}  {r.score:5.1f}%" for r in [*rows, total]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the scores; exit 1 when a module, or the total, is under --fail-under."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fail-under", type=float, default=0.0, help="minimum score in percent, per module")
    parser.add_argument("--quiet", action="store_true", help="only the table, not the mutants left")
    args = parser.parse_args(argv)
    rows = [mutmut_row(m) for m in load().modules] + property_rows()
    print(table(rows))
    if not args.quiet:
        for row in rows:
            for mutant in row.left:
                print(f"  not killed: {mutant}")
    low = [r.name for r in [*rows, total_row(rows)] if r.score < args.fail_under]
    if low:
        print(f"under {args.fail_under:g}%: {', '.join(low)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
