"""The keys of the configuration file, from the models: which keys a mapping takes, and the closest to a typo.

A mapping's keys are its model's fields plus `<secret>_file` for each secret field (read by config.credentials).
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from difflib import get_close_matches
from typing import Annotated, Union, get_args, get_origin

from pydantic import BaseModel

from syncer.config.interpolation import SECRET_KEYS
from syncer.config.problems import FILE_SUFFIX
from syncer.config.schema import Config

_CUTOFF = 0.6  # difflib's default: `max_deletion` finds `max_deletions`, `bogus` finds nothing


def keys_of(model: type[BaseModel]) -> list[str]:
    """The keys a mapping of `model` takes: its fields, and the `_file` twin of each secret among them."""
    fields = list(model.model_fields)
    return fields + [f"{name}{FILE_SUFFIX}" for name in fields if name in SECRET_KEYS]


def model_at(path: Sequence[str | int], root: type[BaseModel] = Config) -> type[BaseModel] | None:
    """The model of the mapping at `path` (`("github", "sources", 0)` → GithubSource), or None when not a model."""
    current: list[object] = [root]
    for part in path:
        current = [step for tp in current for step in _step(tp, part)]
    models = [m for tp in current for m in _options(tp) if isinstance(m, type) and issubclass(m, BaseModel)]
    return models[0] if models else None


def closest(key: str, path: Sequence[str | int]) -> str | None:
    """The valid key nearest to `key` in the mapping at `path`, when one is near enough to be a typo."""
    model = model_at(path)
    if model is None:
        return None
    matches = get_close_matches(key, keys_of(model), n=1, cutoff=_CUTOFF)
    return matches[0] if matches else None


def models(root: type[BaseModel] = Config) -> dict[str, type[BaseModel]]:
    """Every model reachable from `root`, by class name (the names of the JSON Schema's `$defs`)."""
    found: dict[str, type[BaseModel]] = {}
    stack: list[object] = [root]
    while stack:
        tp = stack.pop()
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp.__name__ in found:
                continue
            found[tp.__name__] = tp
            stack.extend(field.annotation for field in tp.model_fields.values())
        else:
            stack.extend(get_args(tp))
    return found


def _step(tp: object, part: str | int) -> list[object]:
    """The types one step below `tp` along `part` (a field or dict key when a string, a list index when an int)."""
    out: list[object] = []
    for option in _options(tp):
        if isinstance(option, type) and issubclass(option, BaseModel):
            field = option.model_fields.get(part) if isinstance(part, str) else None
            if field is not None:
                out.append(field.annotation)
            continue
        origin, args = get_origin(option), get_args(option)
        if isinstance(part, int) and origin in (list, tuple, set, frozenset) and args:
            out.append(args[0])
        elif isinstance(part, str) and origin is dict and len(args) == 2:
            out.append(args[1])
    return out


def _options(tp: object) -> list[object]:
    """`tp` without Annotated and Optional wrappers: the alternatives of a union, each unwrapped."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _options(get_args(tp)[0])
    if origin is Union or origin is types.UnionType:
        return [inner for arg in get_args(tp) if arg is not type(None) for inner in _options(arg)]
    return [tp]
