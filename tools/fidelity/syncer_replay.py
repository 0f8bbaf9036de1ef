"""The replay of syncer's own sources: discover() and check() of every configured source, via the proxies."""

from __future__ import annotations

from context import Env, step
from harness import Recorder

from syncer.config import loader
from syncer.config.schema import Config
from syncer.model import Integration
from syncer.retry import RetryPolicy
from syncer.sources.factory import sources


def proxied_config(env: Env) -> Config:
    """The simulator's syncer configuration with every API URL pointing at its proxy, plus a GitHub App source."""
    tree = env.sim.config_dict()
    tree["github"]["sources"][0]["api_url"] = env.proxy("github")
    tree["github"]["sources"][1]["api_url"] = env.proxy("ghes")
    app = {"app_id": env.sim.github.app_id, "private_key": env.sim.github.app_private_key}
    tree["github"]["sources"].append({"hostname": "apps.github.com", "api_url": env.proxy("github"), "app": app})
    tree["jira"]["sources"][0]["url"] = env.proxy("jira")
    tree["jira"]["sources"][1]["url"] = env.proxy("jira_dc")
    for source in tree["pagerduty"]["sources"]:
        source["api_url"] = env.proxy("pagerduty")
    return loader.parse(tree, env.sim.env())


def syncer_sources(env: Env, rec: Recorder) -> None:
    """Replay exactly what syncer sends: discover() and check() of every configured source, via the proxies."""
    config = proxied_config(env)
    policy = RetryPolicy(attempts=1)
    for integration in (Integration.GITHUB, Integration.JIRA, Integration.PAGERDUTY):
        for source in sources(integration, config, policy, sleep=lambda _s: None):
            name = f"syncer {integration.value} {source!r}"
            discoveries = step(rec, "syncer", name, source.discover, env.trace)
            # the seeded suspended installation (acme-old) is reported by design
            errors = [d.error for d in discoveries or [] if d.error and "51003 is suspended" not in d.error]
            clean = discoveries is not None and not errors
            rec.expect("syncer", f"{name} discovers without errors", clean, str(errors)[:300])
            if "apps.github.com" not in name:
                step(rec, "syncer", f"{name} check", source.check, env.trace)
    step(rec, "syncer", "syncer github: custom property values of GHES 3.17", lambda: ghes_values(env, rec), env.trace)


def ghes_values(env: Env, rec: Recorder) -> None:
    """The GHES source's custom property rule where the listing lacks the properties: properties/values is read."""
    config = proxied_config(env)
    played = env.sim.ghes.version
    env.sim.ghes.version = (3, 17)
    try:
        [ghes] = [s for s in sources(Integration.GITHUB, config, RetryPolicy(attempts=1)) if "ghe." in repr(s)]
        before = env.sim.ghes.count("GET", r"/properties/values$")
        discoveries = ghes.discover()
        asked = env.sim.ghes.count("GET", r"/properties/values$") - before
    finally:
        env.sim.ghes.version = played
    errors = [d.error for d in discoveries if d.error]
    rec.expect("syncer", "GHES 3.17: discovers through properties/values", not errors and asked > 0, str(errors)[:300])
