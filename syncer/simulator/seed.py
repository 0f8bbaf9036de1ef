"""Deterministic seed data for the simulator: repo names, Jira projects and PagerDuty users."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

SCALES = ("small", "large", "xlarge")

# Credentials the fakes accept out of the box. None has the shape of a real token (GitHub's `ghp_` + 36
# characters, ...): a secret scanner must not take the simulator's for a leak (tests/test_secret_scan.py).
GITHUB_TOKEN = "sim-github-com-token"
GHES_TOKEN = "sim-ghes-token"
JIRA_EMAIL = "bot@acme.com"
JIRA_API_TOKEN = "ATATT3xFfGF0SimulatorJiraCloudApiToken"
JIRA_DC_TOKEN = "NjE2OTkzMzU4NDYxSimulatorJiraDcPersonalToken"
PAGERDUTY_TOKEN = "pd-acme-account-token-sim"
PAGERDUTY_EU_TOKEN = "pd-acme-eu-user-token-sim"
DATADOG_API_KEY = "dd-sim-api-key"
DATADOG_APP_KEY = "dd-sim-app-key"


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(sep))


_DOMAINS = _words(
    "billing checkout payments identity auth search catalog inventory orders shipping pricing ledger "
    "notifications email sms profile accounts onboarding reporting analytics metrics logging tracing "
    "alerting gateway edge cdn storage media images video chat support helpdesk crm marketing ads "
    "recommendations ranking feeds social reviews loyalty rewards coupons tax fraud risk compliance audit"
    " kyc vault secrets config feature-flags scheduler workflow etl warehouse ml"
)
_KINDS = _words(
    "api service worker web frontend backend cli sdk client lib proxy jobs cron consumer producer etl "
    "dashboard docs infra terraform helm operator exporter mobile admin"
)
_LANGUAGES = ("Python", "Go", "TypeScript", "Java", "Kotlin", "Ruby", "Rust", "JavaScript", "HCL", "Shell", None)
_TOPICS = _words(
    "service library team-x team-payments team-platform team-growth internal-tool python golang "
    "kubernetes terraform frontend backend pci"
)


def repo_names(rng: random.Random, count: int) -> list[str]:
    """`count` distinct, realistic repo names such as `billing-api` or `ledger-worker`."""
    combos = [f"{d}-{k}" for d in _DOMAINS for k in _KINDS]
    if count <= len(combos):
        return rng.sample(combos, count)
    extra = [f"{name}-{n}" for n in range(2, 2 + count // len(combos) + 1) for name in combos]
    return combos + rng.sample(extra, count - len(combos))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def repo_traits(rng: random.Random, name: str, *, internal_share: float) -> dict[str, Any]:
    """Seeded traits of one repo: visibility, archived, fork, topics, dates, counters."""
    roll = rng.random()
    visibility = "internal" if roll < internal_share else "public" if roll < internal_share + 0.25 else "private"
    archived = rng.random() < 0.1
    created = datetime(2014, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(0, 11 * 365 * 86400))
    updated = created + timedelta(seconds=rng.randrange(0, 400 * 86400))
    pushed = created + timedelta(seconds=rng.randrange(0, 400 * 86400))
    topics = sorted(set(rng.sample(_TOPICS, rng.randrange(0, 4))))
    if archived and rng.random() < 0.6:
        topics = sorted({*topics, "deprecated"})
    domain = name.split("-", maxsplit=1)[0]
    description = None if rng.random() < 0.15 else f"{domain.capitalize()} {name.split('-', 1)[-1]} for Acme"
    return {
        "visibility": visibility,
        "private": visibility != "public",
        "archived": archived,
        "disabled": False,
        "fork": rng.random() < 0.08,
        "is_template": rng.random() < 0.03,
        "topics": topics,
        "description": description,
        "language": rng.choice(_LANGUAGES),
        "default_branch": "main" if rng.random() < 0.85 else "master",
        "created_at": _iso(created),
        "updated_at": _iso(updated),
        "pushed_at": _iso(pushed),
        "size": rng.randrange(10, 250_000),
        "stargazers_count": rng.randrange(0, 300),
        "forks_count": rng.randrange(0, 40),
        "open_issues_count": rng.randrange(0, 80),
        "has_wiki": rng.random() < 0.3,
        "license": None if rng.random() < 0.6 else "mit",
    }


# The custom properties every seeded org defines (GitHub's `custom-property` objects, less their URLs): a team
# (most repos have one, named after their domain), a required tier with a default, compliance frameworks (a
# multi-select, on some repos).
CUSTOM_PROPERTIES: tuple[dict[str, Any], ...] = (
    {
        "property_name": "team",
        "value_type": "single_select",
        "required": False,
        "default_value": None,
        "description": "The team that owns the repository",
        "allowed_values": ["payments", "core", "platform", "growth", "identity", "data"],
        "values_editable_by": "org_actors",
    },
    {
        "property_name": "tier",
        "value_type": "single_select",
        "required": True,
        "default_value": "tier-3",
        "description": "How critical the service is: tier-1 pages someone at night",
        "allowed_values": ["tier-1", "tier-2", "tier-3"],
        "values_editable_by": "org_and_repo_actors",
    },
    {
        "property_name": "compliance",
        "value_type": "multi_select",
        "required": False,
        "default_value": None,
        "description": "Compliance frameworks in scope",
        "allowed_values": ["pci", "sox", "gdpr"],
        "values_editable_by": "org_actors",
    },
)
_TEAMS = {
    "payments": ("billing", "checkout", "payments", "pricing", "ledger", "tax", "coupons", "loyalty", "rewards"),
    "identity": ("identity", "auth", "accounts", "profile", "onboarding", "kyc", "vault", "secrets"),
    "platform": ("gateway", "edge", "cdn", "storage", "config", "feature-flags", "scheduler", "workflow"),
    "data": ("reporting", "analytics", "metrics", "etl", "warehouse", "ml", "logging", "tracing", "alerting"),
    "growth": ("marketing", "ads", "recommendations", "ranking", "feeds", "social", "reviews", "search"),
}
_TEAM_OF = {domain: team for team, domains in _TEAMS.items() for domain in domains}


def repo_properties(rng: random.Random, name: str) -> dict[str, Any]:
    """Seeded custom property values of one repo (property name -> a string, or a list for a multi-select).

    `team` follows the repo's domain (`core` for the rest), left unset on about one repo in eight; `tier` is
    always set (a required property: unset repos show its default); `compliance` is set on some repos.
    """
    domain = name.split("-", maxsplit=1)[0]
    found: dict[str, Any] = {"tier": rng.choices(("tier-1", "tier-2", "tier-3"), (2, 3, 5))[0]}
    if rng.random() >= 0.125:
        found["team"] = _TEAM_OF.get(domain, "core")
    frameworks = sorted(f for f in ("pci", "sox", "gdpr") if rng.random() < 0.2)
    if frameworks:
        found["compliance"] = frameworks
    return found


def github_layout(hostname: str, scale: str) -> dict[str, int]:
    """Org login -> number of repos seeded on a GitHub host."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    if hostname != "github.com":
        return {"platform": 120}
    if scale == "large":
        return {f"org-{i:02d}": 1000 for i in range(20)}
    if scale == "xlarge":
        return {f"org-{i:03d}": 1000 for i in range(100)}
    return {"acme": 250, "acme-labs": 40}


