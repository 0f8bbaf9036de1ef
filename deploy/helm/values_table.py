#!/usr/bin/env python3
"""Write the values table of deploy/helm/syncer/README.md from deploy/helm/syncer/values.yaml.

    python3 deploy/helm/values_table.py           # rewrite the table between the README's markers
    python3 deploy/helm/values_table.py --print   # print it instead

One row per leaf of values.yaml (a scalar, a list or an empty mapping; a non-empty mapping is walked into): the
dotted key, its type, its default as JSON, and a description. A description already in the README is kept (edit it
there freely); a new key takes the comment above it or beside it in values.yaml. tests/deploy/test_values_table.py
fails when the table and values.yaml disagree. Needs PyYAML.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

CHART = Path(__file__).resolve().parent / "syncer"
VALUES = CHART / "values.yaml"
README = CHART / "README.md"
START = "<!-- values-table:start -->"
END = "<!-- values-table:end -->"
ROW = re.compile(r"^\| `(?P<key>[^`]+)` \| (?P<type>[^|]+) \| `(?P<default>(?:[^`]|\\\|)*)` \| (?P<text>.*) \|$")


def leaves(node: Any, prefix: str = "") -> dict[str, Any]:
    """dotted key -> default, for every leaf."""
    if isinstance(node, dict) and node:
        out: dict[str, Any] = {}
        for key, value in node.items():
            out |= leaves(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    return {prefix: node}


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "null"


def comments(text: str) -> dict[str, str]:
    """dotted key -> the prose comment above its line (same indent) or beside it. Commented-out examples (`#  x`)
    are not prose."""
    found: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    block: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            if re.match(r"^#( \S|$)", stripped) and not stripped.startswith("#  "):
                block.append(stripped[1:].strip())
            continue
        match = re.match(r"^(\s*)([A-Za-z_][\w.-]*):(.*)$", line)
        if not match or line.lstrip().startswith("- "):
            block = []
            continue
        indent, key, rest = len(match.group(1)), match.group(2), match.group(3)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([k for _, k in stack] + [key])
        stack.append((indent, key))
        beside = rest.split(" #", 1)[1].strip() if " #" in rest and not rest.strip().startswith(("'", '"')) else ""
        text_ = " ".join(block + ([beside] if beside else []))
        if text_:
            found[path] = text_
        block = []
    return found


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(values: dict[str, Any], descriptions: dict[str, str]) -> str:
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for key, default in leaves(values).items():
        text = descriptions.get(key) or ""
        rows.append(f"| `{key}` | {type_name(default)} | `{cell(json.dumps(default))}` | {cell(text)} |")
    return "\n".join(rows)


def readme_rows(readme: str) -> dict[str, dict[str, str]]:
    return {m["key"]: m.groupdict() for line in readme.splitlines() if (m := ROW.match(line))}


def main(argv: list[str]) -> int:
    text = VALUES.read_text()
    values = yaml.safe_load(text)
    readme = README.read_text()
    kept = {key: row["text"].replace("\\|", "|") for key, row in readme_rows(readme).items() if row["text"].strip()}
    descriptions = {**comments(text), **kept}
    new = table(values, descriptions)
    if "--print" in argv:
        print(new)
        return 0
    if START not in readme or END not in readme:
        print(f"{README}: no {START} ... {END} markers", file=sys.stderr)
        return 1
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{new}\n{END}{tail}")
    missing = [key for key in leaves(values) if not descriptions.get(key)]
    for key in missing:
        print(f"values_table: {key} has no description yet; write one in {README.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
