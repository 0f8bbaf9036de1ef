"""The factory builds one source per configured entry; the simulator's own configuration discovers everything."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from syncer.config.loader import parse
from syncer.model import Integration, PagerDutyAccount
from syncer.simulator import Simulator
from syncer.sources import factory
from syncer.sources.jira import JiraProjects
from syncer.sources.pagerduty import PagerDutyAccounts

from .conftest import FAST, Sleeps


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    """Every fake API, as `syncer simulate` runs them."""
    with Simulator(scale="small") as running:
        yield running


def test_jira_sources_discover_both_sites(sim: Simulator, sleeps: Sleeps) -> None:
    sim.reset()
    config = parse(sim.config_dict(), sim.env())

    built = factory.sources(Integration.JIRA, config, FAST, sleeps)

    assert [type(s) for s in built] == [JiraProjects, JiraProjects]
    found = [d for source in built for d in source.discover()]
    assert [d.scope.label for d in found] == ["acme.atlassian.net", "jira.acme.internal"]
    assert all(d.ok and d.entries for d in found), [d.error for d in found]
    assert {e.account_id for e in found[0].entries} == {"123456789"}
    assert {e.account_id for e in found[1].entries} == {"987654321"}


def test_pagerduty_sources_carry_their_position_and_the_section_filter(sim: Simulator, sleeps: Sleeps) -> None:
    sim.reset()
    tree: dict[str, Any] = sim.config_dict()
    tree["pagerduty"]["exclude"] = ["*-eu"]
    config = parse(tree, sim.env())

    built = factory.sources(Integration.PAGERDUTY, config, FAST, sleeps)

    assert [type(s) for s in built] == [PagerDutyAccounts, PagerDutyAccounts]
    assert [s.scope.label for s in built] == ["pagerduty token #1", "pagerduty token #2"]
    found = [d for source in built for d in source.discover()]
    assert [d.scope.label for d in found] == ["pagerduty:acme", "pagerduty:acme-eu"]
    assert found[0].entries == (PagerDutyAccount(enabled=True, subdomain="acme"),)
    assert found[1].ok and found[1].entries == (), "excluded by the section's filter"
