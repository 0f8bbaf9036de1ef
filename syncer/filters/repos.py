"""The GitHub filters of one source: names, archived, forks, visibility, topics, custom properties, language, push date.

Comparisons: topics, languages and visibility are case-insensitive (GitHub shows them in any case); custom property
names and values are compared exactly, as GitHub stores them (a single-select value is one of the property's
allowed values, spelt as defined). A trait that is not known (None) fails the rule that needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from syncer.filters.patterns import NameFilter
from syncer.filters.verdict import Verdict, listed

Properties = Mapping[str, tuple[str, ...]]  # property name -> its values (one for a single value); unset: absent


@dataclass(frozen=True, slots=True)
class RepoTraits:
    """What the GitHub filters look at in a repository (None: not known, or GitHub holds none)."""

    name: str
    full_name: str
    archived: bool
    fork: bool
    visibility: str
    topics: tuple[str, ...]
    language: str | None = None  # the primary language GitHub detected
    pushed_at: datetime | None = None  # the last push (aware); None: never pushed, or not known
    custom_properties: Properties | None = None  # None: the listing did not carry them


@dataclass(frozen=True)
class PropertyRule:
    """`custom_properties: {name: [values]}` for one name: the repo's property must hold one of the values."""

    name: str
    values: tuple[str, ...]

    def holds(self, found: tuple[str, ...] | None) -> bool:
        """True when one of the repo's values (several for a multi-select) is one of ours, compared exactly."""
        return found is not None and any(value in self.values for value in found)


