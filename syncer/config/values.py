"""Exact value types of the configuration: strict integers, booleans, durations, secrets, URLs and host names.

YAML already says what type a value has, so nothing is guessed: `true` is not a number, `"5"` is not an integer
and `"false"` is not a boolean. The one exception is text that came out of `${VAR}` interpolation (`EnvText`): an
environment variable can only hold text, so `app_id: ${APP_ID}` may be the digits of an integer and
`enabled: ${PD_ENABLED:-true}` may be `true` or `false` (nothing else).

An error may quote a URL or a host name, never its `user:password@` part (see `shown`).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr
from pydantic import Strict as StrictType

from syncer.config import schedule
from syncer.redact import display_url

_ENV_INT = re.compile(r"^-?[0-9]{1,18}$")
_ENV_BOOL = {"true": True, "false": False}
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d+)?$")
_URL = re.compile(r"^https?://[^/\s]+(/\S*)?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SHOWN = 120  # longest value quoted back in an error


class EnvText(str):
    """A string that `${...}` interpolation produced (wholly or in part)."""

    __slots__ = ()


def _env_int(value: object) -> object:
    if isinstance(value, EnvText) and _ENV_INT.match(value.strip()):
        return int(value.strip())
    return value


def _env_bool(value: object) -> object:
    if isinstance(value, EnvText) and value.strip().lower() in _ENV_BOOL:
        return _ENV_BOOL[value.strip().lower()]
    return value


Int = Annotated[int, StrictType(), BeforeValidator(_env_int)]
"""An integer written as one (or the digits of an environment variable); never a bool, a float or a string."""

Flag = Annotated[bool, StrictType(), BeforeValidator(_env_bool)]
"""A boolean written as true/false (or an environment variable holding true/false); never a string or a number."""


def duration(minimum: float, maximum: float, *, optional: bool = False) -> BeforeValidator:
    """The validator of a duration key (`Ns`, `Nm`, `Nh`, `Nd`) between two bounds in seconds; the text is kept.

    Use as `Annotated[str, duration(1, 86400)]`, or `Annotated[str | None, duration(1, 86400, optional=True)]` for
    a key that may be null.
    """

    def check(value: object) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            hint = ": a number needs its unit, such as 900s" if type(value) in (int, float) else ""
            raise ValueError(f"must be a duration such as 90s, 15m, 2h or 1d, not {kind(value)}{hint}")
        schedule.parse_duration(value, minimum=minimum, maximum=maximum)
        return value.strip()

    return BeforeValidator(check)


def kind(value: object) -> str:
    """What sort of YAML value this is, in the operator's words (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def shown(value: str) -> str:
    """A URL or host name as an error may quote it: nothing up to an `@` (userinfo), and not too long."""
    text = display_url(value)
    if "@" in text:
        scheme, sep, _ = text.partition("://")
        text = (f"{scheme}{sep}" if sep else "") + text.rpartition("@")[2]
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")


def check_url(value: str | None) -> str | None:
    """An http(s) URL without spaces; the trailing slash dropped."""
    if value is not None and not _URL.match(value):
        raise ValueError(f"must be an http:// or https:// URL, got {shown(value)}")
    return value.rstrip("/") if value else value


def check_hostname(value: str) -> str:
    """A bare host name, with an optional port."""
    if not _HOSTNAME.match(value):
        raise ValueError(f"must be a bare host name such as github.com (no scheme or path), got {shown(value)}")
    return value


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _one_line(value: SecretStr) -> SecretStr:
    if _CONTROL.search(value.get_secret_value()):
        raise ValueError("must be one line of text (no line breaks or control characters)")
    return value


Secret = Annotated[SecretStr, BeforeValidator(_strip), Field(min_length=1), AfterValidator(_one_line)]
"""A token or key: one line of text, surrounding whitespace dropped as for a secret file."""

PrivateKey = Annotated[SecretStr, Field(min_length=1)]
"""A PEM private key: several lines."""
