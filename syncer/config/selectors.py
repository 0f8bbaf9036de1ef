"""Value types of the 0.2 selectors: GitHub custom properties, languages, pushed_within; Jira categories.

- `custom_properties: {team: [payments, core]}`: a property name as GitHub allows one (`a-z A-Z 0-9 _ - $ #`, at
  most 75 characters), each with at least one value, a string (`"true"` for a true/false property, quoted) of
  printable ASCII without `"` (what GitHub allows in a value). Names and values are compared exactly, as GitHub
  stores them.
- `languages: [python, go]`, `categories: [Engineering]`: non-empty names, compared case-insensitively.
- `pushed_within: 365d`: a duration from 1h to 100 years.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

from syncer.config.values import duration, kind

MAX_PROPERTY_NAME = 75  # GitHub's limit on a custom property name
MIN_PUSHED_WITHIN = 3600
MAX_PUSHED_WITHIN = 100 * 365 * 86400
_PROPERTY_NAME = re.compile(r"^[A-Za-z0-9_$#-]+$")
_PROPERTY_VALUE = re.compile(r"^[\x20-\x21\x23-\x7e]+$")  # printable ASCII but "


def _property_name(value: str) -> str:
    if len(value) > MAX_PROPERTY_NAME or not _PROPERTY_NAME.match(value):
        raise ValueError(
            f"{value[:80]!r} is not a GitHub custom property name (letters, digits, _ - $ #; at most 75 characters)"
        )
    return value


def _property_value(value: object) -> object:
    if isinstance(value, bool):
        spelt = str(value).lower()
        raise ValueError(f'must be a string: quote it ("{spelt}"), as GitHub holds a true/false property\'s value')
    if not isinstance(value, str):
        raise ValueError(f"must be a string (a property's value as GitHub shows it), not {kind(value)}")
    if not _PROPERTY_VALUE.match(value):
        raise ValueError("must be printable ASCII text without a double quote (what GitHub allows in a value)")
    return value


def _property_values(value: object) -> object:
    if isinstance(value, str):
        raise ValueError(f"must be a list of values, such as [{value[:40]}] (one of them must be the repo's)")
    if isinstance(value, list) and not value:
        raise ValueError("give at least one value (leave the property out to not filter on it)")
    return value


def _name(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be empty")
    return value


PropertyName = Annotated[str, AfterValidator(_property_name)]
PropertyValue = Annotated[str, BeforeValidator(_property_value)]
PropertyValues = Annotated[list[PropertyValue], BeforeValidator(_property_values)]
CustomProperties = dict[PropertyName, PropertyValues]
"""`custom_properties`: each named property must hold one of its values; {} = any."""

Names = list[Annotated[str, BeforeValidator(_name)]]
"""`languages`, `categories`: names compared case-insensitively; [] = any."""

PushedWithin = Annotated[str | None, duration(MIN_PUSHED_WITHIN, MAX_PUSHED_WITHIN, optional=True)]
"""`pushed_within`: only repos pushed within this window; null = any."""
