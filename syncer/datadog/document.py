"""Datadog's entity-integration documents: parse what is stored, render what to write — pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from syncer.errors import ShapeError
from syncer.model import (
    JSON,
    Current,
    Entry,
    EntryKey,
    GithubRepo,
    Integration,
    JiraProject,
    PagerDutyAccount,
    Stored,
)

REQUEST_TYPE = "entity_integration_config_requests"


def parse_response(integration: Integration, body: JSON, known: Current | None = None) -> Current:
    """Read a GET/PUT answer into the current list; raise ShapeError when the shape is not understood.

    `known` (the list read before) lends its GitHub entries to the items spelled exactly as they were: a PUT's
    answer repeats the list just read but for what changed, and 20,000 entries need not be made again."""
    config = _dig(body, ("data", "attributes", "config"), integration)
    if not isinstance(config, dict):
        raise ShapeError(f"Datadog {integration} config: data.attributes.config is not an object")
    if integration.list_key not in config and config:
        others = ", ".join(sorted(config))[:200]
        raise ShapeError(
            f"Datadog {integration} config has no {integration.list_key} list but other keys ({others}); "
            "not overwriting a config syncer does not understand"
        )
    items = config.get(integration.list_key, [])
    if not isinstance(items, list):
        raise ShapeError(f"Datadog {integration} config: {integration.list_key} is not a list")
    lent = _lent(known) if integration is Integration.GITHUB and known is not None else {}
    entries = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ShapeError(f"Datadog {integration} config: {integration.list_key}[{index}] is not an object")
        spelled = (item.get("hostname"), item.get("github_org_name"), item.get("repo_name"))
        entry = lent.get(spelled) if lent else None
        entries.append(Stored(entry if entry is not None else _entry(integration, item, index), item))
    other = {k: v for k, v in config.items() if k != integration.list_key}
    return Current(integration=integration, entries=tuple(entries), other=other, exists=True)


def _lent(known: Current) -> dict[tuple[object, object, object], GithubRepo]:
    """The GitHub entries of `known` by their exact spelling."""
    return {
        (s.entry.hostname, s.entry.github_org_name, s.entry.repo_name): s.entry
        for s in known.entries
        if isinstance(s.entry, GithubRepo)
    }


def render(current: Current, result: Sequence[Entry], origin: Sequence[int | None] = ()) -> dict[str, JSON]:
    """The config object to PUT: the result list, keeping unmanaged fields and the keys beside the list.

    `origin` (a Plan's) names, per result entry, the stored item it rewrites; without it, entries are matched
    with the first stored item of their key.
    """
    held: dict[EntryKey, Mapping[str, JSON]] = {}
    for stored in current.entries:
        held.setdefault(stored.entry.key(), stored.raw)
    items: list[JSON] = []
    for position, entry in enumerate(result):
        index = origin[position] if len(origin) == len(result) else -1
        if index is None:
            base: Mapping[str, JSON] = {}
        elif index >= 0:
            base = current.entries[index].raw
        else:
            base = held.get(entry.key(), {})
        merged: dict[str, JSON] = dict(base)
        if isinstance(entry, PagerDutyAccount) and entry.subdomain is None:
            merged.pop("subdomain", None)
        merged.update(entry.to_json())
        items.append(merged)
    config: dict[str, JSON] = dict(current.other)
    config[current.integration.list_key] = items
    return config


def request_body(config: Mapping[str, JSON]) -> dict[str, JSON]:
    """The PUT body around a config object."""
    return {"data": {"type": REQUEST_TYPE, "attributes": {"config": dict(config)}}}


def _dig(body: JSON, path: tuple[str, ...], integration: Integration) -> JSON:
    node = body
    for step in path:
        if not isinstance(node, dict) or step not in node:
            raise ShapeError(f"Datadog {integration} answer has no {'.'.join(path)}")
        node = node[step]
    return node


def _entry(integration: Integration, item: dict[str, JSON], index: int) -> Entry:
    """One stored entry as a typed value."""
    if integration is Integration.GITHUB:  # the common case first, checked without building any message
        host, org, name = item.get("hostname"), item.get("github_org_name"), item.get("repo_name")
        if type(host) is str and type(org) is str and type(name) is str:
            return GithubRepo(host, org, name)
    where = f"Datadog {integration} config: {integration.list_key}[{index}]"
    if integration is Integration.GITHUB:
        return GithubRepo(*(_text(item, k, where) for k in ("hostname", "github_org_name", "repo_name")))
    if integration is Integration.JIRA:
        return JiraProject(*(_text(item, k, where) for k in ("hostname", "account_id", "project_key")))
    enabled = item.get("enabled")
    if not isinstance(enabled, bool):
        raise ShapeError(f"{where}.enabled is not a boolean")
    subdomain = item.get("subdomain")
    if subdomain is not None and not isinstance(subdomain, str):
        raise ShapeError(f"{where}.subdomain is not a string")
    return PagerDutyAccount(enabled=enabled, subdomain=subdomain)


def _text(item: dict[str, JSON], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str):
        raise ShapeError(f"{where}.{key} is missing or not a string")
    return value
