"""The mutation run's settings, read once from pyproject's [tool.mutmut]: the modules to mutate and their tests."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"


@dataclass(frozen=True)
class MutationConfig:
    """What `make mutation` mutates and which tests it runs against the mutants."""

    modules: tuple[str, ...]  # paths relative to the root, e.g. "syncer/plan.py"
    tests: tuple[str, ...]  # pytest arguments: the fast unit tests of those modules

    def own_tests(self, module: str) -> tuple[str, ...]:
        """The module's own test file (tests/test_<name>.py) when it is part of the selection."""
        own = f"tests/test_{Path(module).stem}.py"
        return (own,) if own in self.tests else ()


def load(root: Path = ROOT) -> MutationConfig:
    """Read [tool.mutmut]: only_mutate (paths or globs) and pytest_add_cli_args_test_selection."""
    section = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    modules: list[str] = []
    for pattern in section["only_mutate"]:
        found = sorted(str(p.relative_to(root)) for p in root.glob(pattern) if p.suffix == ".py")
        if not found:
            raise SystemExit(f"[tool.mutmut] only_mutate: {pattern!r} matches no Python file")
        modules += [m for m in found if m not in modules]
    return MutationConfig(tuple(modules), tuple(section["pytest_add_cli_args_test_selection"]))
