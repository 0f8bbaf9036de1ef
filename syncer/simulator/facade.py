"""The Simulator: every fake API started together, plus a ready-to-use syncer configuration for them."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from syncer.simulator import seed
from syncer.simulator.datadog import FakeDatadog
from syncer.simulator.github.fake import FakeGitHub
from syncer.simulator.jira import FakeJira
from syncer.simulator.pagerduty import FakePagerDuty
from syncer.simulator.seed import SCALES
from syncer.simulator.server import FakeServer

JIRA_CLOUD_ACCOUNT_ID = "123456789"
JIRA_DC_ACCOUNT_ID = "987654321"


class Simulator:
    """GitHub, GHES, Jira Cloud, Jira Data Center, PagerDuty and Datadog fakes on 127.0.0.1.

    `port_base=N` puts them on N..N+5 in that order; otherwise each gets an ephemeral port.
    """

    def __init__(self, scale: str = "small", latency: float = 0.0, port_base: int | None = None, seed: int = 0) -> None:
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
        self.scale = scale

        def port(offset: int) -> int:
            """The fixed port of the fake at `offset`, or 0 for an ephemeral one."""
            return 0 if port_base is None else port_base + offset

        self.github = FakeGitHub("github.com", port=port(0), scale=scale, latency=latency, seed=seed)
        self.ghes = FakeGitHub("ghe.acme.internal", port=port(1), scale=scale, latency=latency, seed=seed)
        self.jira = FakeJira("acme.atlassian.net", deployment="Cloud", port=port(2), latency=latency, seed=seed)
        self.jira_dc = FakeJira("jira.acme.internal", deployment="Server", port=port(3), latency=latency, seed=seed)
        self.pagerduty = FakePagerDuty(port=port(4), latency=latency, seed=seed)
        self.datadog = FakeDatadog(port=port(5), latency=latency)
        self.fakes: list[FakeServer] = [self.github, self.ghes, self.jira, self.jira_dc, self.pagerduty, self.datadog]

    def start(self) -> Simulator:
        """Start every fake (all or none: a failure stops those already started)."""
        try:
            for fake in self.fakes:
                fake.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every fake (in parallel)."""
        for fake in self.fakes:
            fake.request_stop()
        for fake in self.fakes:
            fake.wait_stopped()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Reseed every fake's data; clear stores, faults, counters, runtime latency, webhooks and deliveries."""
        for fake in self.fakes:
            fake.reset()

    def hook(self, receiver: str, *, github_secret: str | None = None, jira_secret: str | None = None) -> None:
        """Send the webhook deliveries of both GitHub fakes to `{receiver}/webhooks/github` and of both Jira fakes to
        `{receiver}/webhooks/jira` (the daemon's routes), signed with the secrets given; `reset` removes the hooks.
        """
        base = receiver.rstrip("/")
        for github in (self.github, self.ghes):
            github.hook(f"{base}/webhooks/github", github_secret)
        for jira in (self.jira, self.jira_dc):
            jira.hook(f"{base}/webhooks/jira", jira_secret)

    def unhook(self) -> None:
        """Stop every fake's webhook deliveries (those sent stay in each fake's `deliveries`)."""
        for fake in (self.github, self.ghes, self.jira, self.jira_dc):
            fake.unhook()

    def urls(self) -> dict[str, str]:
        """Base URL of each fake, by name (github, ghes, jira, jira_dc, pagerduty, datadog)."""
        names = ("github", "ghes", "jira", "jira_dc", "pagerduty", "datadog")
        return {name: fake.url for name, fake in zip(names, self.fakes, strict=True)}

    def env(self) -> dict[str, str]:
        """Environment variables the written configuration refers to, with the fakes' credentials."""
        return {
            "SIM_DD_API_KEY": self.datadog.api_key,
            "SIM_DD_APP_KEY": self.datadog.app_key,
            "SIM_GITHUB_TOKEN": seed.GITHUB_TOKEN,
            "SIM_GHES_TOKEN": seed.GHES_TOKEN,
            "SIM_JIRA_API_TOKEN": seed.JIRA_API_TOKEN,
            "SIM_JIRA_DC_TOKEN": seed.JIRA_DC_TOKEN,
            "SIM_PAGERDUTY_TOKEN": seed.PAGERDUTY_TOKEN,
            "SIM_PAGERDUTY_EU_TOKEN": seed.PAGERDUTY_EU_TOKEN,
        }

    def config_dict(self) -> dict[str, Any]:
        """A syncer configuration (SPEC section 4 keys) for every fake; secrets as `${SIM_...}`."""
        return {
            "datadog": {
                "api_url": self.datadog.url,
                "api_key": "${SIM_DD_API_KEY}",
                "app_key": "${SIM_DD_APP_KEY}",
            },
            "defaults": {"schedule": "*/30 * * * *"},
            "github": {
                "sources": [
                    {
                        "hostname": self.github.hostname,
                        "api_url": self.github.url,
                        "token": "${SIM_GITHUB_TOKEN}",
                        "orgs": list(seed.github_layout(self.github.hostname, self.scale)),
                    },
                    {
                        "hostname": self.ghes.hostname,
                        "api_url": self.ghes.url,
                        "token": "${SIM_GHES_TOKEN}",
                        "orgs": list(seed.github_layout(self.ghes.hostname, self.scale)),
                        "custom_properties": {"tier": ["tier-1", "tier-2"]},  # a selector at work (seed.py)
                    },
                ]
            },
            "jira": {
                "sources": [
                    {
                        "hostname": self.jira.hostname,
                        "url": self.jira.url,
                        "account_id": JIRA_CLOUD_ACCOUNT_ID,
                        "email": seed.JIRA_EMAIL,
                        "api_token": "${SIM_JIRA_API_TOKEN}",
                    },
                    {
                        "hostname": self.jira_dc.hostname,
                        "url": self.jira_dc.url,
                        "account_id": JIRA_DC_ACCOUNT_ID,
                        "token": "${SIM_JIRA_DC_TOKEN}",
                        "categories": ["Engineering", "Operations"],
                    },
                ]
            },
            "pagerduty": {
                "sources": [
                    {"token": "${SIM_PAGERDUTY_TOKEN}", "api_url": self.pagerduty.url},
                    {"token": "${SIM_PAGERDUTY_EU_TOKEN}", "api_url": self.pagerduty.url},
                ]
            },
        }

    def write_config(self, path: str | PathLike[str]) -> None:
        """Write `config_dict()` as YAML to `path`."""
        text = yaml.safe_dump(self.config_dict(), sort_keys=False, default_flow_style=False)
        header = "# syncer configuration for the built-in simulator; secrets come from the SIM_* variables.\n"
        Path(path).write_text(header + text, encoding="utf-8")
