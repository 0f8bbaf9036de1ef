"""The command line: commands → objects → run → exit code; no business logic here."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from syncer import __version__, interruption, logsetup, report, runner
from syncer.config import loader
from syncer.config.schema import Config
from syncer.deadline import Stop
from syncer.errors import ConfigError, SyncerError
from syncer.model import ExitCode, Integration
from syncer.redact import redact
from syncer.retry import RetryPolicy
from syncer.state.store import StateStore

log = logging.getLogger("syncer")
DEFAULT_CONFIG = "config/syncer.yaml"


def main(argv: Sequence[str] | None = None, *, retry: RetryPolicy | None = None) -> int:
    """Entry point of the `syncer` console script; returns the exit code. `retry` replaces the default policy."""
    parser = _parser()
    args = parser.parse_args(argv)
    args.retry = retry or RetryPolicy()
    quiet = args.command in ("demo", "simulate")
    logsetup.setup(args.log_format, args.log_level or ("WARNING" if quiet else "INFO"))
    try:
        code: int = args.handler(args)
    except ConfigError as exc:
        log.error("configuration error: %s", exc, extra={"event": "config_error"})
        print(f"syncer: configuration error: {redact(str(exc))}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        return ExitCode.SIGINT
    return code


def _common(defaults: bool) -> argparse.ArgumentParser:
    """The global options; subcommands repeat them without defaults, so a value given before them is kept."""
    common = argparse.ArgumentParser(add_help=False)
    unset: object = None if defaults else argparse.SUPPRESS
    common.add_argument(
        "--config", default=unset, help=f"configuration file (default: $SYNCER_CONFIG, else {DEFAULT_CONFIG})"
    )
    common.add_argument(
        "--log-format", default=unset, choices=("text", "json"), help="default: text on a TTY, JSON otherwise"
    )
    common.add_argument(
        "--log-level",
        default=unset,
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="default: INFO (demo and simulate: WARNING)",
    )
    return common


def _parser() -> argparse.ArgumentParser:
    common = _common(defaults=False)
    parser = argparse.ArgumentParser(
        prog="syncer",
        parents=[_common(defaults=True)],
        description="Keep Datadog IDP entity-integration lists in step with GitHub, Jira and PagerDuty.",
    )
    parser.add_argument("--version", action="version", version=f"syncer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sync = sub.add_parser("sync", parents=[common], help="one pass of the pipeline, then exit")
    _sync_options(sync, dry_run=True)
    sync.set_defaults(handler=_sync)
    plan = sub.add_parser("plan", parents=[common], help="the same as sync --dry-run")
    _sync_options(plan, dry_run=False)
    plan.set_defaults(handler=_sync, dry_run=True)

    daemon = sub.add_parser("daemon", parents=[common], help="scheduler plus the HTTP server")
    daemon.add_argument("--listen", default="0.0.0.0:8080", help="HOST:PORT (default 0.0.0.0:8080)")
    daemon.set_defaults(handler=_daemon)

    validate = sub.add_parser("validate", parents=[common], help="check the configuration and exit")
    validate.add_argument("--online", action="store_true", help="also check every credential against its API")
    validate.set_defaults(handler=_validate)

    simulate = sub.add_parser("simulate", parents=[common], help="run the simulator in the foreground")
    simulate.add_argument("--port-base", type=int, default=None, help="first port (default: any free ports)")
    simulate.add_argument(
        "--scale",
        choices=("small", "large", "xlarge"),
        default="small",
        help="small: a few orgs; large: 20 orgs x 1,000 repos; xlarge: 100 orgs x 1,000 repos",
    )
    simulate.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    simulate.add_argument("--write-config", metavar="PATH", help="write a ready-to-use config for the simulator")
    simulate.set_defaults(handler=_simulate)

    demo = sub.add_parser("demo", parents=[common], help="run the pipeline twice against the built-in simulator")
    demo.set_defaults(handler=_demo)

    explain = sub.add_parser(
        "explain", parents=[common], help="why one entry is (or is not) in the desired list; writes nothing"
    )
    explain.add_argument(
        "entry", metavar="ENTRY", help="github.com/ORG/REPO (or HOST/ORG/REPO), jira:SITE/KEY or pagerduty:SUBDOMAIN"
    )
    explain.add_argument("--output", choices=("text", "json"), default="text", help="format on stdout")
    explain.set_defaults(handler=_explain)
    return parser


def _sync_options(parser: argparse.ArgumentParser, dry_run: bool) -> None:
    parser.add_argument("--only", help="comma-separated integrations: github,jira,pagerduty")
    if dry_run:
        parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    parser.add_argument("--output", choices=("text", "json"), default="text", help="report format on stdout")
    parser.add_argument(
        "--allow-deletions",
        type=_non_negative,
        default=0,
        metavar="N",
        help="let this run remove up to N entries past the deletion guard",
    )


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def config_path(args: argparse.Namespace) -> Path:
    """--config, else $SYNCER_CONFIG, else config/syncer.yaml."""
    return Path(args.config or os.environ.get("SYNCER_CONFIG") or DEFAULT_CONFIG)


def _load(args: argparse.Namespace) -> Config:
    return loader.load(config_path(args))


def _only(text: str | None, config: Config) -> list[Integration] | None:
    if text is None:
        return None
    chosen = []
    for name in (part.strip() for part in text.split(",") if part.strip()):
        try:
            integration = Integration(name)
        except ValueError:
            raise ConfigError(f"--only: unknown integration {name!r} (use github, jira, pagerduty)") from None
        if integration not in config.integrations():
            raise ConfigError(f"--only: {name} is not configured in this file")
        chosen.append(integration)
    if not chosen:
        raise ConfigError("--only: name at least one integration (github, jira, pagerduty)")
    return chosen


def _sync(args: argparse.Namespace) -> int:
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
            )
    finally:
        if store is not None:
            store.close()
    if args.output == "json":
        _emit(json.dumps(report.as_json(result), indent=2))
    else:
        _emit(report.as_text(result, limit=None if args.dry_run else 50))
    interruption.exit_if_left_behind(result)
    return result.exit_code


def _emit(text: str) -> None:
    """Print the report; a reader that stopped early (`| head`) does not change the exit code."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _daemon(args: argparse.Namespace) -> int:
    from syncer.daemon import process

    return process.serve(config_path(args), args.listen)


