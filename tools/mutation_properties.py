"""Mutation testing of @property bodies, which mutmut 3 leaves unmutated (RunReport.exit_code, Plan.has_changes…).

`python -m tools.mutation_properties [--fail-under 90]`: the modules and the tests are mutmut's ([tool.mutmut] in
pyproject.toml). Each mutant of a property body is written into a copy of the project and the selected tests run
against it with pytest: the module's own tests/test_<name>.py first, the rest of the selection only if it
survived. The operators are mutmut's usual ones: comparisons and and/or swapped, `not` dropped, + and - swapped,
constants changed, a returned value replaced by None. Results go to mutants/properties.json for tools.mutation_score.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tools.mutation_config import MUTANTS, ROOT, MutationConfig, load

COMPARISONS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
}
BOOLEANS: dict[type[ast.boolop], type[ast.boolop]] = {ast.And: ast.Or, ast.Or: ast.And}
ARITHMETIC: dict[type[ast.operator], type[ast.operator]] = {ast.Add: ast.Sub, ast.Sub: ast.Add}
COPIED = ("syncer", "tests", "pyproject.toml")


@dataclass(frozen=True)
class Mutant:
    """One changed property body, as the whole module's source."""

    module: str
    name: str  # e.g. "RunReport.exit_code#3"
    line: int
    before: str
    after: str
    source: str


def _properties(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef]]:
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for node in cls.body:
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list
            ):
                yield f"{cls.name}.{node.name}", node


def _body(function: ast.FunctionDef) -> list[ast.stmt]:
    """The statements, without the docstring."""
    first = function.body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    return function.body[1:] if docstring else function.body


def _parents(root: ast.AST) -> dict[int, ast.AST]:
    return {id(child): node for node in ast.walk(root) for child in ast.iter_child_nodes(node)}


@contextmanager
def _replaced(parent: ast.AST, node: ast.AST, new: ast.AST) -> Iterator[None]:
    """Put `new` where `node` is in its parent for the duration of the block."""
    for name, value in ast.iter_fields(parent):
        if value is node:
            setattr(parent, name, new)
            try:
                yield
            finally:
                setattr(parent, name, node)
            return
        if isinstance(value, list) and any(item is node for item in value):
            index = next(i for i, item in enumerate(value) if item is node)
            value[index] = new
            try:
                yield
            finally:
                value[index] = node
            return
    raise LookupError(f"{ast.dump(node)} is not a child of {type(parent).__name__}")


def _variants(node: ast.AST) -> Iterator[ast.AST]:
    """The mutants of one node, each a node to put in its place."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in COMPARISONS:
                ops = [*node.ops[:i], COMPARISONS[type(op)](), *node.ops[i + 1 :]]
                yield ast.Compare(left=node.left, ops=ops, comparators=node.comparators)
    elif isinstance(node, ast.BoolOp) and type(node.op) in BOOLEANS:
        yield ast.BoolOp(op=BOOLEANS[type(node.op)](), values=node.values)
    elif isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
        yield ast.BinOp(left=node.left, op=ARITHMETIC[type(node.op)](), right=node.right)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield node.operand
    elif isinstance(node, ast.Constant) and not _is_none(node):
        value = node.value
        if isinstance(value, bool):
            yield ast.Constant(not value)
        elif isinstance(value, int | float):
            yield ast.Constant(value + 1)
        elif isinstance(value, str):
            yield ast.Constant(f"XX{value}XX")
    elif isinstance(node, ast.Return) and not (node.value is None or _is_none(node.value)):
        yield ast.Return(value=ast.Constant(None))


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def mutants(module: str, root: Path = ROOT) -> list[Mutant]:
    """Every mutant of the module's property bodies."""
    text = (root / module).read_text("utf-8")
    tree = ast.parse(text)
    out: list[Mutant] = []
    parents = _parents(tree)
    for name, function in _properties(tree):
        for statement in _body(function):
            for node in list(ast.walk(statement)):
                parent = parents[id(node)]
                if isinstance(parent, ast.JoinedStr | ast.FormattedValue):
                    continue  # the text of an f-string, as mutmut leaves it
                before = ast.get_source_segment(text, node) or ast.unparse(node)
                for variant in _variants(node):
                    ast.copy_location(variant, node)
                    with _replaced(parent, node, variant):
                        after = ast.unparse(variant)
                        source = ast.unparse(tree)
                    number = sum(m.name.startswith(f"{name}#") for m in out) + 1
                    line = getattr(node, "lineno", function.lineno)
                    out.append(Mutant(module, f"{name}#{number}", line, before, after, source))
    return out


