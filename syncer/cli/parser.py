"""The argument parser of `syncer`: every command, its options, its help (from helptext) and its handler."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from syncer import __version__, logsetup
from syncer.cli import commands, completion, configcmd
from syncer.cli.helptext import COMMANDS, TOP_DESCRIPTION, TOP_EPILOG
from syncer.cli.usage import DEFAULT_CONFIG, QUIET, SIMULATOR_PORTS

Handler = Callable[[argparse.Namespace], int]
RAW = argparse.RawDescriptionHelpFormatter


def build() -> argparse.ArgumentParser:
    """The whole command line; each command's `handler` is in the namespace `parse_args` returns."""
    common = _common(defaults=False)
    parser = argparse.ArgumentParser(
        prog="syncer", parents=[_common(defaults=True)], description=TOP_DESCRIPTION, epilog=TOP_EPILOG,
        formatter_class=RAW,
    )  # fmt: skip
    parser.add_argument("--version", action="version", version=f"syncer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")

    def command(name: str, handler: Handler | None, into: Any = sub, **defaults: object) -> argparse.ArgumentParser:
        text = COMMANDS[name]
        child: argparse.ArgumentParser = into.add_parser(
            name.rsplit(" ", 1)[-1], parents=[common], help=text.summary, description=text.text(),
            epilog=text.epilog(), formatter_class=RAW,
        )  # fmt: skip
        child.set_defaults(handler=handler, **defaults)
        return child

    _sync_options(command("sync", commands.sync), dry_run=True)
    _sync_options(command("plan", commands.sync, dry_run=True), dry_run=False)

    daemon = command("daemon", commands.daemon)
    daemon.add_argument("--listen", default="0.0.0.0:8080", metavar="HOST:PORT", help="default: 0.0.0.0:8080")

    validate = command("validate", commands.validate)
    validate.add_argument("--online", action="store_true", help="also check every credential against its API")

    simulate = command("simulate", commands.simulate)
    simulate.add_argument(
        "--port-base", type=_port_base, default=None, metavar="N",
        help=f"put the fakes on ports N..N+{SIMULATOR_PORTS - 1} (default: free ports the system picks)",
    )  # fmt: skip
    simulate.add_argument(
        "--scale",
        choices=("small", "large", "xlarge"),
        default="small",
        help="small: a few orgs; large: 20 orgs x 1,000 repos; xlarge: 100 orgs x 1,000 repos",
    )
    simulate.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="added to every answer")
    completion.files(
        simulate.add_argument("--write-config", metavar="PATH", help="write a ready-to-use config for the simulator")
    )

    command("demo", commands.demo)

    explain = command("explain", commands.explain)
    explain.add_argument(
        "entry", metavar="ENTRY", help="github.com/ORG/REPO (or HOST/ORG/REPO), jira:SITE/KEY or pagerduty:SUBDOMAIN"
    )
    explain.add_argument("--output", choices=("text", "json"), default="text", help="format on stdout")

    config = command("config", None)
    tools = config.add_subparsers(dest="config_command", required=True, metavar="SUBCOMMAND", title="subcommands")
    command("config schema", configcmd.schema, into=tools)
    init = command("config init", configcmd.init, into=tools)
    completion.files(
        init.add_argument(
            "path", nargs="?", metavar="PATH", help=f"default: --config, else $SYNCER_CONFIG, else {DEFAULT_CONFIG}"
        )
    )

    shells = command("completion", None)
    shells.add_argument("shell", choices=completion.SHELLS, metavar="SHELL", help=", ".join(completion.SHELLS))
    shells.set_defaults(handler=lambda args: completion.script(parser, args.shell))
    return parser


def _common(defaults: bool) -> argparse.ArgumentParser:
    """The global options; subcommands repeat them without defaults, so a value given before them is kept."""
    common = argparse.ArgumentParser(add_help=False)
    unset: object = None if defaults else argparse.SUPPRESS
    completion.files(
        common.add_argument(
            "--config", default=unset, metavar="PATH",
            help=f"configuration file (default: $SYNCER_CONFIG, else {DEFAULT_CONFIG})",
        )
    )  # fmt: skip
    common.add_argument(
        "--log-format", default=unset, type=_parsed(logsetup.format_name), choices=logsetup.FORMATS,
        help="default: $SYNCER_LOG_FORMAT, else text on a terminal and JSON otherwise",
    )  # fmt: skip
    common.add_argument(
        "--log-level", default=unset, type=_parsed(logsetup.level_name), choices=logsetup.LEVELS,
        help=f"any case; warn = WARNING (default: $SYNCER_LOG_LEVEL, else INFO; WARNING for {', '.join(QUIET)})",
    )  # fmt: skip
    return common


def _parsed(parse: Callable[[str], str]) -> Callable[[str], str]:
    """`parse` as an argparse type: its ValueError becomes argparse's own error message."""

    def convert(text: str) -> str:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def _sync_options(parser: argparse.ArgumentParser, dry_run: bool) -> None:
    parser.add_argument("--only", metavar="NAMES", help="comma-separated integrations: github,jira,pagerduty")
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


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _non_negative(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _port_base(text: str) -> int:
    value = _whole(text)
    if not 1 <= value <= 65536 - SIMULATOR_PORTS:
        top = 65536 - SIMULATOR_PORTS
        raise argparse.ArgumentTypeError(f"must be between 1 and {top} (the simulator takes {SIMULATOR_PORTS} ports)")
    return value
