"""Hostile and odd configuration input (SPEC §6 "Config input is bounded and exact").

Every case is a configuration file (and the files it names) written in tmp_path; loading it must raise a
ConfigError, within a second for the kinds that used to hang or blow up, whose message names the key or the file
and never shows a secret or URL userinfo.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from syncer.config import loader
from syncer.config.schema import Config
from syncer.errors import ConfigError

pytestmark = pytest.mark.reliability(system="configuration")

DD_API, DD_APP = "hostile-dd-api-0001", "hostile-dd-app-0002"
TOKEN = "ghp_HostileSecretToken0003"
PASSWORD = "s3cr3t-pw-0004"
HEAD = f"datadog: {{api_key: {DD_API}, app_key: {DD_APP}}}\n"
ENV = {"GITHUB_TOKEN": TOKEN, "A": "alpha", "B": "beta", "EMPTY": ""}
SECRETS = (DD_API, DD_APP, TOKEN, PASSWORD, "alice:")
FAST = 1.0  # seconds: what "exits within a second" allows the loader
SLOW_KINDS = {"file-kind", "alias", "size", "nesting"}

Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One hostile input: the config text (None: `setup` writes it), the words the error must contain."""

    kind: str
    name: str
    text: str | bytes | None
    expected: tuple[str, ...]
    setup: Setup | None = None
    config: str = "syncer.yaml"  # what to load, relative to tmp_path (or absolute)
    absent: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.name}"


def github(source: str, section: str = "") -> str:
    """A config whose one GitHub source is the flow mapping `source`."""
    return f"{HEAD}github:\n{section}  sources:\n    - {source}\n"


def with_token(value: str) -> str:
    return github(f"{{token: '{value}', orgs: [acme]}}")


def with_defaults(settings: str) -> str:
    return HEAD + f"defaults: {{{settings}}}\n" + "github: {sources: [{token: '${GITHUB_TOKEN}', orgs: [acme]}]}\n"


def write(name: str, data: bytes) -> Setup:
    def setup(root: Path) -> None:
        (root / name).write_bytes(data)

    return setup


def fifo(name: str) -> Setup:
    def setup(root: Path) -> None:
        os.mkfifo(root / name)

    return setup


def sparse(name: str, size: int, head: bytes = b"") -> Setup:
    def setup(root: Path) -> None:
        with (root / name).open("wb") as out:
            out.write(head)
            out.truncate(size)

    return setup


def symlink_to_fifo(root: Path) -> None:
    os.mkfifo(root / "pipe")
    (root / "link").symlink_to(root / "pipe")


def absolute_fifo(root: Path) -> None:
    os.mkfifo(root / "pipe")
    (root / "syncer.yaml").write_text(github(f"{{token_file: {root / 'pipe'}, orgs: [acme]}}"))


def billion_laughs(levels: int = 9, mapping: bool = False) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = [f"*l{level - 1}"] * 9
        body = (
            "{" + ", ".join(f"k{i}: {r}" for i, r in enumerate(refs)) + "}" if mapping else "[" + ", ".join(refs) + "]"
        )
        lines.append(f"l{level}: &l{level} {body}")
    return "\n".join(lines) + "\n"


def quadratic_blowup() -> str:
    big = "big: &big [" + ", ".join(["x"] * 2000) + "]\n"
    return big + "refs: [" + ", ".join(["*big"] * 200) + "]\n"


