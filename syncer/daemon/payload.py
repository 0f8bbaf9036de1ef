"""What a verified webhook delivery names: the event, and the scopes whose list it may change (SPEC §5, §9).

GitHub: the host is `X-GitHub-Enterprise-Host` (else github.com), the org comes from the payload's
`organization`, `repository.owner` or `installation.account`; a transfer names the old owner too. Jira: the site
is the host (with its port, if any) of the payload's `project.self` URL. A payload without what its event needs
is `Invalid` (400).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from starlette.requests import Request

from syncer.scopes import GITHUB_COM

REPOSITORY_ACTIONS = frozenset(
    {"created", "deleted", "archived", "unarchived", "renamed", "transferred", "publicized", "privatized", "edited"}
)
ORG_EVENTS = frozenset({"installation", "installation_repositories", "custom_property_values"})
JIRA_EVENTS = frozenset(
    {
        "project_created",
        "project_updated",
        "project_deleted",
        "project_soft_deleted",
        "project_restored_deleted",
        "project_archived",
        "project_restored_archived",
    }
)


class Invalid(Exception):
    """The payload lacks what its event needs."""


@dataclass(frozen=True)
class Delivery:
    """One delivery: its event, whether it is a ping, and the (host, org) pairs it names (org "" for Jira)."""

    event: str
    hosts: tuple[tuple[str, str], ...] = ()
    ping: bool = False

    @property
    def labels(self) -> list[str]:
        """The scopes named, as `host/org` (GitHub) or `host` (Jira)."""
        return [f"{host}/{org}" if org else host for host, org in self.hosts]


def github_delivery(request: Request, payload: object) -> Delivery:
    """The Delivery of a GitHub webhook request."""
    event = request.headers.get("x-github-event", "").strip()
    if not event:
        raise Invalid("missing X-GitHub-Event")
    if event == "ping":
        return Delivery(event, ping=True)
    body = _object(payload, "the payload")
    action = body.get("action")
    event_name = f"{event}.{action}" if isinstance(action, str) else event
    if not (event in ORG_EVENTS or (event == "repository" and action in REPOSITORY_ACTIONS)):
        return Delivery(event_name)
    host = (request.headers.get("x-github-enterprise-host") or GITHUB_COM).strip().casefold()
    orgs = [_github_org(event, body)]
    if event == "repository" and action == "transferred":
        orgs.extend(_former_owner(body))
    return Delivery(event_name, tuple((host, org) for org in dict.fromkeys(orgs)))


def jira_delivery(request: Request, payload: object) -> Delivery:
    """The Delivery of a Jira admin webhook request."""
    body = _object(payload, "the payload")
    event = body.get("webhookEvent")
    if not isinstance(event, str) or not event:
        raise Invalid("missing webhookEvent")
    if event not in JIRA_EVENTS:
        return Delivery(event)
    project = _object(body.get("project"), "project")
    site = urlparse(_text(project.get("self"), "project.self")).netloc.rpartition("@")[2]
    if not site:
        raise Invalid("project.self is not a URL with a host")
    return Delivery(event, ((site.casefold(), ""),))


def _github_org(event: str, body: dict[str, object]) -> str:
    if event in ("installation", "installation_repositories"):
        installation = _object(body.get("installation"), "installation")
        return _text(_object(installation.get("account"), "installation.account").get("login"), "account.login")
    organization = body.get("organization")
    if isinstance(organization, dict):
        return _text(organization.get("login"), "organization.login")
    repository = _object(body.get("repository"), "repository")
    return _text(_object(repository.get("owner"), "repository.owner").get("login"), "repository.owner.login")


def _former_owner(body: dict[str, object]) -> list[str]:
    """The owner a transferred repo came from (`changes.owner.from.organization` or `.user`), when given."""
    changes = body.get("changes")
    owner = changes.get("owner") if isinstance(changes, dict) else None
    former = owner.get("from") if isinstance(owner, dict) else None
    if not isinstance(former, dict):
        return []
    account = former.get("organization") or former.get("user")
    login = account.get("login") if isinstance(account, dict) else None
    return [login] if isinstance(login, str) and login else []


def _object(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise Invalid(f"{what} is not an object")
    return value


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{what} is missing")
    return value.strip()
