"""The pipeline's commands: arguments → objects → run → exit code; no business logic here."""

from __future__ import annotations

import argparse
import json
import sys

from syncer import interruption, progress, report, runner
from syncer.cli.usage import SIMULATOR_PORTS, UsageError, config_file, emit
from syncer.config import loader
from syncer.config.schema import Config
from syncer.deadline import Stop
from syncer.errors import ConfigError
from syncer.model import ExitCode, Integration
from syncer.state.store import StateStore


def _load(args: argparse.Namespace) -> Config:
    return loader.load(config_file(args))


def _only(text: str | None, config: Config) -> list[Integration] | None:
    if text is None:
        return None
    chosen = []
    for name in (part.strip() for part in text.split(",") if part.strip()):
        try:
            integration = Integration(name)
        except ValueError:
            raise UsageError(f"--only: unknown integration {name!r} (use github, jira, pagerduty)") from None
        if integration not in config.integrations():
            raise ConfigError(f"--only: {name} is not configured in this file")
        chosen.append(integration)
    if not chosen:
        raise UsageError("--only: name at least one integration (github, jira, pagerduty)")
    return chosen


def sync(args: argparse.Namespace) -> int:
    """`syncer sync` and `syncer plan`."""
    config = _load(args)
    only = _only(args.only, config)
    stop = Stop()
    store = StateStore(config.state.path) if config.state.path else None  # a one-shot run keeps no state otherwise
    try:
        with interruption.handled(stop):
            result = runner.run(
                config,
                only,
                dry_run=args.dry_run,
                allow_deletions=args.allow_deletions,
                policy=args.retry,
                stop=stop,
                store=store,
                progress=progress.for_terminal(sys.stderr, args.log_format),  # pages per scope, on a terminal only
            )
    finally:
        if store is not None:
            store.close()
    if args.output == "json":
        emit(json.dumps(report.as_json(result), indent=2))
    else:
        emit(report.as_text(result, limit=None if args.dry_run else 50))
    interruption.exit_if_left_behind(result)
    return result.exit_code


def daemon(args: argparse.Namespace) -> int:
    """`syncer daemon`."""
    from syncer.daemon import process

    return process.serve(config_file(args), args.listen)


def validate(args: argparse.Namespace) -> int:
    """`syncer validate`."""
    from syncer import checks

    config = _load(args)
    emit(checks.describe(config))
    if not args.online:
        return ExitCode.OK
    found = checks.online(config)
    lines = [f"FAILED {line}" for line in found.problems] + [f"WARNING {line}" for line in found.warnings]
    problems = found.problems
    lines.append("every credential works" if not problems else f"{len(problems)} check(s) failed")
    if found.warnings:
        lines.append(
            f"{len(found.warnings)} warning(s): rules that match nothing listed (the exit code does not change)"
        )
    emit("\n".join(lines))
    return ExitCode.FAILURE if problems else ExitCode.OK


def explain(args: argparse.Namespace) -> int:
    """`syncer explain ENTRY`."""
    from syncer import explain as explaining

    config = _load(args)
    try:
        found = explaining.explain(config, args.entry, args.retry)
    except explaining.BadEntry as exc:
        raise UsageError(f"explain: {exc}") from None
    if args.output == "json":
        emit(json.dumps(explaining.as_json(found), indent=2))
    else:
        emit(explaining.as_text(found))
    return found.exit_code


def simulate(args: argparse.Namespace) -> int:
    """`syncer simulate`: a port the fakes cannot have is a usage error naming --port-base."""
    from syncer import demo
    from syncer.simulator.server import PortUnavailable

    try:
        return demo.simulate(args.port_base, args.scale, args.write_config, args.latency)
    except PortUnavailable as exc:
        last = (args.port_base or 0) + SIMULATOR_PORTS - 1
        given = f"--port-base {args.port_base} gives the simulator ports {args.port_base}..{last}; "
        raise UsageError(
            f"cannot listen on {exc.host}:{exc.port} ({exc.reason}); "
            + (given if args.port_base is not None else "")
            + "choose a free range with --port-base N, or leave it out for free ports"
        ) from None


def demo(args: argparse.Namespace) -> int:
    """`syncer demo`."""
    from syncer import demo as demonstration

    return demonstration.demo()
