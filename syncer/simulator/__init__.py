"""Fake GitHub, GHES, Jira, PagerDuty and Datadog APIs over real HTTP on loopback."""

from __future__ import annotations

from syncer.simulator.datadog import FakeDatadog
from syncer.simulator.deliveries import Delivery, Hook
from syncer.simulator.facade import Simulator
from syncer.simulator.faults import Fault, FaultInjector
from syncer.simulator.github.fake import FakeGitHub
from syncer.simulator.jira import FakeJira
from syncer.simulator.pagerduty import FakePagerDuty
from syncer.simulator.server import FakeServer
from syncer.simulator.threaded import ServedRequest

__all__ = [
    "Delivery",
    "FakeDatadog",
    "FakeGitHub",
    "FakeJira",
    "FakePagerDuty",
    "FakeServer",
    "Fault",
    "FaultInjector",
    "Hook",
    "ServedRequest",
    "Simulator",
]
