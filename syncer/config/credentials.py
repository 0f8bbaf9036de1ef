"""The configuration's secrets: `<secret>_file` keys read from files, and every secret registered for redaction.

A secret file is a regular UTF-8 file of at most 64 KiB (see config.files); surrounding whitespace is dropped. An
absolute path is used as written; a relative one is relative to the configuration file's folder (to the working
directory for a configuration given as a tree rather than a file).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, SecretStr

from syncer.config.files import SECRET_LIMIT, read_text
from syncer.config.interpolation import SECRET_KEYS
from syncer.config.problems import FILE_SUFFIX, Problems
from syncer.config.schema import Config
from syncer.errors import ConfigError
from syncer.redact import REDACTOR

SUFFIX = FILE_SUFFIX
UNREAD = "(unread)"  # stands for a secret whose file could not be read; never validated into a configuration
PEM_LINE = 16  # PEM body lines at least this long are masked on their own too


def read_files(section: dict[str, object], where: str, base: Path | None, found: Problems) -> dict[str, object]:
    """Replace `<secret>_file: PATH` with `<secret>: <file contents>` in one mapping; record what goes wrong.

    A file that cannot be read leaves UNREAD as the secret, so the models still judge the rest of the mapping.
    """
    for key in [k for k in section if k.endswith(SUFFIX) and k.removesuffix(SUFFIX) in SECRET_KEYS]:
        secret = key.removesuffix(SUFFIX)
        name = f"{where}.{key}" if where else key
        path = section.pop(key)
        if section.get(secret) is not None:
            found.add(name, f"give either {secret} or {key}, not both")
            continue
        section[secret] = UNREAD
        if found.covers(name):  # its ${VAR} already failed: no file to look for
            continue
        if not isinstance(path, str) or not path.strip():
            found.add(name, "must be a file path")
            continue
        file = Path(path)
        if base is not None and not file.is_absolute():
            file = base / file
        try:
            value = read_text(file, SECRET_LIMIT, name).strip()
        except ConfigError as exc:
            found.add_error(name, exc)
            continue
        if not value:
            found.add(name, f"{file} is empty")
            continue
        section[secret] = value
    return section


def register(config: Config) -> None:
    """Tell the process redactor every secret of a loaded configuration (and the forms derived from them).

    Every SecretStr anywhere in the configuration; for a Jira Cloud site also the base64 of `email:api_token`
    that its basic-auth header carries; the password (and basic-auth form) of any URL written with userinfo.
    Secrets are only ever added: a configuration being validated for a reload must not unmask the running one's.
    """
    for value in _walk(config):
        if isinstance(value, SecretStr):
            secret = value.get_secret_value()
            REDACTOR.add(secret)
            if "-----BEGIN" in secret:  # an answer may quote one line of a PEM key
                REDACTOR.add(*(line.strip() for line in secret.splitlines() if len(line.strip()) >= PEM_LINE))
        elif isinstance(value, str) and "@" in value and "://" in value:
            _register_userinfo(value)
    if config.jira is not None:
        for source in config.jira.sources:
            if source.email and source.api_token is not None:
                REDACTOR.add_basic_auth(source.email, source.api_token.get_secret_value())


def _register_userinfo(url: str) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return
    if parts.password:
        user, password = unquote(parts.username or ""), unquote(parts.password)
        REDACTOR.add(parts.password, password)
        REDACTOR.add_basic_auth(user, password)
    elif parts.username:
        REDACTOR.add(parts.username, unquote(parts.username))


def _walk(value: object) -> Iterator[object]:
    """Every leaf value of a model tree."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name))
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    else:
        yield value
