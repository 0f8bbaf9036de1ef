"""What `syncer --help` and `syncer COMMAND --help` say: one summary, a description, examples and exit codes each."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

WIDTH = 79
PIPELINE_EXITS = (
    ("0", "every selected integration in step (applied, nothing to do, planned)"),
    ("1", "an integration failed after retries; the others were still synced"),
    ("2", "configuration or usage error; nothing was contacted"),
    ("3", "a guard refused a write; nothing unsafe was written"),
    ("130/143", "interrupted by SIGINT/SIGTERM; no PUT was started after the signal"),
)
USAGE = ("2", "configuration or usage error")
COMPLETION_INSTALL = (
    ("syncer completion bash > /etc/bash_completion.d/syncer", "bash, for everyone"),
    ("syncer completion bash > ~/.local/share/bash-completion/completions/syncer", "bash, for you"),
    ('syncer completion zsh > "${fpath[1]}/_syncer"', "zsh: any folder on $fpath, then start a new shell"),
    ("syncer completion fish > ~/.config/fish/completions/syncer.fish", "fish"),
)


@dataclass(frozen=True)
class Help:
    """The help of one command: `summary` is its line in `syncer --help`."""

    summary: str
    description: str
    examples: tuple[tuple[str, str], ...]
    exits: tuple[tuple[str, str], ...]

    def text(self) -> str:
        """The summary as a sentence (the line shells show beside the command), then the description, wrapped."""
        parts = [f"{self.summary[0].upper()}{self.summary[1:]}.", *self.description.split("\n\n")]
        return "\n\n".join(textwrap.fill(part, WIDTH) for part in parts)

    def epilog(self) -> str:
        """Examples and exit codes, laid out for RawDescriptionHelpFormatter."""
        return f"examples:\n{_table(self.examples)}\n\nexit codes:\n{_table(self.exits)}"


def _table(rows: tuple[tuple[str, str], ...]) -> str:
    """Two columns; when a left cell is too wide for that, each row is a `# comment` line and the cell."""
    width = max(len(left) for left, _ in rows)
    if width > 46:
        return "\n".join(f"  # {right}\n  {left}" for left, right in rows)
    return "\n".join(f"  {left:<{width}}  {right}".rstrip() for left, right in rows)


TOP_DESCRIPTION = textwrap.fill(
    "Keep Datadog IDP entity-integration lists in step with GitHub, Jira and PagerDuty.", WIDTH
)
TOP_EPILOG = f"""Run "syncer COMMAND --help" for a command's options, examples and exit codes.

getting started:
{
    _table(
        (
            ("syncer demo", "see it work against the built-in simulator"),
            ("syncer config init", "write a commented starter config/syncer.yaml"),
            ("syncer validate --online", "check the configuration and every credential"),
            ("syncer plan", "what a sync would change; writes nothing"),
            ("syncer sync", "apply it"),
        )
    )
}

environment:
{
    _table(
        (
            ("SYNCER_CONFIG", "default of --config"),
            ("SYNCER_LOG_LEVEL", "default of --log-level: debug, info, warn(ing), error"),
            ("SYNCER_LOG_FORMAT", "default of --log-format: text or json"),
        )
    )
}

