"""Fixtures for the simulator tests: one running Simulator per session, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from syncer.simulator import Simulator


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    """Every fake, started once for the whole session."""
    with Simulator() as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def fresh(sim: Simulator) -> Iterator[None]:
    """Seed data, faults, counters and limits as new before each test."""
    sim.reset()
    yield


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A plain HTTP client, closed after the test (loopback HTTP only, so no TLS setup)."""
    with httpx.Client(timeout=5.0, verify=False) as client:
        yield client


@pytest.fixture
def gh_headers(sim: Simulator) -> dict[str, str]:
    """Authorization for the github.com fake."""
    return {"Authorization": f"token {sim.github.token}"}


@pytest.fixture
def dd_headers(sim: Simulator) -> dict[str, str]:
    """Both Datadog keys."""
    return {"DD-API-KEY": sim.datadog.api_key, "DD-APPLICATION-KEY": sim.datadog.app_key}