BIG = 10 * 1024 * 1024
CASES = [
    # -- encodings: the config and every secret file are UTF-8 ---------------------------------------------------
    Case("utf8", "latin-1-config", f"{HEAD}# caf\xe9\n".encode("latin-1"), ("syncer.yaml", "not UTF-8")),
    Case("utf8", "lone-ff", b"\xff" + HEAD.encode(), ("syncer.yaml", "not UTF-8")),
    Case("utf8", "utf-16-config", HEAD.encode("utf-16"), ("syncer.yaml", "not UTF-8")),
    Case("utf8", "truncated-sequence", HEAD.encode() + b"# \xc3\n", ("syncer.yaml", "not UTF-8")),
    Case("utf8", "overlong", HEAD.encode() + b"# \xc0\xaf\n", ("syncer.yaml", "not UTF-8")),
    Case("utf8", "surrogate", HEAD.encode() + b"# \xed\xa0\x80\n", ("syncer.yaml", "not UTF-8")),
    Case(
        "utf8",
        "latin-1-token-file",
        github("{token_file: token.txt, orgs: [acme]}"),
        ("github.sources[0].token_file", "token.txt", "not UTF-8"),
        setup=write("token.txt", b"ghp_caf\xe9\n"),
    ),
    Case(
        "utf8",
        "binary-key-file",
        github("{app: {app_id: 1, private_key_file: key.pem}}"),
        ("github.sources[0].app.private_key_file", "key.pem", "not UTF-8"),
        setup=write("key.pem", bytes(range(256))),
    ),
    # -- sizes: a config of at most 10 MiB, secret files of at most 64 KiB --------------------------------------
    Case(
        "size",
        "config-over-10-mib",
        None,
        ("syncer.yaml", "larger than 10 MiB"),
        setup=sparse("syncer.yaml", BIG + 1, HEAD.encode()),
    ),
    Case("size", "config-of-a-gigabyte", None, ("syncer.yaml", "larger than"), setup=sparse("syncer.yaml", 2**30)),
    Case(
        "size",
        "token-file-over-64-kib",
        github("{token_file: token, orgs: [acme]}"),
        ("github.sources[0].token_file", "larger than 64 KiB"),
        setup=write("token", b"g" * (64 * 1024 + 1)),
    ),
    Case(
        "size",
        "sparse-key-file",
        github("{app: {app_id: 1, private_key_file: key.pem}}"),
        ("github.sources[0].app.private_key_file", "larger than 64 KiB"),
        setup=sparse("key.pem", 2**32),
    ),
    # -- file kinds: regular files only, checked before opening, never blocking -----------------------------------
    Case(
        "file-kind",
        "token-fifo",
        github("{token_file: pipe, orgs: [acme]}"),
        ("token_file", "FIFO"),
        setup=fifo("pipe"),
    ),
    Case(
        "file-kind",
        "token-fifo-absolute",
        None,
        ("github.sources[0].token_file", "FIFO"),
        setup=absolute_fifo,
    ),
    Case(
        "file-kind",
        "symlink-to-fifo",
        github("{token_file: link, orgs: [acme]}"),
        ("token_file", "FIFO"),
        setup=symlink_to_fifo,
    ),
    Case(
        "file-kind",
        "token-dev-zero",
        github("{token_file: /dev/zero, orgs: [acme]}"),
        ("token_file", "/dev/zero", "device"),
    ),
    Case("file-kind", "token-dev-urandom", github("{token_file: /dev/urandom, orgs: [a]}"), ("token_file", "device")),
    Case(
        "file-kind",
        "token-dev-null",
        github("{token_file: /dev/null, orgs: [acme]}"),
        ("token_file", "/dev/null", "device"),
    ),
    Case("file-kind", "token-directory", github("{token_file: ., orgs: [acme]}"), ("token_file", "directory")),
    Case(
        "file-kind",
        "key-dev-zero",
        github("{app: {app_id: 1, private_key_file: /dev/zero}}"),
        ("private_key_file", "device"),
    ),
    Case(
        "file-kind",
        "jira-pat-fifo",
        HEAD + "jira: {sources: [{hostname: j.example.com, account_id: '1', token_file: pat}]}\n",
        ("jira.sources[0].token_file", "FIFO"),
        setup=fifo("pat"),
    ),
    Case(
        "file-kind",
        "datadog-key-dev-zero",
        "datadog: {api_key_file: /dev/zero, app_key: x}\ngithub: {sources: [{token: y, orgs: [a]}]}\n",
        ("datadog.api_key_file", "device"),
    ),
    Case("file-kind", "config-fifo", None, ("syncer.yaml", "FIFO"), setup=fifo("syncer.yaml")),
    Case("file-kind", "config-dev-zero", None, ("/dev/zero", "device"), config="/dev/zero"),
    Case("file-kind", "config-directory", None, ("directory",), config="."),
    # -- aliases: never recursive, never expanding past a bound ------------------------------------------------
    Case("alias", "recursive-list", "x: &a [*a]\n", ("syncer.yaml", "alias", "syncer.yaml:1:")),
    Case("alias", "recursive-mapping", "x: &a {k: *a}\n", ("syncer.yaml", "alias", "syncer.yaml:1:")),
    Case("alias", "recursive-deep", "x: &a [[[{k: [*a]}]]]\n", ("syncer.yaml", "alias")),
    Case("alias", "recursive-merge", "x: &a {<<: *a}\n", ("syncer.yaml", "alias")),
    Case("alias", "recursive-in-github", HEAD + "github: &g {sources: [*g]}\n", ("syncer.yaml", "alias")),
    Case("alias", "billion-laughs", billion_laughs(), ("syncer.yaml", "aliases expand to more than")),
    Case("alias", "billion-laughs-mappings", billion_laughs(mapping=True), ("syncer.yaml", "aliases expand")),
    Case("alias", "billion-laughs-deeper", billion_laughs(levels=30), ("syncer.yaml", "aliases expand")),
    Case("alias", "quadratic-blowup", quadratic_blowup(), ("syncer.yaml", "aliases expand")),
    Case("alias", "undefined", "x: *nowhere\n", ("syncer.yaml", "undefined alias", "syncer.yaml:1:")),
    # -- mapping keys are strings --------------------------------------------------------------------------------
    Case("key", "list", "? [a, b]\n: 1\n", ("syncer.yaml", "mapping key must be a string", "a list", "syncer.yaml:1:")),
    Case("key", "mapping", HEAD + "? {a: 1}\n: 1\n", ("mapping key must be a string", "a mapping", "syncer.yaml:2:")),
    Case("key", "null", HEAD + "github:\n  ~: x\n", ("mapping key must be a string", "null", "syncer.yaml:3:")),
    Case("key", "empty", HEAD + "github:\n  ?\n  : x\n", ("mapping key must be a string", "null", "syncer.yaml:3:")),
    Case("key", "integer", HEAD + "github:\n  1: x\n", ("mapping key must be a string", "integer", "syncer.yaml:3:")),
    Case("key", "float", HEAD + "github:\n  1.5: x\n", ("mapping key must be a string", "decimal", "syncer.yaml:3:")),
    Case("key", "bool", HEAD + "github:\n  true: x\n", ("mapping key must be a string", "boolean", "syncer.yaml:3:")),
    Case(
        "key",
        "yaml-1.1-yes",
        HEAD + "github:\n  yes: x\n",
        ("mapping key must be a string", "boolean", "syncer.yaml:3:"),
    ),
    Case("key", "date", HEAD + "2024-01-01: x\n", ("mapping key must be a string", "syncer.yaml:2:")),
    Case(
        "key", "in-a-source", github("{token: x, orgs: [a], 42: y}"), ("mapping key must be a string", "syncer.yaml:4:")
    ),
    # -- whatever makes PyYAML fail is a ConfigError with the place, never the line's text ----------------------
    Case(
        "yaml",
        "bad-timestamp",
        github("{token: !!timestamp 2020-13-45, orgs: [a]}"),
        ("not valid YAML", "syncer.yaml:4:"),
    ),
    Case("yaml", "bad-int-tag", HEAD + "defaults: {concurrency: !!int eight}\n", ("not valid YAML", "syncer.yaml:2:")),
    Case("yaml", "bad-float-tag", HEAD + "defaults: {jitter: !!float lots}\n", ("not valid YAML", "syncer.yaml:2:")),
    Case("yaml", "bad-binary", HEAD + "x: !!binary YQ\n", ("not valid YAML", "syncer.yaml:2:")),
    Case("yaml", "python-tag", "x: !!python/object/apply:os.system [echo]\n", ("not valid YAML", "syncer.yaml:1:")),
    Case("yaml", "custom-tag", "x: !vault secret\n", ("not valid YAML", "syncer.yaml:1:")),
    Case("yaml", "set-of-lists", "x: !!set {? [a]}\n", ("not valid YAML",)),
    Case("yaml", "nul-character", HEAD + "x: a\x00b\n", ("not valid YAML",)),
    Case("yaml", "two-documents", HEAD + "---\n" + HEAD, ("not valid YAML", "syncer.yaml:2:")),
    Case("yaml", "tab-indent", f"datadog:\n\tapi_key: {DD_API}\n", ("not valid YAML", "syncer.yaml:2:")),
    Case(
        "yaml",
        "secret-on-a-broken-line",
        f"datadog:\n  api_key: {DD_API}: {DD_APP}\n",
        ("not valid YAML", "syncer.yaml:2:"),
    ),
    Case(
        "yaml",
        "binary-value",
        github("{token: !!binary Z2hwX3NlY3JldA==, orgs: [a]}"),
        ("github.sources[0].token", "bytes"),
    ),
    Case(
        "yaml",
        "date-value",
        HEAD + "jira: {sources: [{hostname: j, account_id: 2024-01-01, token: t}]}\n",
        ("account_id", "date"),
    ),
    Case("nesting", "flow-100k", "x: " + "[" * 100_000 + "\n", ("syncer.yaml", "nested deeper than")),
    Case("nesting", "flow-mappings", "x: " + "{a: " * 10_000 + "\n", ("syncer.yaml", "nested deeper than")),
    Case("nesting", "block-sequences", "x:\n" + "- " * 5_000 + "a\n", ("syncer.yaml", "nested deeper than")),
    Case(
        "nesting", "indentation", "".join(" " * i + "a:\n" for i in range(2_000)), ("syncer.yaml", "nested deeper than")
    ),
    # -- ${...} interpolation: malformed is an error naming the key --------------------------------------------
    Case("interpolation", "nested-default", with_token("${A:-${B}}"), ("github.sources[0].token", "nested")),
    Case("interpolation", "nested-name", with_token("${A${B}}"), ("github.sources[0].token", "nested")),
    Case("interpolation", "unterminated", with_token("${GITHUB_TOKEN"), ("github.sources[0].token", "unterminated")),
    Case(
        "interpolation",
        "unterminated-secret",
        with_token("${ghp_LiteralSecret0005"),
        ("token", "unterminated"),
        absent=("ghp_LiteralSecret0005",),
    ),
    Case("interpolation", "unterminated-default", with_token("${A:-abc"), ("github.sources[0].token", "unterminated")),
    Case("interpolation", "empty", with_token("${}"), ("github.sources[0].token", "empty")),
    Case("interpolation", "digit-name", with_token("${1TOKEN}"), ("github.sources[0].token", "invalid ${...}")),
    Case("interpolation", "dash-name", with_token("${GITHUB-TOKEN}"), ("github.sources[0].token", "invalid ${...}")),
    Case(
        "interpolation",
        "other-operator",
        with_token("${GITHUB_TOKEN:?unset}"),
        ("github.sources[0].token", "invalid ${...}"),
    ),
    Case("interpolation", "spaces", with_token("${ GITHUB_TOKEN }"), ("github.sources[0].token", "invalid ${...}")),
    Case(
        "interpolation",
        "bare-name-token",
        with_token("$GITHUB_TOKEN"),
        ("github.sources[0].token", "bare $NAME", "write ${GITHUB_TOKEN} for the environment variable", "$$"),
    ),
    Case(
        "interpolation",
        "bare-name-inside",
        with_token("prefix-$GITHUB_TOKEN"),
        ("github.sources[0].token", "bare $NAME"),
    ),
    Case("interpolation", "lone-dollar-secret", with_token("pa$5word"), ("github.sources[0].token", "$$")),
    Case("interpolation", "trailing-dollar-secret", with_token("password$"), ("github.sources[0].token", "$$")),
    Case(
        "interpolation",
        "bare-datadog-key",
        "datadog: {api_key: $DD_API_KEY, app_key: x}\ngithub: {sources: [{token: y, orgs: [a]}]}\n",
        ("datadog.api_key", "bare $NAME"),
    ),
    Case(
        "interpolation",
        "bare-jira-api-token",
        HEAD + "jira: {sources: [{hostname: j, account_id: '1', email: e@x, api_token: $JIRA_TOKEN}]}\n",
        ("jira.sources[0].api_token", "bare $NAME"),
    ),
    Case(
        "interpolation",
        "bare-pagerduty",
        HEAD + "pagerduty: {sources: [{token: $PD}]}\n",
        ("pagerduty.sources[0].token", "bare"),
    ),
    Case(
        "interpolation",
        "bare-private-key",
        github("{app: {app_id: 1, private_key: $PEM}}"),
        ("app.private_key", "bare"),
    ),
    Case(
        "interpolation",
        "bare-hostname",
        github("{hostname: $GH_HOST, token: x, orgs: [a]}"),
        ("sources[0].hostname", "bare"),
    ),
    Case(
        "interpolation",
        "nested-in-include",
        github("{token: x, orgs: [a], include: ['${A:-${B}}']}"),
        ("include[0]", "nested"),
    ),
    Case(
        "interpolation",
        "unterminated-file",
        github("{token_file: '${TOKEN_FILE', orgs: [a]}"),
        ("token_file", "unterminated"),
    ),
    # -- schedules fire at least once a year; `every` is 1s to 366d ---------------------------------------------
    Case("schedule", "feb-31", with_defaults("schedule: '0 0 31 2 *'"), ("defaults.schedule", "once a year")),
    Case("schedule", "feb-30", with_defaults("schedule: '0 0 30 2 *'"), ("defaults.schedule", "once a year")),
    Case(
        "schedule",
        "short-months-31",
        with_defaults("schedule: '0 0 31 4,6,9,11 *'"),
        ("defaults.schedule", "once a year"),
    ),
    Case("schedule", "leap-day-only", with_defaults("schedule: '0 12 29 2 *'"), ("defaults.schedule", "once a year")),
    Case(
        "schedule",
        "steps-in-february",
        with_defaults("schedule: '*/5 * 30,31 2 *'"),
        ("defaults.schedule", "once a year"),
    ),
    Case(
        "schedule",
        "integration-never",
        github("{token: x, orgs: [a]}", "  schedule: '0 0 31 11 *'\n"),
        ("github.schedule", "once a year"),
    ),
    Case(
        "schedule", "every-huge", with_defaults("schedule: every 99999999999d"), ("defaults.schedule", "at most 366d")
    ),
    Case("schedule", "every-367d", with_defaults("schedule: every 367d"), ("defaults.schedule", "at most 366d")),
    Case(
        "schedule",
        "every-huge-seconds",
        with_defaults("schedule: every 9999999999999999999999999999s"),
        ("defaults.schedule", "at most 366d"),
    ),
    Case("schedule", "every-9000h", with_defaults("schedule: every 9000h"), ("defaults.schedule", "at most 366d")),
    Case("schedule", "every-zero", with_defaults("schedule: every 0s"), ("defaults.schedule", "at least 1s")),
    Case("schedule", "every-fraction", with_defaults("schedule: every 1.5h"), ("defaults.schedule", "duration")),
    Case("schedule", "every-negative", with_defaults("schedule: every -1h"), ("defaults.schedule", "duration")),
    Case("schedule", "every-years", with_defaults("schedule: every 2y"), ("defaults.schedule", "duration")),
    Case("schedule", "cron-huge-field", with_defaults("schedule: '99999999999 * * * *'"), ("defaults.schedule",)),
    Case(
        "schedule",
        "too-long",
        with_defaults("schedule: '" + ",".join(["1"] * 500) + " * * * *'"),
        ("defaults.schedule",),
    ),
    # -- integers and booleans are strict ---------------------------------------------------------------------
    Case(
        "strict", "concurrency-true", with_defaults("concurrency: true"), ("defaults.concurrency", "integer", "boolean")
    ),
    Case(
        "strict",
        "concurrency-string",
        with_defaults("concurrency: '8'"),
        ("defaults.concurrency", "string", "without quotes"),
    ),
    Case("strict", "concurrency-float", with_defaults("concurrency: 8.0"), ("defaults.concurrency", "decimal")),
    Case("strict", "jitter-string", with_defaults('jitter: "5"'), ("defaults.jitter", "string")),
    Case("strict", "jitter-bool", with_defaults("jitter: false"), ("defaults.jitter", "boolean")),
    Case("strict", "max-deletions-bool", with_defaults("max_deletions: true"), ("defaults.max_deletions",)),
    Case("strict", "max-deletions-float", with_defaults("max_deletions: 1.5"), ("defaults.max_deletions",)),
    Case(
        "strict",
        "confirm-removals-bool",
        with_defaults("confirm_removals: true"),
        ("defaults.confirm_removals", "boolean"),
    ),
    Case(
        "strict",
        "confirm-removals-string",
        with_defaults("confirm_removals: '5'"),
        ("defaults.confirm_removals", "string"),
    ),
    Case("strict", "run-timeout-number", with_defaults("run_timeout: 900"), ("defaults.run_timeout", "duration")),
    Case(
        "strict", "run-timeout-sexagesimal", with_defaults("run_timeout: 15:00"), ("defaults.run_timeout", "duration")
    ),
    Case(
        "strict",
        "archived-string",
        github("{token: x, orgs: [a], archived: 'false'}"),
        ("github.sources[0].archived", "boolean", "string"),
    ),
    Case(
        "strict",
        "archived-zero",
        github("{token: x, orgs: [a], archived: 0}"),
        ("github.sources[0].archived", "integer"),
    ),
    Case("strict", "forks-one", github("{token: x, orgs: [a], forks: 1}"), ("github.sources[0].forks", "integer")),
    Case(
        "strict", "forks-string", github("{token: x, orgs: [a], forks: 'true'}"), ("github.sources[0].forks", "string")
    ),
    Case(
        "strict",
        "app-id-float",
        github("{app: {app_id: 1.5, private_key: x}}"),
        ("github.sources[0].app.app_id", "decimal"),
    ),
    Case(
        "strict",
        "app-id-string",
        github("{app: {app_id: '123', private_key: x}}"),
        ("github.sources[0].app.app_id", "string"),
    ),
    Case(
        "strict",
        "app-id-bool",
        github("{app: {app_id: true, private_key: x}}"),
        ("github.sources[0].app.app_id", "boolean"),
    ),
    Case(
        "strict",
        "installation-id-bool",
        github("{app: {app_id: 1, private_key: x, installation_id: true}}"),
        ("github.sources[0].app.installation_id", "boolean"),
    ),
    Case(
        "strict",
        "enabled-yes-string",
        HEAD + "pagerduty: {sources: [{token: t, enabled: 'yes'}]}\n",
        ("pagerduty.sources[0].enabled", "string"),
    ),
    Case(
        "strict",
        "enabled-one",
        HEAD + "pagerduty: {sources: [{token: t, enabled: 1}]}\n",
        ("pagerduty.sources[0].enabled", "integer"),
    ),
    Case(
        "strict",
        "extra-enabled-string",
        HEAD + "pagerduty: {extra: [{enabled: 'false', subdomain: s}]}\n",
        ("pagerduty.extra[0].enabled",),
    ),
    Case(
        "strict",
        "jira-archived-string",
        HEAD + "jira: {sources: [{hostname: j, account_id: '1', token: t, archived: 'no'}]}\n",
        ("jira.sources[0].archived", "string"),
    ),
    Case("strict", "orgs-a-string", github("{token: x, orgs: acme}"), ("github.sources[0].orgs", "list")),
    Case(
        "strict",
        "hostname-a-number",
        github("{hostname: 42, token: x, orgs: [a]}"),
        ("github.sources[0].hostname", "integer"),
    ),
    Case("strict", "token-a-number", github("{token: 12345678, orgs: [a]}"), ("github.sources[0].token",)),
    Case(
        "strict",
        "token-multi-line",
        github('{token: "ghp_a\\nX-Injected: 1", orgs: [a]}'),
        ("github.sources[0].token", "one line"),
    ),
    # -- URLs with userinfo: never shown ------------------------------------------------------------------------
    Case(
        "userinfo",
        "datadog-api-url",
        f"datadog: {{api_key: k, app_key: k, api_url: 'http://alice:{PASSWORD}@dd proxy'}}\n"
        + "github: {sources: [{token: y, orgs: [a]}]}\n",
        ("datadog.api_url",),
    ),
    Case(
        "userinfo",
        "github-ftp",
        github(f"{{api_url: 'ftp://alice:{PASSWORD}@ghe.example.com', token: x, orgs: [a]}}"),
        ("github.sources[0].api_url", "ghe.example.com"),
    ),
    Case(
        "userinfo",
        "github-hostname",
        github(f"{{hostname: 'alice:{PASSWORD}@github.com', token: x, orgs: [a]}}"),
        ("github.sources[0].hostname",),
    ),
    Case(
        "userinfo",
        "no-scheme-separator",
        github(f"{{api_url: 'http//alice:{PASSWORD}@host', token: x, orgs: [a]}}"),
        ("github.sources[0].api_url",),
    ),
    Case(
        "userinfo",
        "jira-url",
        HEAD
        + f"jira: {{sources: [{{hostname: j, url: 'gopher://alice:{PASSWORD}@jira', account_id: '1', token: t}}]}}\n",
        ("jira.sources[0].url",),
    ),
    Case(
        "userinfo",
        "pagerduty-url-and-another-error",
        HEAD + f"pagerduty: {{sources: [{{token: t, api_url: 'https://alice:{PASSWORD}@pd/ x', enabled: 'no'}}]}}\n",
        ("pagerduty.sources[0].api_url", "pagerduty.sources[0].enabled"),
    ),
]


