"""The filter traits of one GitHub repo object, every field checked against its JSON type (`minimal-repository`).

`name`/`full_name` strings, `private`/`fork`/`archived`/`is_template`/`disabled` booleans, `topics` a list of
strings, `visibility` a string (absent on old GHES, where `private` tells), `language` a string or null,
`pushed_at` an ISO 8601 date-time or null, `custom_properties` (github.com and GHES 3.18+; absent or null: not
known) an object whose values are a string, a list of strings (a multi-select) or null (unset). A field of another
type raises ValueError: the page holding the repo fails, nothing is guessed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType

from syncer.config.schema import VISIBILITIES
from syncer.filters import Properties, RepoTraits

_FLAGS = ("archived", "fork", "is_template", "disabled")
_ABSENT = object()
NO_PROPERTIES: Properties = MappingProxyType({})  # shared by every repo with no property set
_JSON_TYPES = {
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    list: "a list",
    dict: "an object",
}


def traits(item: object, org: str | None = None) -> RepoTraits:
    """The filter traits of one repo object, every field checked against its JSON type; ValueError when not."""
    if type(item) is not dict:
        raise ValueError(f"expected an object, got {json_type(item)}")
    get = item.get
    name = get("name", _ABSENT)
    full_name = get("full_name", _ABSENT)
    if type(name) is not str or not name or "/" in name:
        raise ValueError(f"name is {json_type(name)}" if type(name) is not str else f"name {shown(name)} is invalid")
    if type(full_name) is not str:
        raise ValueError(f"full_name of {shown(name)} is {json_type(full_name)}")
    owner, slash, rest = full_name.partition("/")
    if not slash or not owner or rest != name:
        raise ValueError(f"full_name {shown(full_name)} is not <org>/{shown(name)}")
    if org is not None and owner.casefold() != org.casefold():
        raise ValueError(f"full_name {shown(full_name)} is not in the org {org}")
    ident = get("id", 0)
    if type(ident) is not int:
        raise ValueError(f"id of {shown(full_name)} is {json_type(ident)}, expected a number")
    for flag in _FLAGS:
        value = get(flag, False)
        if type(value) is not bool:
            raise ValueError(f"{flag} of {shown(full_name)} is {json_type(value)}, expected a boolean")
    private = get("private", _ABSENT)
    if private is not _ABSENT and type(private) is not bool:
        raise ValueError(f"private of {shown(full_name)} is {json_type(private)}, expected a boolean")
    visibility = get("visibility", _ABSENT)
    if visibility is _ABSENT:  # old GHES: no visibility field, `private` tells
        if private is _ABSENT:
            raise ValueError(f"{shown(full_name)} has neither visibility nor private")
        visibility = "private" if private else "public"
    elif type(visibility) is not str or visibility not in VISIBILITIES:
        quoted = shown(visibility) if type(visibility) is str else json_type(visibility)
        raise ValueError(f"visibility of {shown(full_name)} is {quoted}, expected one of {', '.join(VISIBILITIES)}")
    elif private is not _ABSENT and private != (visibility != "public"):
        raise ValueError(f"{shown(full_name)} has visibility {visibility} but private {str(private).lower()}")
    topics = get("topics", _ABSENT)
    if topics is _ABSENT:
        topics = []
    elif type(topics) is not list:
        raise ValueError(f"topics of {shown(full_name)} is {json_type(topics)}, expected a list of strings")
    if any(type(t) is not str for t in topics):
        raise ValueError(f"topics of {shown(full_name)} holds something that is not a string")
    language = get("language")
    if language is not None and type(language) is not str:
        raise ValueError(f"language of {shown(full_name)} is {json_type(language)}, expected a string or null")
    return RepoTraits(
        name=name,
        full_name=full_name,
        archived=get("archived", False),
        fork=get("fork", False),
        visibility=visibility,
        topics=tuple(topics),
        language=language,
        pushed_at=_instant(get("pushed_at"), "pushed_at", full_name),
        custom_properties=_properties(get("custom_properties"), full_name),
    )


def _instant(value: object, field: str, full_name: str) -> datetime | None:
    """An ISO 8601 date-time (UTC when it names no offset) or null; ValueError for anything else."""
    if value is None:
        return None
    if type(value) is not str:
        raise ValueError(f"{field} of {shown(full_name)} is {json_type(value)}, expected a date-time or null")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{field} of {shown(full_name)} is {shown(value)}, not a date-time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _properties(value: object, full_name: str) -> Properties | None:
    """A repo's `custom_properties` object (None when absent or null: not known); ValueError when malformed."""
    if value is None:
        return None
    if type(value) is not dict:
        raise ValueError(f"custom_properties of {shown(full_name)} is {json_type(value)}, expected an object")
    if not value:
        return NO_PROPERTIES
    found: dict[str, tuple[str, ...]] = {}
    for name, held in value.items():
        values = property_values(held, f"custom property {shown(name)} of {shown(full_name)}")
        if values is not None:
            found[name] = values
    return found


def property_values(held: object, what: str) -> tuple[str, ...] | None:
    """A property's value as a tuple of strings (one for a string, several for a multi-select); None when unset
    (null); ValueError naming `what` for anything else."""
    if held is None:
        return None
    if type(held) is str:
        return (held,)
    if type(held) is list and all(type(item) is str for item in held):
        return tuple(held)
    raise ValueError(f"{what} is {json_type(held)}, expected a string, a list of strings or null")


def json_type(value: object) -> str:
    """How an error names the JSON type of a value ("a string", "null", "missing", ...)."""
    if value is _ABSENT:
        return "missing"
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), type(value).__name__)


def shown(text: str) -> str:
    """A text as an error quotes it: repr of at most 100 characters."""
    return repr(text[:100])
