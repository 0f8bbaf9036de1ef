"""Trim the official API descriptions to the operations the fidelity check replays, and amend them.

Reads the Jira and PagerDuty descriptions from `<repo>/../shared/reference/specs` (or `$SYNCER_SPECS_DIR`) and
the GitHub ones from the `@octokit/openapi` npm package in the work directory; writes
`<work-dir>/specs/{github,ghes,jira,pagerduty}.json`. Every amendment is listed in tools/fidelity/README.md.

Usage: .venv/bin/python tools/fidelity/trim.py [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEFAULT_WORK_DIR = REPO / ".cache" / "fidelity"
SPECS_ENV = "SYNCER_SPECS_DIR"
JIRA_SPEC = "jira-platform-swagger-v3.v3.json"
PAGERDUTY_SPEC = "pagerduty-openapiv3.json"
OCTOKIT = Path("node_modules/@octokit/openapi/generated")


def specs_dir() -> Path:
    """Where the official Jira and PagerDuty descriptions are: `$SYNCER_SPECS_DIR`, else beside the repo."""
    configured = os.environ.get(SPECS_ENV)
    return Path(configured) if configured else REPO.parent / "shared" / "reference" / "specs"


def trimmed_dir(work_dir: Path) -> Path:
    """Where the trimmed descriptions go (and where check.py reads them)."""
    return work_dir / "specs"


def add_work_dir_argument(parser: argparse.ArgumentParser) -> None:
    """The `--work-dir` option shared by trim.py and check.py."""
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=DEFAULT_WORK_DIR,
        help=f"npm working directory and output folder (default: {DEFAULT_WORK_DIR})",
    )


# -- generic trimming -----------------------------------------------------------------------------


def walk(node: Any, fn: Callable[[dict[str, Any]], None]) -> None:
    """Call fn(dict) for every dict in node."""
    if isinstance(node, dict):
        fn(node)
        for value in node.values():
            walk(value, fn)
    elif isinstance(node, list):
        for value in node:
            walk(value, fn)


def fix_formats(node: dict[str, Any]) -> None:
    """Make one schema node compile in Prism (repairs, and the `format: url` amendment)."""
    # Prism's `url` format refuses 127.0.0.1; the descriptions mean a URI
    if node.get("format") == "url":
        node["format"] = "uri"
    # a repair, not an amendment: an enum listing a value twice does not compile, and Prism then skips
    # validating the whole answer without a word (PagerDuty's alert_grouping_parameters.type)
    # Prism adds null to the enum of a nullable schema itself: listing it too makes a duplicate
    if isinstance(node.get("enum"), list):
        unique: list[Any] = []
        for value in node["enum"]:
            if value not in unique and not (value is None and node.get("nullable")):
                unique.append(value)
        node["enum"] = unique
    # `nullable` without `type` does not compile either (GitHub's installation.account): say it with anyOf
    if node.get("nullable") and "type" not in node:
        del node["nullable"]
        for key in ("anyOf", "oneOf"):
            if key in node:
                node[key].append({"type": "null"})
                break


def reachable_components(paths: dict[str, Any], components: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Copies of the components that `paths` reach through `$ref`, transitively, by section."""
    keep: dict[str, dict[str, Any]] = {}
    pending: list[str] = []

    def collect(node: dict[str, Any]) -> None:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            pending.append(ref)

    walk(paths, collect)
    while pending:
        section, name = pending.pop().split("/")[2:4]
        name = name.replace("~1", "/").replace("~0", "~")
        if name in keep.get(section, {}):
            continue
        item = copy.deepcopy(components[section][name])
        keep.setdefault(section, {})[name] = item
        walk(item, collect)
    if "securitySchemes" in components:
        keep["securitySchemes"] = copy.deepcopy(components["securitySchemes"])
    return keep


def trim(spec: dict[str, Any], paths: dict[str, dict[str, Any]], prefix: str = "") -> dict[str, Any]:
    """A copy of `spec` with only `paths` (already amended) and the components they reach."""
    skipped = ("paths", "components", "webhooks", "x-webhooks")
    out = {key: copy.deepcopy(value) for key, value in spec.items() if key not in skipped}
    out["paths"] = {prefix + path: item for path, item in paths.items()}
    out["servers"] = [{"url": "/"}]
    out["components"] = reachable_components(out["paths"], spec.get("components", {}))
    walk(out, fix_formats)
    return out


# -- GitHub ---------------------------------------------------------------------------------------

GITHUB_OPERATIONS = (
    ("/orgs/{org}/repos", "get"),
    ("/orgs/{org}", "get"),
    ("/orgs/{org}/properties/schema", "get"),
    ("/orgs/{org}/properties/values", "get"),
    ("/app/installations", "get"),
    ("/app/installations/{installation_id}/access_tokens", "post"),
    ("/installation/repositories", "get"),
    ("/rate_limit", "get"),
    ("/user", "get"),
)
BASIC_ERROR = {
    "description": "basic-error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/basic-error"}}},
}


def repos_by_org_id(list_for_org: dict[str, Any]) -> dict[str, Any]:
    """`GET /organizations/{id}/repos` (where github.com's Link headers point): a copy of `/orgs/{org}/repos`."""
    copied = copy.deepcopy(list_for_org)
    copied["operationId"] = "repos/list-for-org-by-id"
    copied["parameters"] = [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
        if prm.get("$ref") == "#/components/parameters/org"
        else prm
        for prm in copied["parameters"]
    ]
    return copied


