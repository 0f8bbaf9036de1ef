"""Reading the configuration file: YAML, ${VAR} interpolation, *_file secrets, env defaults, clear errors.

Every problem is found before anything is reported: one ConfigError (the CLI exits 2) lists them all, each with its
file:line and dotted key (config.problems), never a traceback, never a secret's value. The rules on input (sizes,
file kinds, YAML aliases and keys, the `${...}` grammar) live in config.files, config.yamlfile and
config.interpolation; a configuration that loads has its secrets registered with the redactor.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from pydantic import ValidationError

from syncer.config import credentials, keys, problems, yamlfile
from syncer.config.files import CONFIG_LIMIT, read_text
from syncer.config.interpolation import SECRET_KEYS, interpolate
from syncer.config.problems import Problem, Problems
from syncer.config.schema import Config
from syncer.config.values import kind
from syncer.errors import ConfigError
from syncer.redact import MASK, MIN_LENGTH, redact

__all__ = ["DATADOG_ENV_DEFAULTS", "SECRET_KEYS", "load", "parse", "register_secrets"]
Tree = object
DATADOG_ENV_DEFAULTS: dict[str, tuple[str, ...]] = {
    "site": ("DD_SITE",),
    "api_key": ("DD_API_KEY",),
    "app_key": ("DD_APP_KEY", "DD_APPLICATION_KEY"),
}
"""The datadog keys the environment supplies when the file leaves them out (the first variable set wins)."""
_DATADOG_REQUIRED = ("api_key", "app_key")
_SCALARS = (str, int, float, bool, type(None))
_TYPE_ERRORS = {"int_type", "bool_type", "string_type", "float_type", "list_type", "dict_type", "model_type"}


def load(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Load and validate a configuration file; ConfigError listing every problem, each with its file:line."""
    environ = os.environ if env is None else env
    file = Path(path)
    text = read_text(file, CONFIG_LIMIT)
    document = yamlfile.load_marked(text, str(file))
    tree = {} if document.data is None else document.data
    if not isinstance(tree, dict):
        raise problems.single(str(file), "the top level must be a mapping of sections", 1)
    base = file.absolute().parent
    return parse(tree, environ, origin=str(file), base=base, lines=document.lines, known=document.problems)


def parse(
    tree: dict[str, object],
    env: Mapping[str, str],
    origin: str = "config",
    base: Path | None = None,
    lines: Mapping[str, int] | None = None,
    known: Iterable[Problem] = (),
) -> Config:
    """Validate an already-parsed configuration tree; relative `*_file` paths are relative to `base`.

    Every problem is collected (interpolation, secret files, environment defaults, then the models) and reported
    in one ConfigError, after `known` (what reading the YAML found); `lines` (from yamlfile.load_marked) places each
    on its line of `origin`. The models get
    `{"base": base}` as their validation context, for the paths they check themselves (`http.ca_bundle`).
    """
    found = Problems(known)
    resolved = _resolve(tree, env, "", base, found)
    if not isinstance(resolved, dict):  # a mapping resolves to a mapping; this names the bug if it did not
        raise problems.single(origin, f"the top level resolved to {kind(resolved)}, not a mapping of sections")
    _datadog_defaults(resolved, env, found)
    config = None
    try:
        config = Config.model_validate(resolved, context={"base": base} if base is not None else None)
    except ValidationError as exc:
        for key, message in _describe(exc):
            if not found.covers(key):
                found.add(key, message)
    if found or config is None:
        raise ConfigError(_scrub(problems.render(origin, found, lines), resolved)) from None
    register_secrets(config)
    return config


def register_secrets(config: Config) -> None:
    """Register every secret of `config` with the process redactor (see credentials.register)."""
    credentials.register(config)


def _resolve(node: Tree, env: Mapping[str, str], where: str, base: Path | None, found: Problems) -> Tree:
    """Interpolate ${VAR} in every string and read every *_file secret, depth first, recording every problem.

    A value that cannot be resolved stays as written, so the models still judge the rest of its mapping (their
    errors about a key already reported are dropped).
    """
    if isinstance(node, str):
        try:
            return interpolate(node, env, where, secret=_key_of(where) in SECRET_KEYS)
        except ConfigError as exc:
            found.add_error(where, exc)
            return node
    if isinstance(node, list):
        return [_resolve(item, env, f"{where}[{i}]", base, found) for i, item in enumerate(node)]
    if isinstance(node, dict):
        out: dict[str, object] = {}
        for key, value in node.items():
            if not isinstance(key, str):
                found.add(where, f"a mapping key must be a string, not {kind(key)}")
                continue
            out[key] = _resolve(value, env, f"{where}.{key}" if where else key, base, found)
        return credentials.read_files(out, where, base, found)
    if not isinstance(node, _SCALARS):
        found.add(where, f"{type(node).__name__} values are not allowed here (quote the value)")
    return node


def _key_of(where: str) -> str:
    """The last key of a dotted path (`github.sources[0].token` → `token`)."""
    return where.rpartition(".")[2].partition("[")[0]


def _datadog_defaults(tree: dict[str, object], env: Mapping[str, str], found: Problems) -> None:
    """Fill datadog.site/api_key/app_key from DD_SITE, DD_API_KEY, DD_APP_KEY (or DD_APPLICATION_KEY)."""
    section = tree.setdefault("datadog", {})
    if section is None:
        section = tree["datadog"] = {}
    if not isinstance(section, dict):
        found.add("datadog", f"must be a mapping, not {kind(section)}")
        return
    for key, variables in DATADOG_ENV_DEFAULTS.items():
        value = next((env[name] for name in variables if env.get(name)), None)
        if section.get(key) in (None, "") and value:
            section[key] = value
    for key in _DATADOG_REQUIRED:
        if section.get(key) in (None, "") and not found.covers(f"datadog.{key}"):
            variable = DATADOG_ENV_DEFAULTS[key][0]
            found.add(f"datadog.{key}", f"not set (set it in the file or the {variable} variable)")


def _describe(exc: ValidationError) -> Iterator[tuple[str, str]]:
    """Each problem as (dotted key, what is wrong); input values are never shown, only their kind."""
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        path = ""
        for part in loc:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
            suggestion = keys.closest(str(loc[-1]), loc[:-1]) if loc else None
            if suggestion:
                message += f" (did you mean {suggestion}?)"
        elif error["type"] in _TYPE_ERRORS:
            message = f"{message}, not {kind(error.get('input'))}"
            given = error.get("input")
            if isinstance(given, str) and _unquoted_would_do(error["type"], given):
                message += " (write it without quotes)"
        yield path, message


def _scrub(message: str, tree: object) -> str:
    """The message without any value given to a secret key, URL userinfo or token shape (defence in depth)."""
    for secret in sorted(set(_secret_values(tree, "")), key=len, reverse=True):
        message = message.replace(secret, MASK)
    return redact(message)


def _secret_values(node: object, key: str) -> Iterator[str]:
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _secret_values(value, str(name))
    elif isinstance(node, list):
        for item in node:
            yield from _secret_values(item, key)
    elif isinstance(node, str) and key in SECRET_KEYS and len(node) >= MIN_LENGTH:
        yield node


def _unquoted_would_do(kind_of: str, text: str) -> bool:
    """True when `text` without quotes is what the key takes: a whole number for an int, true/false for a bool."""
    if kind_of == "int_type":
        return text.strip().lstrip("+-").isdigit()
    return kind_of == "bool_type" and text.strip().lower() in ("true", "false")
