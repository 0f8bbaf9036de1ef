"""Include/exclude patterns: glob by default, "re:" for a regular expression, "org/name" for full names.

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
        if any(p.matches(name, full_name) for p in self.exclude):
            return False
        return any(p.matches(name, full_name) for p in self.include)


@dataclass(frozen=True)
class RepoTraits:
    """What the GitHub filters look at in a repository."""

    name: str
    full_name: str
    archived: bool
    fork: bool
    visibility: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class RepoFilter:
    """Every GitHub filter of a source: names, archived, forks, visibility, topics."""

    names: NameFilter
    archived: bool = False
    forks: bool = True
    visibility: frozenset[str] = frozenset({"public", "private", "internal"})
    topics_include: frozenset[str] = frozenset()
    topics_exclude: frozenset[str] = frozenset()

    def matches(self, repo: RepoTraits) -> bool:
        """True when the repository passes every filter."""
        if repo.archived and not self.archived:
            return False
        if repo.fork and not self.forks:
            return False
        if repo.visibility.lower() not in self.visibility:
            return False
        if self.topics_include or self.topics_exclude:
            topics = {t.lower() for t in repo.topics}
            if self.topics_include and not topics & self.topics_include:
                return False
            if topics & self.topics_exclude:
                return False
        return self.names.matches(repo.name, repo.full_name)
