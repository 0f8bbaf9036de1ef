"""Target: where the lists live (Datadog) — the protocol the orchestrator writes through, and an in-memory one."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import Protocol

from syncer.datadog import document
from syncer.deadline import Deadline
from syncer.model import JSON, Current, Integration


class Target(Protocol):
    """Read an integration's stored config and replace it whole."""

    def get_config(self, integration: Integration, deadline: Deadline | None = None) -> Current:
        """The stored config (an empty, non-existing one when nothing is stored)."""
        ...

    def put_config(
        self, integration: Integration, config: Mapping[str, JSON], deadline: Deadline | None = None
    ) -> Current | None:
        """Replace the stored config; what is stored now, or None when the answer did not say."""
        ...


class InMemoryTarget:
    """A Target holding each integration's config object in memory (the list and the keys beside it).

    It parses what it holds exactly as the Datadog client parses Datadog's answers, so a stored shape syncer does
    not understand fails here as it fails there. `writes` records every config put, in order.
    """

    def __init__(self, configs: Mapping[Integration, Mapping[str, JSON]] | None = None) -> None:
        self._lock = threading.Lock()
        self.configs: dict[Integration, dict[str, JSON]] = {
            k: copy.deepcopy(dict(v)) for k, v in (configs or {}).items()
        }
        self.writes: list[tuple[Integration, dict[str, JSON]]] = []

    def __repr__(self) -> str:
        return f"InMemoryTarget(integrations={sorted(self.configs)!r}, writes={len(self.writes)})"

    def get_config(self, integration: Integration, deadline: Deadline | None = None) -> Current:
        """The held config, parsed; an empty, non-existing one when none is held."""
        return self._parsed(integration)

    def put_config(
        self, integration: Integration, config: Mapping[str, JSON], deadline: Deadline | None = None
    ) -> Current | None:
        """Hold `config` as the integration's whole config; returns it as stored."""
        held = copy.deepcopy(dict(config))
        with self._lock:
            self.configs[integration] = held
            self.writes.append((integration, copy.deepcopy(held)))
        return self._parsed(integration)

    def _parsed(self, integration: Integration) -> Current:
        with self._lock:
            config = copy.deepcopy(self.configs.get(integration))
        if config is None:
            return Current(integration=integration)
        return document.parse_response(integration, {"data": {"attributes": {"config": config}}})
