"""`${VAR}` interpolation of configuration values, with one exact grammar.

- `${NAME}` is the environment variable NAME (`[A-Za-z_][A-Za-z0-9_]*`); unset is an error naming it;
- `${NAME:-default}` falls back to `default` when NAME is unset or empty; the default is plain text (no `$`, `{`
  or `}`: nesting such as `${A:-${B}}` is an error);
- `$$` is a literal `$`;
- anything else that starts with `${` (unterminated, empty, a bad name, another operator) is an error;
- a bare `$NAME` (a `$` before a letter or `_`) is an error in every value: it was meant as a variable, and the
  error says to write `${NAME}` (naming it, except where that would show part of a secret);
- in a secret (token, api_token, api_key, app_key, private_key, secret) every `$` must be `$$`, `${NAME}` or
  `${NAME:-default}`; elsewhere a `$` before anything else stays literal (`re:^v[0-9]+$` is a regex).

Errors name the key and the position, never the value (it may be a secret). What interpolation produced is an
`EnvText`, so that `app_id: ${APP_ID}` may hold the digits of an integer (see config.values).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from syncer.config.values import EnvText
from syncer.errors import ConfigError

SECRET_KEYS = frozenset({"token", "api_token", "api_key", "app_key", "private_key", "secret"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_STYLE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_HOW = "write ${NAME} for an environment variable, or $$ for a literal $"


def interpolate(text: str, env: Mapping[str, str], where: str, secret: bool) -> str:
    """`text` with every `${...}` replaced; ConfigError naming `where` for anything malformed."""
    if "$" not in text:
        return text
    out: list[str] = []
    substituted = False
    i = 0
    while i < len(text):
        dollar = text.find("$", i)
        if dollar < 0:
            out.append(text[i:])
            break
        out.append(text[i:dollar])
        following = text[dollar + 1 : dollar + 2]
        if following == "$":
            out.append("$")
            i = dollar + 2
        elif following == "{":
            value, i = _braced(text, dollar, env, where)
            out.append(value)
            substituted = True
        elif following and (following.isalpha() or following == "_") and following.isascii():
            raise ConfigError(
                f"{where}: a bare $NAME (at character {dollar + 1}) is not replaced: {_bare(text, dollar, secret)}"
            )
        elif secret:
            raise ConfigError(f"{where}: a lone $ (at character {dollar + 1}) in a secret: {_HOW}")
        else:
            out.append("$")
            i = dollar + 1
    result = "".join(out)
    return EnvText(result) if substituted else result


def _bare(text: str, dollar: int, secret: bool) -> str:
    """How to write the variable a bare `$NAME` meant: named, unless that could show part of a secret.

    In a secret the name is shown only when the whole value is `$NAME` with NAME in the environment's style
    (`$GITHUB_TOKEN`): a literal secret that merely contains a `$` keeps its text to itself.
    """
    match = _NAME.match(text, dollar + 1)
    name = match.group(0) if match else ""
    if secret and not (text.strip() == f"${name}" and _ENV_STYLE.match(name)):
        return _HOW
    return f"write ${{{name}}} for the environment variable {name}, or $$ for a literal $"


def _braced(text: str, dollar: int, env: Mapping[str, str], where: str) -> tuple[str, int]:
    """The value of the `${...}` starting at `dollar`, and the index after its closing brace."""
    at = f"(at character {dollar + 1})"
    close = text.find("}", dollar + 2)
    nested = text.find("${", dollar + 2)
    if close < 0:
        if nested >= 0:
            raise ConfigError(f"{where}: nested ${{...}} {at} is not supported: use ${{NAME:-default}}, plain text")
        raise ConfigError(f"{where}: unterminated ${{ {at}: {_HOW} (with its closing brace)")
    body = text[dollar + 2 : close]
    if not body:
        raise ConfigError(f"{where}: empty ${{}} {at}: {_HOW}")
    name_match = _NAME.match(body)
    name = name_match.group(0) if name_match else ""
    rest = body[len(name) :]
    if "$" in body or "{" in body:
        raise ConfigError(f"{where}: nested ${{...}} {at} is not supported: a default is plain text")
    if not name or (rest and not rest.startswith(":-")):
        raise ConfigError(
            f"{where}: invalid ${{...}} {at}: use ${{NAME}} or ${{NAME:-default}}, NAME of letters, digits, _"
        )
    default = rest[2:] if rest else None
    value = env.get(name)
    if value is None or (value == "" and default is not None):
        if default is None:
            raise ConfigError(f"{where}: environment variable {name} is not set")
        return default, close + 1
    return value, close + 1