def github(source: Path, prefix: str) -> dict[str, Any]:
    """The replayed GitHub operations of one `@octokit/openapi` description, amended."""
    spec = json.loads(source.read_text())
    ops = {path: {method: copy.deepcopy(spec["paths"][path][method])} for path, method in GITHUB_OPERATIONS}
    ops["/organizations/{id}/repos"] = {"get": repos_by_org_id(ops["/orgs/{org}/repos"]["get"])}
    # 401/403/404/429 with basic-error on every replayed operation
    for item in ops.values():
        for op in item.values():
            for code in ("401", "403", "404", "429"):
                op["responses"].setdefault(code, copy.deepcopy(BASIC_ERROR))
    # GET /app/installations: items are the `installation` component (the inline copy requires an account to be
    # a user and an enterprise at once)
    schema = ops["/app/installations"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    schema["items"] = {"$ref": "#/components/schemas/installation"}
    # organization-full: company, email, blog, location may be null (github/rest-api-description#2507, #7058)
    org_full = spec["components"]["schemas"]["organization-full"]["properties"]
    for name in ("company", "email", "blog", "location"):
        org_full[name]["nullable"] = True
    return trim(spec, ops, prefix)


# -- Jira -----------------------------------------------------------------------------------------

TOO_MANY = {"description": "Too many requests (rate limit)."}


def jira(source: Path) -> dict[str, Any]:
    """The replayed Jira project operations, under /rest/api/3 and (copied) /rest/api/2, with 429."""
    spec = json.loads(source.read_text())
    ops: dict[str, Any] = {}
    for name in ("project", "project/search", "serverInfo", "myself"):
        item = {"get": copy.deepcopy(spec["paths"][f"/rest/api/3/{name}"]["get"])}
        item["get"]["responses"].setdefault("429", copy.deepcopy(TOO_MANY))
        ops[f"/rest/api/3/{name}"] = item
        # Atlassian documents v2 and v3 as the same operations; the jira client uses v2
        v2 = copy.deepcopy(item)
        v2["get"]["operationId"] = v2["get"].get("operationId", name) + "V2"
        ops[f"/rest/api/2/{name}"] = v2
    return trim(spec, ops)


# -- PagerDuty ------------------------------------------------------------------------------------

ACCOUNT_TOKEN_400 = {
    "description": "Invalid input, or an account-level token (no user identity).",
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {"$ref": "#/components/responses/Conflict/content/application~1json/schema"},
                    {
                        "type": "object",
                        "required": ["error"],
                        "properties": {"error": {"type": "string"}},
                        "additionalProperties": False,
                    },
                ]
            }
        }
    },
}


def pagerduty(source: Path) -> dict[str, Any]:
    """The replayed PagerDuty operations, with 401/429 and the account-level-token 400 of /users/me."""
    spec = json.loads(source.read_text())
    paths = ("/users", "/users/me", "/services", "/abilities")
    ops = {path: {"get": copy.deepcopy(spec["paths"][path]["get"])} for path in paths}
    for item in ops.values():
        responses = item["get"]["responses"]
        responses.setdefault("401", {"$ref": "#/components/responses/Unauthorized"})
        responses.setdefault("429", {"$ref": "#/components/responses/TooManyRequests"})
    # /users/me 400 may be {"error": "<string>"} (account-level token), as the pagerduty client's api_key_access
    # reads it
    ops["/users/me"]["get"]["responses"]["400"] = copy.deepcopy(ACCOUNT_TOKEN_400)
    # request side only: the official client sends no Content-Type on a GET, and the API does not ask for one
    spec["components"]["parameters"]["header_Content-Type"]["required"] = False
    return trim(spec, ops)


# -- main -----------------------------------------------------------------------------------------


def sources(work_dir: Path) -> dict[str, Path]:
    """The input descriptions; exits with a hint when one is missing."""
    official = specs_dir()
    octokit = work_dir / OCTOKIT
    found = {
        "github": octokit / "api.github.com.json",
        "ghes": octokit / "ghes-3.19.json",
        "jira": official / JIRA_SPEC,
        "pagerduty": official / PAGERDUTY_SPEC,
    }
    missing = [str(path) for path in found.values() if not path.is_file()]
    if missing:
        sys.exit(
            f"missing API descriptions: {', '.join(missing)}\n"
            f"(run tools/fidelity/run.sh to install @octokit/openapi; set {SPECS_ENV} for the Jira/PagerDuty ones)"
        )
    return found


def main() -> None:
    """Write the trimmed, amended descriptions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_work_dir_argument(parser)
    work_dir: Path = parser.parse_args().work_dir.resolve()
    found = sources(work_dir)
    outputs = {
        "github": github(found["github"], ""),
        "ghes": github(found["ghes"], "/api/v3"),
        "jira": jira(found["jira"]),
        "pagerduty": pagerduty(found["pagerduty"]),
    }
    out = trimmed_dir(work_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, spec in outputs.items():
        target = out / f"{name}.json"
        target.write_text(json.dumps(spec, indent=1))
        components = sum(len(section) for section in spec["components"].values())
        print(f"{target}: {len(spec['paths'])} paths, {components} components")


if __name__ == "__main__":
    main()
