"""Strict reading of Jira answers: project/search pages and Project objects; a wrong JSON type fails, never guesses.

A project's category is its `projectCategory.name`: `project/search` and `GET /project` carry `projectCategory`
without any `expand` (the Project schema of Jira's REST description; absent when the project has no category).
"""

from __future__ import annotations

from dataclasses import dataclass

from syncer.errors import PermanentError
from syncer.filters import ProjectTraits

# Project fields syncer reads or relies on, with the JSON type Jira documents for each (Project in the OpenAPI
# description). Present with any other type (null included), the project is malformed and so is its page.
_PROJECT_FIELDS: tuple[tuple[str, type], ...] = (
    ("id", str),
    ("name", str),
    ("projectTypeKey", str),
    ("archived", bool),
    ("deleted", bool),
    ("projectCategory", dict),
)
_PAGE_INTS = ("startAt", "maxResults", "total")


Project = ProjectTraits  # what the filters look at in a Jira project


@dataclass(frozen=True)
class Page:
    """One project/search page: its projects and what it says about the listing (None: not said)."""

    projects: tuple[Project, ...]
    is_last: bool | None
    total: int | None
    start: int | None


def parse_page(body: object, where: str) -> Page:
    """A project/search page (PageBeanProject); raises PermanentError naming the first field of a wrong type."""
    if not isinstance(body, dict):
        raise PermanentError(f"{where}: expected a page object, got {json_type(body)}")
    if "values" not in body:
        raise PermanentError(f"{where}: expected a page object with a 'values' list; it has no 'values'")
    values = body["values"]
    if not isinstance(values, list):
        raise PermanentError(f"{where}: malformed page: 'values' is {json_type(values)}, not a list")
    is_last = body.get("isLast")
    if "isLast" in body and not isinstance(is_last, bool):
        raise PermanentError(f"{where}: malformed page: 'isLast' is {json_type(is_last)}, not a boolean")
    numbers: dict[str, int | None] = {}
    for name in _PAGE_INTS:
        value = body.get(name)
        if name in body and not _count(value):
            raise PermanentError(f"{where}: malformed page: {name!r} is {json_type(value)}, not a whole number ≥ 0")
        numbers[name] = value if isinstance(value, int) else None
    projects = tuple(parse_project(item, where) for item in values)
    return Page(projects, is_last if isinstance(is_last, bool) else None, numbers["total"], numbers["startAt"])


def parse_list(body: object, where: str) -> tuple[Project, ...]:
    """GET /project (Data Center): a JSON list of projects."""
    if not isinstance(body, list):
        raise PermanentError(f"{where}: expected a JSON list of projects, got {json_type(body)}")
    return tuple(parse_project(item, where) for item in body)


def parse_project(item: object, where: str) -> Project:
    """One Project object; a missing key or a field of the wrong type is a failure, never skipped."""
    if not isinstance(item, dict):
        raise PermanentError(f"{where}: malformed project: expected an object, got {json_type(item)}")
    key = item.get("key")
    if not isinstance(key, str):
        shown = f"{json_type(key)}, not a string" if "key" in item else "missing"
        raise PermanentError(f"{where}: malformed project: 'key' is {shown}")
    if not key.strip():
        raise PermanentError(f"{where}: malformed project: 'key' is empty")
    for name, kind in _PROJECT_FIELDS:
        if name in item and not isinstance(item[name], kind):
            raise PermanentError(
                f"{where}: malformed project {key[:40]!r}: {name!r} is {json_type(item[name])}, not {_NAMES[kind]}"
            )
    type_key = item.get("projectTypeKey")
    return Project(
        key=key,
        type_key=type_key if isinstance(type_key, str) else None,
        archived=item.get("archived") is True,
        deleted=item.get("deleted") is True,
        category=_category(item.get("projectCategory"), key, where),
    )


def _category(value: object, key: str, where: str) -> str | None:
    """The name of a project's `projectCategory` (a ProjectCategory object; absent: no category)."""
    if not isinstance(value, dict):
        return None
    name = value.get("name")
    if "name" in value and not isinstance(name, str):
        raise PermanentError(
            f"{where}: malformed project {key[:40]!r}: 'projectCategory.name' is {json_type(name)}, not a string"
        )
    return name if isinstance(name, str) and name else None


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


_NAMES: dict[type, str] = {str: "a string", bool: "a boolean", dict: "an object", list: "a list", int: "a number"}


def json_type(value: object) -> str:
    """How an error names the JSON type of a value ("a string", "null", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value!r:.20})"
    if isinstance(value, str):  # shown only when short and whole: a cut echo of a secret would not be masked
        return f"a string ({value!r})" if len(value) <= 12 else "a string"
    return _NAMES.get(type(value), type(value).__name__)
