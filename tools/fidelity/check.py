"""Fidelity check of syncer's simulated APIs against the official API descriptions, through Prism proxies.

Starts the simulator in this process (the GitHub App's private key exists only inside the simulator's process)
on ports BASE..BASE+5, a host-preserving forwarder per API on BASE+200.., and `prism proxy --errors` per API on
BASE+100.. (github, ghes, jira, jira_dc, pagerduty). Every client talks to a Prism proxy, which validates every
answer against the trimmed descriptions that trim.py wrote. Writes `<work-dir>/report.json` and the Prism logs;
exits 1 when any violation not judged by hand (harness.JUSTIFIED) or any protocol check fails.

Usage: .venv/bin/python tools/fidelity/check.py [--work-dir DIR] [--port-base 18500] [--trace] [--serve]
(tools/fidelity/run.sh installs Prism, trims the descriptions and runs this.)
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

from context import APIS, DEFAULT_PORT_BASE, Env
from github_replay import github_checks
from harness import Recorder, patch_prism, stop_prism
from jira_replay import jira_checks
from pagerduty_replay import pagerduty_checks
from probes import canaries, rate_limits
from proxies import preflight, start_proxies
from report import report
from syncer_replay import syncer_sources
from trim import add_work_dir_argument

from syncer.simulator import Simulator


def replay(env: Env, rec: Recorder) -> None:
    """Every replay, in order, with the simulator reset between the groups that change its state."""
    for api in ("github", "ghes"):
        github_checks(env, rec, api)
    for api in ("jira", "jira_dc"):
        jira_checks(env, rec, api)
    pagerduty_checks(env, rec)
    env.sim.reset()
    rate_limits(env, rec)
    env.sim.reset()
    syncer_sources(env, rec)
    env.sim.reset()
    canaries(env, rec)


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_work_dir_argument(parser)
    parser.add_argument("--port-base", type=int, default=DEFAULT_PORT_BASE, help="first port (default: %(default)s)")
    parser.add_argument("--trace", action="store_true", help="print the traceback of a step that raises")
    parser.add_argument("--serve", action="store_true", help="start everything and wait (probe the proxies by hand)")
    return parser.parse_args()


def main() -> int:
    """Run the whole check; returns the exit code."""
    args = parse_args()
    work_dir: Path = args.work_dir.resolve()
    problem = preflight(work_dir, args.port_base)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    patch_prism(work_dir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sim = Simulator(port_base=args.port_base).start()
    env = Env(sim, args.port_base, args.trace)
    rec = Recorder({env.proxy_port(api): api for api in APIS})
    procs: list[subprocess.Popen[bytes]] = []
    try:
        logs = start_proxies(env, work_dir, procs)
        if args.serve:
            print({api: env.proxy(api) for api in APIS}, flush=True)
            while True:
                time.sleep(3600)
        rec.install()
        replay(env, rec)
    finally:
        stop_prism(procs)
        sim.stop()
    return report(rec, logs, work_dir)


if __name__ == "__main__":
    sys.exit(main())
