"""`syncer validate`: describe the configuration, and with --online check every credential."""

from __future__ import annotations

from syncer.config import Config
from syncer.datadog import DatadogClient
from syncer.errors import SyncerError
from syncer.retry import RetryPolicy
from syncer.sources import factory


def describe(config: Config) -> str:
    """What the configuration manages, without any secret."""
    lines = [f"configuration is valid; Datadog API {config.datadog.base_url}"]
    for integration in config.integrations():
        settings = config.effective(integration)
        section = config.section(integration)
        count = len(section.sources) if section is not None else 0
        extra = len(section.extra) if section is not None else 0
        lines.append(
            f"  {integration}: {count} source(s), {extra} extra; schedule {settings.schedule!r}, "
            f"policy {settings.policy}, max_deletions {settings.max_deletions}, "
            f"on_source_error {settings.on_source_error}"
        )
    return "\n".join(lines)


def online(config: Config) -> list[str]:
    """Check the Datadog keys and every source's credentials; one line per failure."""
    policy = RetryPolicy(attempts=2)
    problems = []
    with DatadogClient(config.datadog, retry=policy) as datadog:
        try:
            datadog.validate_keys()
        except SyncerError as exc:
            problems.append(f"datadog: {exc}")
    for integration in config.integrations():
        for source in factory.sources(integration, config, policy):
            try:
                source.check()
            except SyncerError as exc:
                problems.append(f"{integration}: {exc}")
    return problems