exit codes: 0 in step, 1 failed (or an internal error), 2 configuration or usage
error, 3 a guard refused a write, 130/143 interrupted."""

COMMANDS: dict[str, Help] = {
    "sync": Help(
        "one pass of the pipeline, then exit",
        "List every configured source, compute the desired list of each Datadog entity integration, and write "
        "the lists that differ. With --dry-run, print the plan (every entry added, removed or changed) and "
        "write nothing.",
        (
            ("syncer sync", "sync every configured integration"),
            ("syncer sync --only github,jira", "only these integrations"),
            ("syncer sync --dry-run", "print the plan, write nothing (= plan)"),
            ("syncer sync --output json | jq .", "a machine-readable report on stdout"),
            ("syncer sync --allow-deletions 40", "remove up to 40 entries past the guard"),
        ),
        PIPELINE_EXITS,
    ),
    "plan": Help(
        "what a sync would change; writes nothing (sync --dry-run)",
        "The same as sync --dry-run: per integration, the entries a sync would add (+), remove (-) or change "
        "(~), and why listed items were dropped. Nothing is written.",
        (
            ("syncer plan", "the plan of every configured integration"),
            ("syncer plan --only pagerduty", "one integration"),
            ("syncer plan --output json", "the plan as JSON on stdout"),
        ),
        PIPELINE_EXITS,
    ),
    "daemon": Help(
        "scheduler plus the HTTP server (health, metrics, webhooks)",
        "Run long-lived: each integration on its schedule, plus the HTTP server (/healthz, /readyz, /metrics, "
        "/status, POST /sync, webhooks). SIGHUP reloads the configuration; SIGTERM or SIGINT stops it cleanly.",
        (
            ("syncer daemon", "listen on 0.0.0.0:8080"),
            ("syncer daemon --listen 127.0.0.1:9090", "another address"),
            ("SYNCER_LOG_FORMAT=json syncer daemon", "JSON log lines even on a terminal"),
        ),
        (
            ("0", "stopped by SIGTERM or SIGINT"),
            ("1", "the HTTP server stopped unexpectedly"),
            ("2", "configuration or usage error (including an address in use: change --listen)"),
        ),
    ),
    "validate": Help(
        "check the configuration (and, --online, every credential)",
        "Load the configuration, report every problem at once, and describe what would be synced. With "
        "--online, also check every credential against its API and warn about filter patterns that match "
        "nothing listed. Writes nothing.",
        (
            ("syncer validate", "check the file only; contacts nothing"),
            ("syncer validate --online", "also try every credential"),
            ("syncer --config other.yaml validate", "another file"),
        ),
        (
            ("0", "the configuration is valid (and, --online, every credential works)"),
            ("1", "--online: at least one check failed"),
            USAGE,
        ),
    ),
    "simulate": Help(
        "run the fake APIs in the foreground, for trying syncer out",
        "Start the simulator (fake GitHub, GitHub Enterprise, Jira Cloud and Server, PagerDuty and Datadog) "
        "on 127.0.0.1, print each fake API's base URL, and keep running until Ctrl-C. With --write-config, "
        "also write a configuration that points at them and print the variables it reads.",
        (
            ("syncer simulate", "free ports, chosen by the system"),
            ("syncer simulate --port-base 18000", "ports 18000..18005"),
            ("syncer simulate --write-config sim.yaml", "then: syncer --config sim.yaml plan"),
            ("syncer simulate --scale large", "20 orgs x 1,000 repos"),
            ("syncer simulate --latency 0.05", "50 ms added to every answer"),
        ),
        (("0", "stopped by Ctrl-C or SIGTERM"), ("2", "usage error, such as a port in use (change --port-base)")),
    ),
    "demo": Help(
        "run the pipeline twice against the built-in simulator",
        "Start the simulator on loopback and run every integration twice (the second run changes nothing), "
        "then show a webhook bringing a new repository to Datadog. No credentials, no network.",
        (("syncer demo", "about a second"),),
        (("0", "everything worked and the second run changed nothing"), ("1", "something did not")),
    ),
    "explain": Help(
        "why one entry is (or is not) in the desired list; writes nothing",
        "Lists only that entry's scope, then prints whether the source listed it, which rule kept or dropped "
        "it, whether it comes from `extra` or is kept because its source failed, and whether Datadog holds it "
        "now.",
        (
            ("syncer explain github.com/acme/api", "a GitHub repository"),
            ("syncer explain ghe.acme.internal/acme/api", "a GitHub Enterprise repository"),
            ("syncer explain jira:acme.atlassian.net/OPS", "a Jira project"),
            ("syncer explain pagerduty:acme --output json", "a PagerDuty account, as JSON"),
        ),
        (
            ("0", "explained"),
            ("1", "its source or Datadog could not be asked"),
            ("2", "configuration or usage error (such as an ENTRY not understood)"),
            ("130/143", "interrupted"),
        ),
    ),
    "config": Help(
        "the configuration file: its JSON Schema, a starter file",
        'Tools for the configuration file; run "syncer config SUBCOMMAND --help" for each one\'s options.',
        (
            ("syncer config init", "write a starter config/syncer.yaml"),
            ("syncer config schema > syncer.schema.json", "the JSON Schema, for editors"),
        ),
        (("0", "done"), USAGE),
    ),
    "config schema": Help(
        "print the JSON Schema (draft 2020-12) of the configuration file",
        "Print the JSON Schema (draft 2020-12) of the configuration file on stdout, for editors: save it and "
        "put `# yaml-language-server: $schema=syncer.schema.json` at the top of the configuration file.",
        (("syncer config schema > syncer.schema.json", "save it next to the configuration"),),
        (("0", "printed"),),
    ),
    "config init": Help(
        "write a commented starter configuration (never overwrites)",
        "Write a commented starter configuration to PATH (default config/syncer.yaml). An existing file is "
        "never overwritten.",
        (
            ("syncer config init", "write config/syncer.yaml"),
            ("syncer config init /etc/syncer/syncer.yaml", "another place"),
        ),
        (("0", "written"), ("2", "PATH exists, or it could not be written")),
    ),
    "completion": Help(
        "print a shell completion script (bash, zsh, fish)",
        "Print the completion script of syncer for a shell on stdout. Install it once, where your shell looks "
        "for completions:",
        COMPLETION_INSTALL,
        (("0", "printed"), USAGE),
    ),
}
