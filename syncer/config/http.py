"""The `http` section: settings every API client shares (SPEC §4).

`http.ca_bundle` is checked when the configuration loads, so a wrong one fails the start (exit 2) naming the key:
the file must be a regular UTF-8 file of at most 4 MiB holding at least one PEM certificate that OpenSSL reads,
and no private key. A relative path is relative to the configuration file's folder when the loader passes it as
the validation context (`{"base": folder}`), else to the working directory; the value kept is the absolute path.
How each client is then made to trust it (in addition to its usual CAs) is `syncer.tls`'s business.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from syncer.config.files import read_text
from syncer.config.settings import Strict
from syncer.errors import ConfigError

CA_BUNDLE_LIMIT = 4 * 1024 * 1024  # certifi's whole bundle is ~300 KB
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"
PEM_PRIVATE_KEY = "PRIVATE KEY-----"


class HttpConfig(Strict):
    """`http.ca_bundle`: a PEM file of extra trusted CAs, for every API (GHES or a proxy with a private CA)."""

    ca_bundle: Annotated[str, Field(min_length=1)] | None = None

    @field_validator("ca_bundle")
    @classmethod
    def _readable_pem(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        base = info.context.get("base") if isinstance(info.context, dict) else None
        file = Path(value).expanduser()
        if not file.is_absolute():
            file = (Path(base) if isinstance(base, (str, Path)) else Path.cwd()) / file
        check_ca_bundle(file)
        return str(file.absolute())


def check_ca_bundle(file: Path) -> str:
    """The PEM text of a CA bundle file; ValueError saying what is wrong with it (the key is named by the caller)."""
    try:
        text = read_text(file, CA_BUNDLE_LIMIT)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    if PEM_PRIVATE_KEY in text:
        raise ValueError(f"{file} holds a private key; give a file of CA certificates only")
    if PEM_CERTIFICATE not in text:
        raise ValueError(f"{file} holds no PEM certificate ({PEM_CERTIFICATE} ...)")
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=text)
    except (ssl.SSLError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or str(exc).split(" (_ssl")[0]
        raise ValueError(f"{file} is not a readable PEM certificate bundle ({reason})") from None
    return text
