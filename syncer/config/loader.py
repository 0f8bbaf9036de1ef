"""Reading the configuration file: YAML, ${VAR} interpolation, *_file secrets, env defaults, clear errors.

Every problem is a ConfigError naming the file or the key (the CLI exits 2), never a traceback, never a secret's
value. The rules on input (sizes, file kinds, YAML aliases and keys, the `${...}` grammar) live in config.files,
config.yamlfile and config.interpolation; a configuration that loads has its secrets registered with the redactor.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from pydantic import ValidationError

from syncer.config import credentials, yamlfile
from syncer.config.files import CONFIG_LIMIT, read_text
from syncer.config.interpolation import SECRET_KEYS, interpolate
from syncer.config.schema import Config
from syncer.config.values import kind
from syncer.errors import ConfigError
from syncer.redact import MASK, MIN_LENGTH, redact

__all__ = ["SECRET_KEYS", "load", "parse", "register_secrets"]
Tree = object
_SCALARS = (str, int, float, bool, type(None))
_TYPE_ERRORS = {"int_type", "bool_type", "string_type", "float_type", "list_type", "dict_type", "model_type"}


def load(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Load and validate a configuration file; raise ConfigError naming the key on any problem."""
    environ = os.environ if env is None else env
    file = Path(path)
    text = read_text(file, CONFIG_LIMIT)
    tree = yamlfile.load(text, str(file))
    if tree is None:
        tree = {}
    if not isinstance(tree, dict):
        raise ConfigError(f"{file}: the top level must be a mapping of sections")
    return parse(tree, environ, origin=str(file), base=file.parent)


def parse(tree: dict[str, object], env: Mapping[str, str], origin: str = "config", base: Path | None = None) -> Config:
    """Validate an already-parsed configuration tree; relative `*_file` paths are relative to `base`."""
    try:
        resolved = _resolve(tree, env, "", base)
        if not isinstance(resolved, dict):  # a mapping resolves to a mapping; this names the bug if it did not
            raise ConfigError(f"the top level resolved to {kind(resolved)}, not a mapping of sections")
        _datadog_defaults(resolved, env)
    except ConfigError as exc:
        raise ConfigError(redact(f"{origin}: {exc}")) from None
    try:
        config = Config.model_validate(resolved)
    except ValidationError as exc:
        message = _scrub(f"{origin}: invalid configuration:\n{_describe(exc)}", resolved)
        raise ConfigError(message) from None
    register_secrets(config)
    return config


def register_secrets(config: Config) -> None:
    """Register every secret of `config` with the process redactor (see credentials.register)."""
    credentials.register(config)


def _resolve(node: Tree, env: Mapping[str, str], where: str, base: Path | None) -> Tree:
    """Interpolate ${VAR} in every string and read every *_file secret, depth first."""
    if isinstance(node, str):
        return interpolate(node, env, where, secret=_key_of(where) in SECRET_KEYS)
    if isinstance(node, list):
        return [_resolve(item, env, f"{where}[{i}]", base) for i, item in enumerate(node)]
    if isinstance(node, dict):
        out: dict[str, object] = {}
        for key, value in node.items():
            if not isinstance(key, str):
                raise ConfigError(f"{where or '(top level)'}: a mapping key must be a string, not {kind(key)}")
            out[key] = _resolve(value, env, f"{where}.{key}" if where else key, base)
        return credentials.read_files(out, where, base)
    if not isinstance(node, _SCALARS):
        raise ConfigError(f"{where}: {type(node).__name__} values are not allowed here (quote the value)")
    return node


def _key_of(where: str) -> str:
    """The last key of a dotted path (`github.sources[0].token` → `token`)."""
    return where.rpartition(".")[2].partition("[")[0]


def _datadog_defaults(tree: dict[str, object], env: Mapping[str, str]) -> None:
    """Fill datadog.site/api_key/app_key from DD_SITE, DD_API_KEY, DD_APP_KEY (or DD_APPLICATION_KEY)."""
    section = tree.setdefault("datadog", {})
    if section is None:
        section = tree["datadog"] = {}
    if not isinstance(section, dict):
        raise ConfigError("datadog: must be a mapping")
    fallbacks = {
        "site": env.get("DD_SITE"),
        "api_key": env.get("DD_API_KEY"),
        "app_key": env.get("DD_APP_KEY") or env.get("DD_APPLICATION_KEY"),
    }
    for key, value in fallbacks.items():
        if section.get(key) in (None, "") and value:
            section[key] = value
    for key, variable in (("api_key", "DD_API_KEY"), ("app_key", "DD_APP_KEY")):
        if section.get(key) in (None, ""):
            raise ConfigError(f"datadog.{key}: not set (set it in the file or the {variable} variable)")


def _describe(exc: ValidationError) -> str:
    """One line per problem: the dotted key, then what is wrong (input values are never shown, only their kind)."""
    lines = []
    for error in exc.errors(include_url=False):
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] in _TYPE_ERRORS:
            message = f"{message}, not {kind(error.get('input'))}"
            if isinstance(error.get("input"), str) and error["type"] in ("int_type", "bool_type"):
                message += " (write it without quotes)"
        lines.append(f"  {path or '(top level)'}: {message}")
    return "\n".join(lines)


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
