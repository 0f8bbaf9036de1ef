"""Jira source: every project of one site (Cloud or Data Center), paged through project/search or /project."""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass

from syncer.config import JiraSource
from syncer.errors import PermanentError, SourceError
from syncer.filters import NameFilter
from syncer.model import Discovery, Entry, JiraProject, Scope
from syncer.retry import RetryPolicy, Sleep
from syncer.sources.jira_client import JiraClient, NotFound, Params

PAGE_SIZE = 100  # Jira Cloud's maximum; a server may answer with fewer per page
MAX_PAGES = 2_000  # a safety stop against a server whose pages never end
SEARCH = "project/search"
LIST = "project"


@dataclass(frozen=True)
class Project:
    """What the filters look at in a Jira project."""

    key: str
    type_key: str | None
    archived: bool


class JiraProjects:
    """Lists the projects of one Jira site for syncer's jira integration."""

    def __init__(self, source: JiraSource, policy: RetryPolicy | None = None, sleep: Sleep = time.sleep) -> None:
        self._source = source
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._names = NameFilter.of(source.include, source.exclude)
        self._types = frozenset(t.casefold() for t in source.project_types)

    def __repr__(self) -> str:
        return f"JiraProjects(hostname={self._source.hostname!r}, url={self._source.base_url!r})"

    @property
    def scope(self) -> Scope:
        """The whole site."""
        host = self._source.hostname
        return Scope(label=host, owns=(host.casefold(),))

    def discover(self) -> list[Discovery]:
        """One Discovery for the site: every wanted project, or the error that stopped the listing."""
        try:
            with closing(JiraClient(self._source, self._policy, self._sleep)) as client:
                projects = self._projects(client)
        except SourceError as exc:
            return [Discovery(self.scope, error=str(exc))]
        entries: tuple[Entry, ...] = tuple(
            JiraProject(self._source.hostname, self._source.account_id, p.key) for p in projects if self._wanted(p)
        )
        return [Discovery(self.scope, entries=entries, seen=len(projects))]

    def check(self) -> None:
        """Reach the site (serverInfo) and prove the credentials (myself); raise SourceError on failure."""
        with closing(JiraClient(self._source, self._policy, self._sleep)) as client:
            client.get("serverInfo")
            client.get("myself")

    def _wanted(self, project: Project) -> bool:
        if project.archived and not self._source.archived:
            return False
        if self._types and (project.type_key or "").casefold() not in self._types:
            return False
        return self._names.matches(project.key)

    def _projects(self, client: JiraClient) -> list[Project]:
        """Every project the credentials see; project/search where it exists, else GET /project (Data Center)."""
        try:
            return self._search(client)
        except NotFound as missing:
            try:
                return self._list(client)
            except NotFound as exc:
                raise NotFound(f"{missing}; and {exc} (is url right?)") from exc

    def _search(self, client: JiraClient) -> list[Project]:
        """Follow project/search to its last page; the server's page size wins over ours."""
        params: dict[str, str | int | list[str]] = {"maxResults": PAGE_SIZE, "orderBy": "key"}
        if self._source.archived:
            params["status"] = ["live", "archived"]
        found: dict[str, Project] = {}
        start = 0
        for number in range(1, MAX_PAGES + 1):
            where = f"{client.where(SEARCH)} page {number} (startAt={start})"
            try:
                body = client.get(SEARCH, {**params, "startAt": start})
            except NotFound as exc:
                if number == 1:
                    raise  # no project/search here: the caller falls back to GET /project
                raise PermanentError(f"{exc} on page {number}") from exc
            values, last = _page(body, start, where)
            found.update((p.key.casefold(), p) for p in (_project(v, where) for v in values))
            start += len(values)
            if last:
                return list(found.values())
            if not values:
                raise PermanentError(f"{where}: an empty page that is not the last one")
        raise PermanentError(f"{client.where(SEARCH)}: more than {MAX_PAGES} pages; giving up")

    def _list(self, client: JiraClient) -> list[Project]:
        """GET /project: every project in one answer (includeArchived when archived projects are wanted)."""
        params: Params = {"includeArchived": "true"} if self._source.archived else {}
        where = client.where(LIST)
        body = client.get(LIST, params)
        if not isinstance(body, list):
            raise PermanentError(f"{where}: expected a JSON list of projects, got {type(body).__name__}")
        projects = {p.key.casefold(): p for p in (_project(item, where) for item in body)}
        return list(projects.values())


def _page(body: object, start: int, where: str) -> tuple[list[object], bool]:
    """The values of one project/search page and whether it is the last (isLast, else total, else empty)."""
    if not isinstance(body, dict) or not isinstance(body.get("values"), list):
        raise PermanentError(f"{where}: expected a page object with a 'values' list")
    values: list[object] = body["values"]
    is_last, total = body.get("isLast"), body.get("total")
    if isinstance(is_last, bool):
        return values, is_last
    if isinstance(total, int) and not isinstance(total, bool):
        return values, start + len(values) >= total
    return values, not values


def _project(item: object, where: str) -> Project:
    """One project object; anything without a string key is a failure, never skipped."""
    if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not item["key"]:
        raise PermanentError(f"{where}: a project object has no 'key'")
    type_key = item.get("projectTypeKey")
    return Project(
        key=item["key"],
        type_key=type_key if isinstance(type_key, str) else None,
        archived=item.get("archived") is True,
    )
