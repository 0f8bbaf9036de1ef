"""`syncer demo` and `syncer simulate`: the pipeline against the built-in simulator, no credentials needed."""

from __future__ import annotations

import signal
import socket
import sys
import threading
import time
from pathlib import Path

from syncer import report, runner
from syncer.config import loader
from syncer.config.schema import Config
from syncer.daemon.service import Daemon
from syncer.errors import ConfigError
from syncer.model import ExitCode
from syncer.retry import RetryPolicy
from syncer.simulator import Simulator
from syncer.simulator.seed import GHES_TOKEN, GITHUB_TOKEN
from syncer.state.store import StateStore

POLICY = RetryPolicy(attempts=3, base=0.1, cap=1.0, max_wait=5.0)
WEBHOOK_SECRET = "syncer-demo-webhook-secret"  # noqa: S105 - the simulator's own, on loopback only
CREATED = "created-during-the-demo"


def demo() -> int:
    """Start the simulator, run every integration twice (the second changes nothing and costs no GitHub rate
    limit), then show a repo created in the fake GitHub reaching the fake Datadog through a webhook."""
    with Simulator(scale="small") as sim:
        tree = sim.config_dict()
        tree["datadog"]["events"] = True  # every applied write also posts a Datadog change event
        config = loader.parse(tree, sim.env(), origin="simulator config")
        print("syncer demo: simulated APIs on loopback")
        for fake in sim.fakes:
            print(f"  {type(fake).__name__:<16} {fake.hostname:<22} {fake.url}")
        for line in _selectors(config):
            print(f"  selector: {line}")
        store = StateStore()  # in memory: the ETag cache the second run's conditional requests use
        first = runner.run(config, policy=POLICY, store=store)
        puts = sim.datadog.count("PUT")
        print(f"\n== first run: {puts} PUT(s) sent to Datadog ==")
        print(report.as_text(first, limit=5))
        _events(sim, 0)
        spent = _points(sim)
        second = runner.run(config, policy=POLICY, store=store)
        more = sim.datadog.count("PUT") - puts
        points = _points(sim) - spent
        print(f"\n== second run: {more} PUT(s) sent to Datadog, {points} GitHub rate-limit point(s) spent ==")
        print(report.as_text(second, limit=5))
        in_step = more == 0 and all(r.plan and not r.plan.has_changes for r in second.integrations)
        print("\nsecond run changed nothing: every list is in step" if in_step else "\nsecond run was not a no-op")
        store.close()
        seen = len(sim.datadog.events)
        seconds = _webhook(sim)
        if seconds is None:
            print("\n== webhook: the created repo did not reach Datadog within 10 s ==")
        else:
            print(f"\n== webhook: acme/{CREATED} created in GitHub was in Datadog {seconds:.2f} s later ==")
            _events(sim, seen)
        healthy = in_step and seconds is not None and len(sim.datadog.events) == sim.datadog.count("PUT")
        return max(first.exit_code, second.exit_code, ExitCode.OK if healthy else ExitCode.FAILURE)


def _events(sim: Simulator, seen: int) -> None:
    """The change events the fake Datadog received since the first `seen`: one per applied write."""
    received = sim.datadog.events[seen:]
    print(f"\n== Datadog change events: {len(received)} received (datadog.events: true) ==")
    for body in received:
        attributes = body["data"]["attributes"]
        tags = ", ".join(tag for tag in attributes["tags"] if tag.startswith("integration:"))
        print(f"  [{attributes['category']}] {attributes['title']}  ({tags})")


def _selectors(config: Config) -> list[str]:
    """The 0.2 selectors of the configuration, one line per source that has any."""
    lines = []
    for github in config.github.sources if config.github else []:
        kept = [f"custom property {k} in [{', '.join(v)}]" for k, v in github.custom_properties.items()]
        kept += [f"language in [{', '.join(github.languages)}]"] if github.languages else []
        kept += [f"pushed within {github.pushed_within}"] if github.pushed_within else []
        if kept:
            lines.append(f"{github.hostname} keeps the repos with {' and '.join(kept)}")
    for jira in config.jira.sources if config.jira else []:
        if jira.categories:
            lines.append(f"{jira.hostname} keeps the projects of the categories {', '.join(jira.categories)}")
    return lines


def _points(sim: Simulator) -> int:
    """Primary rate-limit points the seeded tokens have spent on both fake GitHubs so far."""
    return sim.github.rate_window(GITHUB_TOKEN).used + sim.ghes.rate_window(GHES_TOKEN).used


def _webhook(sim: Simulator, timeout: float = 10.0) -> float | None:
    """Run the daemon on loopback, hook the fakes to it, create a repo; seconds until Datadog holds it."""
    tree = sim.config_dict()
    tree["webhooks"] = {"github": {"secret": WEBHOOK_SECRET}, "jira": {"secret": WEBHOOK_SECRET}}
    tree["datadog"]["events"] = True
    config = loader.parse(tree, sim.env(), origin="simulator config")
    daemon = Daemon(config, token=None, policy=POLICY)
    with socket.create_server(("127.0.0.1", 0)) as sock:
        daemon.start(sock)
        try:
            daemon.registry.wait_idle(timeout)  # the daemon's own first runs
            sim.hook(f"http://127.0.0.1:{sock.getsockname()[1]}", github_secret=WEBHOOK_SECRET)
            started = time.monotonic()
            sim.github.add_repo("acme", CREATED)  # sends the signed `repository` `created` delivery
            while time.monotonic() - started < timeout:
                held = sim.datadog.store.get("github", {}).get("enabled_repos", [])
                if any(item.get("repo_name") == CREATED for item in held):
                    seconds = time.monotonic() - started
                    _await_events(sim, started + timeout)
                    return seconds
                time.sleep(0.01)
            return None
        finally:
            sim.unhook()
            daemon.stop(5.0)


def _await_events(sim: Simulator, deadline: float) -> None:
    """Wait (until `deadline`) for the change event of every PUT: the daemon posts it right after the write."""
    while len(sim.datadog.events) < sim.datadog.count("PUT") and time.monotonic() < deadline:
        time.sleep(0.01)


def simulate(port_base: int | None, scale: str, write_config: str | None, latency: float = 0.0) -> int:
    """Run the simulator in the foreground until Ctrl-C or SIGTERM; the signal handlers are put back after.

    A port the fakes cannot have raises the simulator's PortUnavailable (nothing is left running); a config
    that cannot be written is a ConfigError naming --write-config.
    """
    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Simulator(scale=scale, port_base=port_base, latency=latency) as sim:
            for fake in sim.fakes:
                print(f"{type(fake).__name__:<16} {fake.hostname:<22} {fake.url}", flush=True)
            if write_config:
                try:
                    sim.write_config(Path(write_config))
                except OSError as exc:
                    raise ConfigError(f"--write-config {write_config}: cannot write it: {exc.strerror or exc}") from exc
                print(f"config written to {write_config}; it reads these variables:", flush=True)
                for name, value in sim.env().items():
                    print(f"  export {name}={value}", flush=True)
            print("simulator running; Ctrl-C to stop", file=sys.stderr, flush=True)
            stop.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return ExitCode.OK