def _workspace(parent: Path) -> Path:
    """A copy of the project's package, tests and pyproject.toml."""
    target = Path(tempfile.mkdtemp(dir=parent))
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    return target


def _pytest(workspace: Path, tests: tuple[str, ...], timeout: float) -> bool:
    """True when the tests pass in the workspace (a timeout counts as a failure)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SYNCER_RELIABILITY_DOC", "PYTHONPATH")}
    env |= {"PYTHONPATH": str(workspace), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", *tests]
    try:
        done = subprocess.run(command, cwd=workspace, env=env, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def _check_workspace(workspace: Path, config: MutationConfig) -> float:
    """The clean run: the copy is what the tests import, and they pass; returns its duration."""
    env = dict(os.environ, PYTHONPATH=str(workspace), PYTHONDONTWRITEBYTECODE="1")
    probe = "import syncer; print(syncer.__file__)"
    found = subprocess.run([sys.executable, "-c", probe], cwd=workspace, env=env, capture_output=True, check=True)
    if not Path(found.stdout.decode().strip()).is_relative_to(workspace):
        raise SystemExit(f"the tests would import syncer from {found.stdout.decode().strip()}, not from the copy")
    started = time.monotonic()
    if not _pytest(workspace, config.tests, timeout=600):
        raise SystemExit("the selected tests fail without any mutant: fix them first")
    return time.monotonic() - started


def _killed(mutant: Mutant, workspace: Path, config: MutationConfig, timeout: float) -> bool:
    target = workspace / mutant.module
    original = target.read_text("utf-8")
    target.write_text(mutant.source, "utf-8")
    try:
        own = config.own_tests(mutant.module)
        rest = tuple(t for t in config.tests if t not in own)
        return (bool(own) and not _pytest(workspace, own, timeout)) or not _pytest(workspace, rest, timeout)
    finally:
        target.write_text(original, "utf-8")


def run(config: MutationConfig, workers: int) -> dict[str, dict[str, list[str]]]:
    """Test every mutant; per module, the names of the killed and of the surviving ones."""
    todo = [m for module in config.modules for m in mutants(module)]
    results: dict[str, dict[str, list[str]]] = {m: {"killed": [], "survived": []} for m in config.modules}
    with tempfile.TemporaryDirectory(prefix="mutation-properties-") as scratch:
        spaces: queue.Queue[Path] = queue.Queue()
        for _ in range(workers):
            spaces.put(_workspace(Path(scratch)))
        timeout = 10 * _check_workspace(spaces.queue[0], config) + 30

        def check(mutant: Mutant) -> tuple[Mutant, bool]:
            space = spaces.get()
            try:
                return mutant, _killed(mutant, space, config, timeout)
            finally:
                spaces.put(space)

        with ThreadPoolExecutor(workers) as pool:
            for mutant, killed in pool.map(check, todo):
                label = f"{mutant.name} (line {mutant.line}: {mutant.before} -> {mutant.after})"
                results[mutant.module]["killed" if killed else "survived"].append(label)
                print(f"{'killed  ' if killed else 'SURVIVED'} {mutant.module} {label}", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    """Run, print a line per mutant, write mutants/properties.json; exit 1 under --fail-under."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fail-under", type=float, default=0.0, help="minimum score in percent, per module")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    results = run(load(), args.workers)
    MUTANTS.mkdir(exist_ok=True)
    (MUTANTS / "properties.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    low = []
    for module, result in results.items():
        total = len(result["killed"]) + len(result["survived"])
        if total and 100 * len(result["killed"]) / total < args.fail_under:
            low.append(module)
    if low:
        print(f"@property bodies under {args.fail_under:g}%: {', '.join(low)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
