"""`syncer demo` and `syncer simulate`: the pipeline against the built-in simulator, no credentials needed."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from syncer import report, runner
from syncer.config import loader
from syncer.model import ExitCode
from syncer.retry import RetryPolicy
from syncer.simulator import Simulator


def demo() -> int:
    """Start the simulator, run every integration twice (the second run changes nothing), print both."""
    with Simulator(scale="small") as sim:
        config = loader.parse(sim.config_dict(), sim.env(), origin="simulator config")
        print("syncer demo: simulated APIs on loopback")
        for fake in sim.fakes:
            print(f"  {type(fake).__name__:<16} {fake.hostname:<22} {fake.url}")
        policy = RetryPolicy(attempts=3, base=0.1, cap=1.0, max_wait=5.0)
        first = runner.run(config, policy=policy)
        puts = sim.datadog.count("PUT")
        print(f"\n== first run: {puts} PUT(s) sent to Datadog ==")
        print(report.as_text(first, limit=5))
        second = runner.run(config, policy=policy)
        more = sim.datadog.count("PUT") - puts
        print(f"\n== second run: {more} PUT(s) sent to Datadog ==")
        print(report.as_text(second, limit=5))
        in_step = more == 0 and all(r.plan and not r.plan.has_changes for r in second.integrations)
        print("\nsecond run changed nothing: every list is in step" if in_step else "\nsecond run was not a no-op")
        return max(first.exit_code, second.exit_code, ExitCode.OK if in_step else ExitCode.FAILURE)


def simulate(port_base: int | None, scale: str, write_config: str | None, latency: float = 0.0) -> int:
    """Run the simulator in the foreground until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with Simulator(scale=scale, port_base=port_base, latency=latency) as sim:
        for fake in sim.fakes:
            print(f"{type(fake).__name__:<16} {fake.hostname:<22} {fake.url}", flush=True)
        if write_config:
            sim.write_config(Path(write_config))
            print(f"config written to {write_config}; it reads these variables:", flush=True)
            for name, value in sim.env().items():
                print(f"  export {name}={value}", flush=True)
        print("simulator running; Ctrl-C to stop", file=sys.stderr, flush=True)
        stop.wait()
    return ExitCode.OK
