"""Include/exclude name patterns: glob by default, "re:" for a regular expression, "org/name" for full names.

Rules (pure, no I/O):
- a pattern without "/" matches the short name (repo name, project key, subdomain);
- a pattern with "/" matches the full name ("org/repo") where one is given;
- matching is case-insensitive, as GitHub, Jira and PagerDuty names are;
- an item is kept when it matches an include pattern and no exclude pattern: exclude wins.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass

from syncer.filters.verdict import Verdict, listed

REGEX_PREFIX = "re:"


@dataclass(frozen=True)
class Pattern:
    """One compiled pattern and the text it came from."""

    text: str
    regex: re.Pattern[str]
    full_name: bool

    def matches(self, name: str, full_name: str | None = None) -> bool:
        """True when the pattern matches the name (or the full name for "org/name" patterns)."""
        if self.full_name:
            return full_name is not None and self.regex.fullmatch(full_name) is not None
        return self.regex.fullmatch(name) is not None


def compile_pattern(text: str) -> Pattern:
    """Compile one pattern; raise ValueError with the reason when it is not valid."""
    if not text:
        raise ValueError("empty pattern")
    if text.startswith(REGEX_PREFIX):
        body = text[len(REGEX_PREFIX) :]
        try:
            regex = re.compile(body, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {body!r}: {exc}") from exc
        return Pattern(text, regex, "/" in body)
    regex = re.compile(fnmatch.translate(text), re.IGNORECASE)
    return Pattern(text, regex, "/" in text)


def compile_patterns(texts: Sequence[str]) -> tuple[Pattern, ...]:
    """Compile a list of patterns, naming the index of the first bad one."""
    out = []
    for index, text in enumerate(texts):
        try:
            out.append(compile_pattern(text))
        except ValueError as exc:
            raise ValueError(f"[{index}] {exc}") from exc
    return tuple(out)


@dataclass(frozen=True)
class NameFilter:
    """Include/exclude pattern lists; exclude wins."""

    include: tuple[Pattern, ...]
    exclude: tuple[Pattern, ...] = ()

    @classmethod
    def of(cls, include: Sequence[str] = ("*",), exclude: Sequence[str] = ()) -> NameFilter:
        """Build a filter from pattern texts."""
        return cls(compile_patterns(include), compile_patterns(exclude))

    def matches(self, name: str, full_name: str | None = None) -> bool:
        """True when the name is included and not excluded."""
        return self.first_failing_rule(name, full_name) is None

    def first_failing_rule(self, name: str, full_name: str | None = None) -> str | None:
        """`exclude` when an exclude pattern matches (exclude wins), `include` when no include pattern does, or None."""
        if any(p.matches(name, full_name) for p in self.exclude):
            return "exclude"
        if not any(p.matches(name, full_name) for p in self.include):
            return "include"
        return None

    def verdicts(self, name: str, full_name: str | None = None) -> tuple[Verdict, Verdict]:
        """The include and the exclude verdicts, each naming the first pattern (in configured order) that matches."""
        included = next((p for p in self.include if p.matches(name, full_name)), None)
        excluded = next((p for p in self.exclude if p.matches(name, full_name)), None)
        if included is not None:
            take = Verdict("include", True, f'matches include pattern "{included.text}"')
        elif self.include:
            take = Verdict("include", False, f"matches no include pattern ({listed(p.text for p in self.include)})")
        else:
            take = Verdict("include", False, "include is empty: it keeps nothing")
        if excluded is not None:
            drop = Verdict("exclude", False, f'matches exclude pattern "{excluded.text}", and exclude wins')
        elif self.exclude:
            drop = Verdict("exclude", True, f"matches no exclude pattern ({listed(p.text for p in self.exclude)})")
        else:
            drop = Verdict("exclude", True, "no exclude pattern")
        return take, drop