def _load_in_thread(path: Path, timeout: float) -> BaseException | Config | None:
    """Load on a daemon thread; None when it did not return in `timeout` seconds."""
    outcome: list[BaseException | Config] = []

    def target() -> None:
        try:
            outcome.append(loader.load(path, ENV))
        except BaseException as exc:  # the test inspects whatever came out
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    return outcome[0] if outcome else None


def _prepare(case: Case, root: Path) -> Path:
    if case.setup is not None:
        case.setup(root)
    if case.text is not None:
        target = root / "syncer.yaml"
        if isinstance(case.text, bytes):
            target.write_bytes(case.text)
        else:
            target.write_text(case.text, encoding="utf-8")
    return Path(case.config) if Path(case.config).is_absolute() else root / case.config


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_config_is_a_clean_config_error(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = _prepare(case, tmp_path)
    outcome = _load_in_thread(path, FAST if case.kind in SLOW_KINDS else 30.0)
    assert outcome is not None, f"loading did not return within {FAST}s"
    assert isinstance(outcome, ConfigError), f"expected a ConfigError, got {outcome!r}"
    message = str(outcome)
    for words in case.expected:
        assert words in message, f"{words!r} not in {message!r}"
    for secret in (*SECRETS, *case.absent):
        assert secret not in message
    assert "Traceback" not in message


def test_every_kind_has_several_variants() -> None:
    kinds: dict[str, int] = {}
    for case in CASES:
        kinds[case.kind] = kinds.get(case.kind, 0) + 1
    assert all(count >= 3 for count in kinds.values()), kinds
    assert len({c.id for c in CASES}) == len(CASES)


# -- what stays accepted: the bounds are not off by one, and the rules do not catch ordinary configs ----------------


def _loads(text: str, root: Path, env: dict[str, str] | None = None) -> Config:
    path = root / "syncer.yaml"
    path.write_text(text)
    return loader.load(path, ENV if env is None else env)


def test_a_secret_file_of_exactly_64_kib_is_read(tmp_path: Path) -> None:
    (tmp_path / "token").write_bytes(b"t" * (64 * 1024 - 1) + b"\n")
    config = _loads(github("{token_file: token, orgs: [acme]}"), tmp_path)
    assert config.github is not None
    assert config.github.sources[0].token is not None
    assert len(config.github.sources[0].token.get_secret_value()) == 64 * 1024 - 1


def test_a_large_config_is_read(tmp_path: Path) -> None:
    text = with_defaults("concurrency: 4") + "#" * (256 * 1024) + "\n"
    assert _loads(text, tmp_path).defaults.concurrency == 4


def test_aliases_within_the_bound_work(tmp_path: Path) -> None:
    text = HEAD + (
        "github:\n  sources:\n    - {token: '${GITHUB_TOKEN}', orgs: &orgs [acme, acme-labs]}\n"
        "    - {hostname: ghe.example.com, token: '${GITHUB_TOKEN}', orgs: *orgs}\n"
    )
    config = _loads(text, tmp_path)
    assert config.github is not None
    assert [s.orgs for s in config.github.sources] == [["acme", "acme-labs"], ["acme", "acme-labs"]]


def test_a_utf8_bom_and_non_ascii_text_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "syncer.yaml"
    path.write_bytes(
        b"\xef\xbb\xbf" + github("{token: '${GITHUB_TOKEN}', orgs: [acme], include: ['caf\u00e9-*']}").encode()
    )
    config = loader.load(path, ENV)
    assert config.github is not None
    assert config.github.sources[0].include == ["caf\u00e9-*"]


@pytest.mark.parametrize(
    "text", ["every 1s", "every 366d", "0 0 28 2 *", "0 0 31 1,2 *", "0 0 31 * 1", "59 23 31 12 *"]
)
def test_schedules_that_fire_every_year_are_accepted(text: str, tmp_path: Path) -> None:
    assert _loads(with_defaults(f"schedule: '{text}'"), tmp_path).defaults.schedule == text


def test_userinfo_urls_are_accepted_and_their_password_registered(tmp_path: Path) -> None:
    from syncer.redact import REDACTOR

    text = f"datadog: {{api_key: k1234, app_key: k5678, api_url: 'https://bob:{PASSWORD}-ok@dd.proxy'}}\n"
    config = _loads(text + "github: {sources: [{token: y, orgs: [a]}]}\n", tmp_path)
    assert config.datadog.api_url == f"https://bob:{PASSWORD}-ok@dd.proxy"
    assert PASSWORD not in REDACTOR.redact(f"proxy said: bad password {PASSWORD}-ok")


# -- through the command line: exit 2, no traceback, no secret ----------------------------------------------------

CLI_CASES = [
    c
    for c in CASES
    if c.id
    in {
        "alias:billion-laughs",
        "alias:recursive-list",
        "file-kind:token-fifo",
        "file-kind:token-dev-zero",
        "utf8:latin-1-config",
        "interpolation:nested-default",
        "schedule:every-huge",
        "strict:concurrency-true",
        "userinfo:datadog-api-url",
    }
]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_validate_exits_2_without_a_traceback(case: Case, tmp_path: Path) -> None:
    path = _prepare(case, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "SYNCER_"))}
    env.update(ENV)
    done = subprocess.run(
        [sys.executable, "-m", "syncer", "--config", str(path), "validate"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "configuration error" in done.stderr
    assert case.expected[0] in done.stderr
    for secret in SECRETS:
        assert secret not in done.stderr
        assert secret not in done.stdout