def _validate(args: argparse.Namespace) -> int:
    from syncer import checks

    config = _load(args)
    print(checks.describe(config))
    if not args.online:
        return ExitCode.OK
    found = checks.online(config)
    for line in found.problems:
        print(f"FAILED {line}")
    for line in found.warnings:
        print(f"WARNING {line}")
    problems = found.problems
    print("every credential works" if not problems else f"{len(problems)} check(s) failed")
    if found.warnings:
        print(f"{len(found.warnings)} warning(s): rules that match nothing listed (the exit code does not change)")
    return ExitCode.FAILURE if problems else ExitCode.OK


def _explain(args: argparse.Namespace) -> int:
    from syncer import explain

    config = _load(args)
    try:
        found = explain.explain(config, args.entry, args.retry)
    except explain.BadEntry as exc:
        print(f"syncer explain: {redact(str(exc))}", file=sys.stderr)
        return ExitCode.USAGE
    if args.output == "json":
        _emit(json.dumps(explain.as_json(found), indent=2))
    else:
        _emit(explain.as_text(found))
    return found.exit_code


def _simulate(args: argparse.Namespace) -> int:
    from syncer import demo

    return demo.simulate(args.port_base, args.scale, args.write_config, args.latency)


def _demo(args: argparse.Namespace) -> int:
    from syncer import demo

    try:
        return demo.demo()
    except SyncerError as exc:
        print(f"syncer demo: {exc}", file=sys.stderr)
        return ExitCode.FAILURE