@dataclass(frozen=True)
class RepoFilter:
    """Every GitHub filter of a source; `pushed_after` is the cutoff of `pushed_within`, taken when it was built."""

    names: NameFilter
    archived: bool = False
    forks: bool = True
    visibility: frozenset[str] = frozenset({"public", "private", "internal"})
    topics_include: frozenset[str] = frozenset()  # lower case
    topics_exclude: frozenset[str] = frozenset()  # lower case
    properties: tuple[PropertyRule, ...] = ()
    languages: frozenset[str] = frozenset()  # casefolded; empty: any language
    pushed_after: datetime | None = None  # None: any push date
    pushed_within: str | None = None  # the configured window, as written (for the verdicts)

    @property
    def needs_properties(self) -> bool:
        """True when a custom property rule is configured (the source must know every repo's properties)."""
        return bool(self.properties)

    def matches(self, repo: RepoTraits) -> bool:
        """True when the repository passes every filter (the hot path: no verdict is built)."""
        return self.first_failing_rule(repo) is None

    def first_failing_rule(self, repo: RepoTraits) -> str | None:
        """The key of the first rule (in the order they are tried) that drops the repo, or None when it is kept."""
        if repo.archived and not self.archived:
            return "archived"
        if repo.fork and not self.forks:
            return "forks"
        if repo.visibility.lower() not in self.visibility:
            return "visibility"
        if self.topics_include or self.topics_exclude:
            topics = {t.lower() for t in repo.topics}
            if self.topics_include and not topics & self.topics_include:
                return "topics.include"
            if topics & self.topics_exclude:
                return "topics.exclude"
        if self.properties:
            found = repo.custom_properties
            for rule in self.properties:
                if found is None or not rule.holds(found.get(rule.name)):
                    return f"custom_properties.{rule.name}"
        if self.languages and (repo.language is None or repo.language.casefold() not in self.languages):
            return "languages"
        if self.pushed_after is not None and (repo.pushed_at is None or repo.pushed_at < self.pushed_after):
            return "pushed_within"
        return self.names.first_failing_rule(repo.name, repo.full_name)

    def verdicts(self, repo: RepoTraits) -> tuple[Verdict, ...]:
        """Every rule's verdict, in the order they apply; the repo is kept when all passed (equal to `matches`)."""
        return (
            *self.names.verdicts(repo.name, repo.full_name),
            self._archived(repo),
            self._forks(repo),
            self._visibility(repo),
            *self._topics(repo),
            *self._properties(repo),
            self._languages(repo),
            self._pushed(repo),
        )

    def _archived(self, repo: RepoTraits) -> Verdict:
        if not repo.archived:
            return Verdict("archived", True, "not archived")
        if self.archived:
            return Verdict("archived", True, "archived, and archived: true keeps archived repos")
        return Verdict("archived", False, "archived, and archived: false drops archived repos")

    def _forks(self, repo: RepoTraits) -> Verdict:
        if not repo.fork:
            return Verdict("forks", True, "not a fork")
        if self.forks:
            return Verdict("forks", True, "a fork, and forks: true keeps forks")
        return Verdict("forks", False, "a fork, and forks: false drops forks")

    def _visibility(self, repo: RepoTraits) -> Verdict:
        wanted = ", ".join(sorted(self.visibility))
        if repo.visibility.lower() in self.visibility:
            return Verdict("visibility", True, f"{repo.visibility}, one of visibility [{wanted}]")
        return Verdict("visibility", False, f"{repo.visibility}, not one of visibility [{wanted}]")

    def _topics(self, repo: RepoTraits) -> tuple[Verdict, Verdict]:
        topics = sorted({t.lower() for t in repo.topics})
        wanted = [t for t in topics if t in self.topics_include]
        unwanted = [t for t in topics if t in self.topics_exclude]
        if not self.topics_include:
            take = Verdict("topics.include", True, "topics.include is empty: any topics")
        elif wanted:
            take = Verdict("topics.include", True, f"has topic {listed(wanted[:1])} of topics.include")
        else:
            asked = listed(sorted(self.topics_include))
            take = Verdict(
                "topics.include", False, f"has none of topics.include ({asked}); its topics: {_some(topics)}"
            )
        if unwanted:
            drop = Verdict("topics.exclude", False, f"has topic {listed(unwanted[:1])} of topics.exclude")
        elif self.topics_exclude:
            drop = Verdict(
                "topics.exclude", True, f"has none of topics.exclude ({listed(sorted(self.topics_exclude))})"
            )
        else:
            drop = Verdict("topics.exclude", True, "topics.exclude is empty")
        return take, drop

    def _properties(self, repo: RepoTraits) -> tuple[Verdict, ...]:
        if not self.properties:
            return (Verdict("custom_properties", True, "custom_properties is empty: any properties"),)
        found = repo.custom_properties
        out = []
        for rule in self.properties:
            key = f"custom_properties.{rule.name}"
            asked = f"one of [{listed(rule.values)}]"
            if found is None:
                out.append(Verdict(key, False, "the repo's custom properties are not known"))
            elif (values := found.get(rule.name)) is None:
                out.append(Verdict(key, False, f"{rule.name} is not set (set: {_some(sorted(found))}); wanted {asked}"))
            elif rule.holds(values):
                hit = next(v for v in values if v in rule.values)
                out.append(Verdict(key, True, f'{rule.name} is "{hit}", {asked}'))
            else:
                out.append(Verdict(key, False, f"{rule.name} is {listed(values) or 'empty'}, not {asked}"))
        return tuple(out)

    def _languages(self, repo: RepoTraits) -> Verdict:
        if not self.languages:
            return Verdict("languages", True, "languages is empty: any language")
        asked = ", ".join(sorted(self.languages))
        if repo.language is None:
            return Verdict("languages", False, f"no primary language known, and languages asks for one of [{asked}]")
        if repo.language.casefold() in self.languages:
            return Verdict("languages", True, f"primary language {repo.language}, one of languages [{asked}]")
        return Verdict("languages", False, f"primary language {repo.language}, not one of languages [{asked}]")

    def _pushed(self, repo: RepoTraits) -> Verdict:
        if self.pushed_after is None:
            return Verdict("pushed_within", True, "pushed_within is not set: any push date")
        named = f"pushed_within {self.pushed_within}" if self.pushed_within else "the window"
        window = f"{named} (since {_instant(self.pushed_after)})"
        if repo.pushed_at is None:
            return Verdict("pushed_within", False, f"never pushed (or not known), and {window} asks for a push")
        if repo.pushed_at < self.pushed_after:
            return Verdict("pushed_within", False, f"last pushed {_instant(repo.pushed_at)}, before {window}")
        return Verdict("pushed_within", True, f"last pushed {_instant(repo.pushed_at)}, within {window}")


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _some(texts: list[str], most: int = 10) -> str:
    """Up to `most` texts, quoted; `none` for an empty list."""
    if not texts:
        return "none"
    shown = listed(texts[:most])
    return shown if len(texts) <= most else f"{shown} and {len(texts) - most} more"
