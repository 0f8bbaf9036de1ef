"""The `http` section: settings every API client shares (SPEC §4)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from syncer.config.settings import Strict


class HttpConfig(Strict):
    """`http.ca_bundle`: a PEM file of extra trusted CAs, for every API (GHES or a proxy with a private CA)."""

    ca_bundle: Annotated[str, Field(min_length=1)] | None = None
