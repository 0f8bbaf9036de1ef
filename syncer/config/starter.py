"""The commented starter configuration that `syncer config init [PATH]` writes.

Every secret is a `${VAR}`, so the file holds none and `syncer validate` passes as soon as the variables are set;
the names it manages (orgs, Jira site, account id) are placeholders to edit before `syncer plan`.
"""

from __future__ import annotations

from pathlib import Path

from syncer.errors import ConfigError

SCHEMA_FILE = "syncer.schema.json"
VARIABLES = ("DD_API_KEY", "DD_APP_KEY", "GITHUB_TOKEN", "JIRA_API_TOKEN", "PAGERDUTY_TOKEN")
"""The environment variables the starter reads (DD_SITE is optional)."""

TEMPLATE = """\
# yaml-language-server: $schema={schema}
# syncer configuration. For completion and checks in your editor, write the schema next to this file:
#   syncer config schema > {schema_path}
# Every key, with its default and meaning: config/syncer.example.yaml in the syncer repository.
#
# ${{VAR}} is read from the environment (${{VAR:-default}} falls back); a missing variable is an error. Secrets
# stay out of this file: set {variables},
# or read each from a file with the `_file` twin of its key (`token_file: secrets/github-token`, relative to this
# file's folder). Check it with `syncer validate`; see what would change with `syncer plan`.

datadog:
  site: ${{DD_SITE:-datadoghq.com}}   # datadoghq.eu, us3.datadoghq.com, us5.datadoghq.com, ap1.datadoghq.com, ...
  api_key: ${{DD_API_KEY}}
  app_key: ${{DD_APP_KEY}}

defaults:                           # every integration, unless its section overrides a key
  schedule: "*/30 * * * *"          # the daemon's schedule: cron (5 fields, UTC) or "every 10m"
  policy: sync                      # sync | upsert-only (never remove an entry)
  max_deletions: "10%"              # guard: a run removing more than this (entries, or % of the list) is refused

# Each integration section is optional: delete the ones you do not manage.
github:
  sources:
    - hostname: github.com
      token: ${{GITHUB_TOKEN}}        # a token that can read the orgs' repositories
      orgs: [acme]                  # your organizations
      include: ["*"]                # repo name patterns (glob, or "re:" for a regular expression)
      exclude: []                   # exclude wins over include
      archived: false               # include archived repos
      forks: true                   # include forks
  extra: []                         # always listed: {{hostname: github.com, github_org_name: acme, repo_name: x}}

jira:
  sources:
    - hostname: acme.atlassian.net  # your Jira Cloud site (Data Center: token instead of email + api_token)
      account_id: "123456789"       # your Jira account id as Datadog's Jira integration knows it (quoted)
      email: bot@acme.example       # the account the API token belongs to
      api_token: ${{JIRA_API_TOKEN}}
      include: ["*"]                # project key patterns
      exclude: []

pagerduty:
  sources:
    - token: ${{PAGERDUTY_TOKEN}}     # a REST API token; its account's subdomain is discovered
      api_url: https://api.pagerduty.com   # or https://api.eu.pagerduty.com
"""


def text(path: Path) -> str:
    """The starter configuration as it would be written at `path`."""
    return TEMPLATE.format(
        schema=SCHEMA_FILE,
        schema_path=path.parent / SCHEMA_FILE,
        variables=", ".join(VARIABLES),
    )


def write(path: Path) -> None:
    """Write the starter configuration at `path` (creating its folders); ConfigError if anything is there."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # FileExistsError too: a file stands where a folder should
        raise ConfigError(f"{path}: cannot write the starter configuration: {exc.strerror or exc}") from None
    try:
        with path.open("x", encoding="utf-8") as out:
            out.write(text(path))
    except FileExistsError:
        raise ConfigError(f"{path}: already exists; a starter configuration never overwrites a file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the starter configuration: {exc.strerror or exc}") from None
