"""Configuration problems: collected while a file loads, each with its key and line, reported all at once.

The one text of a configuration error (SPEC §11), whatever found the problems (YAML, `${VAR}`, `*_file`, the
models):

    syncer.yaml: 2 problems in the configuration:
      syncer.yaml:12: defaults.max_deletion: unknown key (did you mean max_deletions?)
      syncer.yaml:20: github.sources[0].token: environment variable GITHUB_TOKEN is not set

A problem whose line is not known (a tree that came from no file, a key that is missing) names the nearest key
above it that was written, else the file alone; a problem about the whole file has no key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from syncer.errors import ConfigError

FILE_SUFFIX = "_file"
_PARENT = re.compile(r"^(.*?)(?:\.[^.\[]*|\[[^\]]*\])$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong: the dotted key path (`github.sources[0].token`; "" for the whole file), what, and where
    when that is known otherwise than from the key (a YAML syntax error)."""

    key: str
    message: str
    line: int | None = None


class Problems:
    """The problems found so far, in the order found."""

    def __init__(self, known: Iterable[Problem] = ()) -> None:
        self._items: list[Problem] = list(known)

    def add(self, key: str, message: str) -> None:
        """Record one problem."""
        self._items.append(Problem(key, message))

    def add_error(self, key: str, error: ConfigError) -> None:
        """Record a ConfigError raised about `key` (its `key: ` prefix dropped)."""
        text = str(error)
        self.add(key, text.removeprefix(f"{key}: ") if key else text)

    def covers(self, key: str) -> bool:
        """True when `key` is (under) a key already reported, or the secret a reported `<key>_file` stands for."""
        for problem in self._items:
            known = problem.key
            if not known:
                continue
            if key == known or key.startswith((f"{known}.", f"{known}[")) or known == f"{key}{FILE_SUFFIX}":
                return True
        return False

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._items)


def line_of(key: str, lines: Mapping[str, int]) -> int | None:
    """The line where `key` was written: its own, its `_file` twin's, else the nearest written key above it."""
    if not key:
        return None
    if f"{key}{FILE_SUFFIX}" in lines and key not in lines:
        return lines[f"{key}{FILE_SUFFIX}"]
    path = key
    while path:
        if path in lines:
            return lines[path]
        parent = _PARENT.match(path)
        path = parent.group(1) if parent else ""
    return None


def render(origin: str, problems: Iterable[Problem], lines: Mapping[str, int] | None = None) -> str:
    """The error text: a header naming `origin` and the count, then one line per problem in file order."""
    known = lines or {}
    placed = [(p.line if p.line is not None else line_of(p.key, known), p) for p in problems]
    placed.sort(key=lambda item: item[0] or 0)
    count = len(placed)
    out = [f"{origin}: {count} problem{'' if count == 1 else 's'} in the configuration:"]
    for line, problem in placed:
        where = f"{origin}:{line}" if line is not None else origin
        out.append(f"  {where}: {problem.key}: {problem.message}" if problem.key else f"  {where}: {problem.message}")
    return "\n".join(out)


def single(origin: str, message: str, line: int | None = None) -> ConfigError:
    """The ConfigError of one problem about the whole file (at `line`, when known)."""
    return ConfigError(render(origin, [Problem("", message, line)]))
