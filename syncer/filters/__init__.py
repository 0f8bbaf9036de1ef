"""The filters of every source (pure, no I/O), and the verdict of each rule on one listed item.

- `patterns`: include/exclude name patterns (glob, "re:" regex, "org/name"), exclude wins — every source;
- `repos`: the GitHub filters of a source (`RepoFilter` over `RepoTraits`);
- `projects`: the Jira filters of a source (`ProjectFilter` over `ProjectTraits`);
- `verdict`: `Verdict(rule, passed, detail)`; each filter's `verdicts(item)` evaluates every rule in the order they
  apply (none is skipped), and its `matches(item)` (the hot path, no verdict built) equals all of them passing;
- `drops`: each filter's `first_failing_rule(item)` (the hot path of a listing: the rule that drops the item, or
  None) and `sort_out`, the kept items and the dropped ones counted by reason (`archived`, `forks`, `pattern`, ...).
"""

from __future__ import annotations

from syncer.filters.drops import Drops, reason, sort_out
from syncer.filters.patterns import REGEX_PREFIX, NameFilter, Pattern, compile_pattern, compile_patterns
from syncer.filters.projects import ProjectFilter, ProjectTraits
from syncer.filters.repos import Properties, PropertyRule, RepoFilter, RepoTraits
from syncer.filters.verdict import Verdict

__all__ = [
    "REGEX_PREFIX",
    "Drops",
    "NameFilter",
    "Pattern",
    "ProjectFilter",
    "ProjectTraits",
    "Properties",
    "PropertyRule",
    "RepoFilter",
    "RepoTraits",
    "Verdict",
    "compile_pattern",
    "compile_patterns",
    "reason",
    "sort_out",
]
