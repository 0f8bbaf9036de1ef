"""Reading the configuration file: YAML, ${VAR} interpolation, *_file secrets, env defaults, clear errors."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from syncer.config import Config
from syncer.errors import ConfigError

SECRET_KEYS = frozenset({"token", "api_token", "api_key", "app_key", "private_key"})
_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
Tree = object


def load(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Load and validate a configuration file; raise ConfigError naming the key on any problem."""
    environ = os.environ if env is None else env
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {file}: {exc.strerror or exc}") from exc
    try:
        tree = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {_yaml_problem(exc)}") from None
    if tree is None:
        tree = {}
    if not isinstance(tree, dict):
        raise ConfigError(f"{file}: the top level must be a mapping of sections")
    return parse(tree, environ, origin=str(file))


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                problem = f"key {key!r} is given twice in one mapping"
                raise yaml.constructor.ConstructorError(problem=problem, problem_mark=key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """What is wrong and where, without PyYAML's snippet of the line (it may hold a secret)."""
    problem = getattr(exc, "problem", None) or type(exc).__name__
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else str(problem)


def parse(tree: dict[str, object], env: Mapping[str, str], origin: str = "config") -> Config:
    """Validate an already-parsed configuration tree."""
    resolved = _resolve(tree, env, "")
    assert isinstance(resolved, dict)
    _datadog_defaults(resolved, env)
    try:
        return Config.model_validate(resolved)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: invalid configuration:\n{_describe(exc)}") from None


def _resolve(node: Tree, env: Mapping[str, str], where: str) -> Tree:
    """Interpolate ${VAR} in every string and read every *_file secret, depth first."""
    if isinstance(node, str):
        return _interpolate(node, env, where)
    if isinstance(node, list):
        return [_resolve(item, env, f"{where}[{i}]") for i, item in enumerate(node)]
    if isinstance(node, dict):
        out: dict[str, object] = {}
        for key, value in node.items():
            name = str(key)
            out[name] = _resolve(value, env, f"{where}.{name}" if where else name)
        return _read_secret_files(out, where)
    return node


def _interpolate(text: str, env: Mapping[str, str], where: str) -> str:
    """Replace ${VAR} and ${VAR:-default}; "$$" stands for a literal "$"."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise ConfigError(f"{where}: environment variable {name} is not set")
            return default
        return value

    return _VAR.sub(substitute, text)


def _read_secret_files(section: dict[str, object], where: str) -> dict[str, object]:
    """Replace `<secret>_file: PATH` with `<secret>: <file contents>`."""
    for key in [k for k in section if k.endswith("_file") and k[: -len("_file")] in SECRET_KEYS]:
        secret = key[: -len("_file")]
        name = f"{where}.{key}" if where else key
        if section.get(secret) is not None:
            raise ConfigError(f"{name}: give either {secret} or {key}, not both")
        path = section.pop(key)
        if not isinstance(path, str) or not path:
            raise ConfigError(f"{name}: must be a file path")
        try:
            section[secret] = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{name}: cannot read {path}: {exc.strerror or exc}") from None
        if not section[secret]:
            raise ConfigError(f"{name}: {path} is empty")
    return section


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
    """One line per problem: the dotted key, then what is wrong (input values are never shown)."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"  {path or '(top level)'}: {message}")
    return "\n".join(lines)
