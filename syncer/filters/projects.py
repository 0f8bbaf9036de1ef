"""The Jira filters of one source: project key patterns, trashed and archived projects, project types, categories.

Project types and category names are compared case-insensitively (Jira shows `software`, a category as its admin
spelt it: `engineering` in the configuration finds `Engineering`).
"""

from __future__ import annotations

from dataclasses import dataclass

from syncer.filters.patterns import NameFilter
from syncer.filters.verdict import Verdict


@dataclass(frozen=True, slots=True)
class ProjectTraits:
    """What the Jira filters look at in a project."""

    key: str
    type_key: str | None
    archived: bool
    deleted: bool = False  # in the trash (Jira Cloud)
    category: str | None = None  # the name of its projectCategory; None: no category


@dataclass(frozen=True)
class ProjectFilter:
    """Every Jira filter of a source; a project in the trash is never kept."""

    names: NameFilter
    archived: bool = False
    project_types: frozenset[str] = frozenset()  # casefolded; empty: every type
    categories: frozenset[str] = frozenset()  # casefolded; empty: any category, or none

    def matches(self, project: ProjectTraits) -> bool:
        """True when the project passes every filter."""
        return self.first_failing_rule(project) is None

    def first_failing_rule(self, project: ProjectTraits) -> str | None:
        """The key of the first rule (in the order they are tried) that drops the project, or None when it is kept."""
        if project.deleted:
            return "deleted"
        if project.archived and not self.archived:
            return "archived"
        if self.project_types and not self._typed(project):
            return "project_types"
        if self.categories and (project.category is None or project.category.casefold() not in self.categories):
            return "categories"
        return self.names.first_failing_rule(project.key)

    def verdicts(self, project: ProjectTraits) -> tuple[Verdict, ...]:
        """Every rule's verdict, in the order they apply; the project is kept when all passed (equal to `matches`)."""
        return (
            *self.names.verdicts(project.key),
            self._deleted(project),
            self._archived(project),
            self._types(project),
            self._categories(project),
        )

    @staticmethod
    def _deleted(project: ProjectTraits) -> Verdict:
        if project.deleted:
            return Verdict("deleted", False, "in the trash: a deleted project is never kept")
        return Verdict("deleted", True, "not in the trash")

    def _archived(self, project: ProjectTraits) -> Verdict:
        if not project.archived:
            return Verdict("archived", True, "not archived")
        if self.archived:
            return Verdict("archived", True, "archived, and archived: true keeps archived projects")
        return Verdict("archived", False, "archived, and archived: false drops archived projects")

    def _types(self, project: ProjectTraits) -> Verdict:
        if not self.project_types:
            return Verdict("project_types", True, "project_types is empty: every type")
        asked = ", ".join(sorted(self.project_types))
        shown = project.type_key or "no type"
        if self._typed(project):
            return Verdict("project_types", True, f"{shown}, one of project_types [{asked}]")
        return Verdict("project_types", False, f"{shown}, not one of project_types [{asked}]")

    def _typed(self, project: ProjectTraits) -> bool:
        return project.type_key is not None and project.type_key.casefold() in self.project_types

    def _categories(self, project: ProjectTraits) -> Verdict:
        if not self.categories:
            return Verdict("categories", True, "categories is empty: any category")
        asked = ", ".join(sorted(self.categories))
        if project.category is None:
            return Verdict("categories", False, f"no category, and categories asks for one of [{asked}]")
        if project.category.casefold() in self.categories:
            return Verdict("categories", True, f'category "{project.category}", one of categories [{asked}]')
        return Verdict("categories", False, f'category "{project.category}", not one of categories [{asked}]')
