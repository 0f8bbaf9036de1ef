"""Jira source: every project of one site (Cloud or Data Center), paged through project/search or /project.

A listing ends on `isLast: true`, or on an empty page when the site does not say isLast; never on `total` alone
(a total smaller than the real count would give a short list). A page repeating only projects already listed, a
startAt other than the one asked, or more than MAX_PAGES pages fail the site: nothing is ever truncated.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import closing
from urllib.parse import quote

from syncer.config.schema import JiraSource
from syncer.deadline import Deadline
from syncer.errors import PermanentError, SyncerError
from syncer.filters import NameFilter, ProjectFilter, ProjectTraits, Verdict, sort_out
from syncer.model import Discovery, Entry, JiraProject, Scope
from syncer.progress import SILENT, Progress
from syncer.redact import redact
from syncer.retry import RetryPolicy, Sleep
from syncer.sources.base import Inspection
from syncer.sources.jira_client import JiraClient, NotFound, Params, secrets_of
from syncer.sources.jira_pages import Project, parse_list, parse_page, parse_project

PAGE_SIZE = 100  # Jira Cloud's maximum; a server may answer with fewer per page
MAX_PAGES = 2_000  # a safety stop against a server whose pages never end: past it the site fails
SEARCH = "project/search"
LIST = "project"


def project_filter(source: JiraSource) -> ProjectFilter:
    """Every filter of a source, compiled."""
    return ProjectFilter(
        names=NameFilter.of(source.include, source.exclude),
        archived=source.archived,
        project_types=frozenset(t.casefold() for t in source.project_types),
        categories=frozenset(c.casefold() for c in source.categories),
    )


class JiraProjects:
    """Lists the projects of one Jira site for syncer's jira integration."""

    def __init__(
        self,
        source: JiraSource,
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        deadline: Deadline | None = None,
    ) -> None:
        self._source = source
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._deadline = deadline if deadline is not None else Deadline.unbounded()
        self._filter = project_filter(source)
        self._listed: frozenset[str] | None = None  # keys (casefolded) of the last healthy listing

    def __repr__(self) -> str:
        return f"JiraProjects(hostname={self._source.hostname!r}, url={redact(self._source.base_url)!r})"

    @property
    def scope(self) -> Scope:
        """The whole site."""
        host = self._source.hostname
        return Scope(label=host, owns=(host.casefold(),))

    @property
    def rules(self) -> ProjectFilter:
        """The filters of this source."""
        return self._filter

    def discover(self, progress: Progress = SILENT) -> list[Discovery]:
        """One Discovery for the site: every wanted project, or the error that stopped the listing. Each page read
        goes to `progress`."""
        return [inspection.discovery for inspection in self.inspect(progress)]

    def inspect(self, progress: Progress = SILENT) -> list[Inspection[ProjectTraits]]:
        """What discover() finds, with every project the listing held (deduplicated by key), before any filter."""
        self._listed = None
        try:
            with closing(self._client()) as client:
                projects = self._projects(client, progress)
        except SyncerError as exc:
            return [Inspection(Discovery(self.scope, error=self._shown(str(exc))))]
        self._listed = frozenset(p.key.casefold() for p in projects)
        kept, dropped = sort_out(projects, self._filter.first_failing_rule)
        entries: tuple[Entry, ...] = tuple(self.entry_of(p) for p in kept)
        discovery = Discovery(self.scope, entries=entries, seen=len(projects), dropped=dropped)
        return [Inspection(discovery, tuple(projects))]

    def verdicts(self, project: ProjectTraits) -> tuple[Verdict, ...]:
        """Every rule's verdict on one listed project (see ProjectFilter.verdicts)."""
        return self._filter.verdicts(project)

    def decided(self, project: ProjectTraits) -> str | None:
        """The rule that drops the project (ProjectFilter.first_failing_rule), None when it is kept."""
        return self._filter.first_failing_rule(project)

    def entry_of(self, project: ProjectTraits) -> JiraProject:
        """The entry a listed project becomes when the filters keep it."""
        return JiraProject(self._source.hostname, self._source.account_id, project.key)

    def check(self) -> None:
        """Reach the site (serverInfo) and prove the credentials (myself); raise SyncerError on failure."""
        with closing(self._client()) as client:
            client.get("serverInfo")
            client.get("myself")

    def confirm(self, entries: Sequence[Entry]) -> tuple[Entry, ...]:
        """Of these current entries the listing did not produce, those still there: GET /project/{key} each.

        404: gone. A 200 passing the filters: kept (the listing missed it); failing them: not kept. A 200 under
        another key (the project was renamed; Jira answers an old key with the project) whose new key the listing
        has: not kept. Any other answer, an error, or the deadline: kept. One look-up per key, at most one each.
        """
        listed = self._listed
        if listed is None:  # no healthy listing to compare with: nothing is judged gone
            return tuple(entries)
        verdicts: dict[str, bool] = {}
        kept: list[Entry] = []
        with closing(self._client()) as client:
            for entry in entries:
                if not isinstance(entry, JiraProject) or entry.hostname.casefold() != self._source.hostname.casefold():
                    kept.append(entry)  # not this site's to judge
                    continue
                key = entry.project_key.casefold()
                if key not in verdicts:
                    verdicts[key] = self._still_wanted(client, entry.project_key, listed)
                if verdicts[key]:
                    kept.append(entry)
        return tuple(kept)

    def look_up(self, key: str) -> ProjectTraits | None:
        """One project as `GET /project/{key}` answers it (for `syncer explain`); None when Jira says it does not
        exist (404). Any other failure raises SyncerError."""
        path = f"{LIST}/{quote(key, safe='')}"
        with closing(self._client()) as client:
            try:
                return parse_project(client.get(path), client.where(path))
            except NotFound:
                return None

    def _still_wanted(self, client: JiraClient, key: str, listed: frozenset[str]) -> bool:
        path = f"{LIST}/{quote(key, safe='')}"
        try:
            project = parse_project(client.get(path), client.where(path))
        except NotFound:
            return False
        except SyncerError:
            return True  # never a removal on doubt (an error, another status, the deadline)
        if project.key.casefold() != key.casefold() and project.key.casefold() in listed:
            return False  # renamed: the listing has it under its new key
        return self._filter.matches(project)

    def _client(self) -> JiraClient:
        return JiraClient(self._source, self._policy, self._sleep, self._deadline)

    def _shown(self, text: str) -> str:
        return secrets_of(self._source).redact(redact(text))

    def _projects(self, client: JiraClient, progress: Progress) -> list[Project]:
        """Every project the credentials see; project/search where it exists, else GET /project (Data Center)."""
        try:
            return self._search(client, progress)
        except NotFound as missing:
            try:
                return self._list(client, progress)
            except NotFound as exc:
                raise NotFound(f"{missing}; and {exc} (is url right?)") from exc

    def _search(self, client: JiraClient, progress: Progress) -> list[Project]:
        """Follow project/search to its end (isLast, or an empty page); the server's page size wins over ours."""
        params: dict[str, str | int | list[str]] = {"maxResults": PAGE_SIZE, "orderBy": "key"}
        if self._source.archived:
            params["status"] = ["live", "archived"]
        found: dict[str, Project] = {}
        start = 0
        for number in range(1, MAX_PAGES + 1):
            where = f"{client.where(SEARCH)} page {number} (startAt={start})"
            self._deadline.check(where)
            try:
                body = client.get(SEARCH, {**params, "startAt": start})
            except NotFound as exc:
                if number == 1:
                    raise  # no project/search here: the caller falls back to GET /project
                raise PermanentError(f"{exc} on page {number}") from exc
            except SyncerError as exc:
                if number == 1:
                    raise
                raise type(exc)(f"{exc} on page {number} (startAt={start})") from exc
            page = parse_page(body, where)
            if len(page.projects) > PAGE_SIZE:  # bounds what MAX_PAGES pages can hold, whatever the server claims
                raise PermanentError(f"{where}: {len(page.projects)} projects on a page of at most {PAGE_SIZE}")
            if page.start is not None and page.start != start:
                raise PermanentError(f"{where}: the page says startAt={page.start}, not the {start} asked")
            progress.page(self.scope.label, len(page.projects), "projects")
            fresh = 0
            for project in page.projects:
                fresh += project.key.casefold() not in found
                found[project.key.casefold()] = project
            if page.is_last:
                return list(found.values())
            if not page.projects:
                if page.is_last is False:
                    raise PermanentError(f"{where}: an empty page that is not the last one")
                if page.total is not None and start < page.total:
                    raise PermanentError(f"{where}: an empty page after {start} projects of the {page.total} counted")
                return list(found.values())  # no isLast: the listing ends on its first empty page
            if not fresh:
                raise PermanentError(f"{where}: the page repeats only projects already listed; the site loops")
            start += len(page.projects)
        raise PermanentError(f"{client.where(SEARCH)}: more than {MAX_PAGES} pages; giving up")

    def _list(self, client: JiraClient, progress: Progress) -> list[Project]:
        """GET /project: every project in one answer (includeArchived when archived projects are wanted)."""
        params: Params = {"includeArchived": "true"} if self._source.archived else {}
        body = client.get(LIST, params)
        projects = {p.key.casefold(): p for p in parse_list(body, client.where(LIST))}
        progress.page(self.scope.label, len(projects), "projects")
        return list(projects.values())