_PROJECT_WORDS = _words(
    "Payments Checkout Billing Identity Search Catalog Inventory Orders Shipping Pricing Ledger "
    "Notifications Mobile Web Platform Infrastructure Security Compliance Data Analytics Reporting Growth"
    " Marketing Support Helpdesk Legal Finance People Recruiting Design Research Docs Onboarding Fraud "
    "Risk Loyalty Partners Integrations Gateway Edge Storage Media Video Chat Accounts Tax Vault "
    "Observability Release QA"
)
_PROJECT_SUFFIXES = ("", " Platform", " Team", " Service Desk", " Ops", " Roadmap", " Core", " Apps")


def _project_key(name: str, taken: set[str]) -> str:
    letters = "".join(ch for ch in name.upper() if ch.isalpha())
    for size in range(3, 8):
        key = letters[:size]
        if key not in taken:
            return key
    n = 2
    while f"{letters[:5]}{n}" in taken:
        n += 1
    return f"{letters[:5]}{n}"


def jira_projects(rng: random.Random, count: int, *, deleted: int) -> list[dict[str, Any]]:
    """Seeded Jira projects: key, name, type, category, archived/deleted status and dates."""
    names = [f"{w}{s}" for w in _PROJECT_WORDS for s in _PROJECT_SUFFIXES]
    chosen = rng.sample(names, count + deleted)
    taken: set[str] = set()
    projects = []
    for index, name in enumerate(chosen):
        key = _project_key(name, taken)
        taken.add(key)
        kind = rng.random()
        project_type = (
            "service_desk" if "Service Desk" in name or kind < 0.12 else ("business" if kind < 0.27 else "software")
        )
        status = "deleted" if index >= count else ("archived" if index % 9 == 4 else "live")
        changed = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(0, 900))
        projects.append(
            {
                "id": str(10000 + index * 7 + rng.randrange(0, 7)),
                "key": key,
                "name": name,
                "projectTypeKey": project_type,
                "simplified": rng.random() < 0.3,
                "isPrivate": rng.random() < 0.1,
                "category": rng.choice((None, None, "Engineering", "Business", "Operations")),
                "status": status,
                "changed": changed.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
                "description": f"{name} work tracking",
            }
        )
    return projects


_FIRST = _words(
    "Ada Grace Alan Linus Margaret Ken Barbara Dennis Frances John Radia Tim Katherine Edsger Hedy "
    "Niklaus Sophie Guido Anita Leslie"
)
_LAST = _words(
    "Lovelace,Hopper,Turing,Torvalds,Hamilton,Thompson,Liskov,Ritchie,Allen,Backus,Perlman,Berners-Lee,"
    "Johnson,Dijkstra,Lamarr,Wirth,Wilson,van Rossum,Borg,Lamport",
    ",",
)
_ZONES = _words(
    "America/New_York America/Los_Angeles Europe/London Europe/Berlin Europe/Paris Asia/Tokyo "
    "Australia/Sydney America/Lima"
)
_ROLES = ("admin", "user", "user", "user", "limited_user", "observer", "owner")
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def pagerduty_id(rng: random.Random) -> str:
    """A PagerDuty object id such as `PXPGF42`."""
    return "P" + "".join(rng.choice(_ID_ALPHABET) for _ in range(6))


def pagerduty_people(rng: random.Random, count: int, domain: str) -> list[dict[str, str]]:
    """Seeded users: id, name, email, time zone and role."""
    pairs = rng.sample([(f, s) for f in _FIRST for s in _LAST], count)
    people = []
    for first, last in pairs:
        people.append(
            {
                "id": pagerduty_id(rng),
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower().replace(' ', '')}@{domain}",
                "time_zone": rng.choice(_ZONES),
                "role": rng.choice(_ROLES),
            }
        )
    return people
