"""Pydantic models of the configuration (SPEC §4); every check runs before any network call."""

from __future__ import annotations

from typing import Annotated, Literal

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from pydantic import Field, SecretStr, field_validator, model_validator

from syncer import filters
from syncer.config import schedule
from syncer.config.http import HttpConfig
from syncer.config.selectors import CustomProperties, Names, PushedWithin
from syncer.config.settings import RunSettings, Strict
from syncer.config.values import Flag, Int, PrivateKey, Secret, check_hostname, check_url, duration
from syncer.model import GithubRepo, Integration, JiraProject, PagerDutyAccount

DATADOG_SITES = (
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "uk1.datadoghq.com",
    "ddog-gov.com",
    "us2.ddog-gov.com",
)


def _check_patterns(value: list[str]) -> list[str]:
    filters.compile_patterns(value)
    return value


def _check_account_id(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError(f'must be a string: quote it in YAML (account_id: "123456789"), got {type(value).__name__}')
    return value


def _check_not_empty(section: GithubSection | JiraSection | PagerDutySection) -> None:
    if not section.sources and not section.extra:
        raise ValueError("give at least one of sources or extra (leave the section out to not manage it)")


MAX_DEBOUNCE_SECONDS = 600
Visibility = Literal["public", "private", "internal"]
VISIBILITIES: tuple[Visibility, ...] = ("public", "private", "internal")
Patterns = Annotated[list[str], Field(default_factory=lambda: ["*"], min_length=1)]


class DatadogConfig(Strict):
    """The `datadog` section; environment defaults are applied by the loader."""

    site: str = "datadoghq.com"
    api_key: Secret
    app_key: Secret
    api_url: str | None = None
    events: Flag = False  # post a Datadog change event for every applied write (SPEC §10)

    _url = field_validator("api_url")(check_url)

    @field_validator("site")
    @classmethod
    def _site(cls, value: str) -> str:
        site = value.strip().lower()
        if site not in DATADOG_SITES:
            known = ", ".join(DATADOG_SITES)
            raise ValueError(f"unknown Datadog site {value!r}: use one of {known} (or set api_url for a proxy)")
        return site

    @property
    def base_url(self) -> str:
        """The API base URL: api_url, else https://api.{site}."""
        return self.api_url or f"https://api.{self.site}"


class GithubApp(Strict):
    """GitHub App authentication."""

    app_id: Annotated[Int, Field(ge=1)]
    private_key: PrivateKey
    installation_id: Annotated[Int, Field(ge=1)] | None = None

    @field_validator("private_key")
    @classmethod
    def _pem(cls, value: SecretStr) -> SecretStr:
        try:
            serialization.load_pem_private_key(value.get_secret_value().encode(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise ValueError("must be an unencrypted PEM private key (-----BEGIN ... PRIVATE KEY-----)") from None
        return value


class Topics(Strict):
    """Topic filters: include = must have one of them; exclude = must have none."""

    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)


class GithubSource(Strict):
    """One GitHub host (github.com or a GHES host) and its orgs."""

    hostname: str = "github.com"
    api_url: str | None = None
    token: Secret | None = None
    app: GithubApp | None = None
    orgs: list[Annotated[str, Field(min_length=1)]] | None = None
    include: Patterns
    exclude: list[str] = Field(default_factory=list)
    archived: Flag = False
    forks: Flag = True
    visibility: list[Visibility] = Field(default_factory=lambda: list(VISIBILITIES), min_length=1)
    topics: Topics = Field(default_factory=Topics)
    custom_properties: CustomProperties = Field(default_factory=dict)
    languages: Names = Field(default_factory=list)
    pushed_within: PushedWithin = None

    _host = field_validator("hostname")(check_hostname)
    _url = field_validator("api_url")(check_url)
    _patterns = field_validator("include", "exclude")(_check_patterns)

    @model_validator(mode="after")
    def _auth(self) -> GithubSource:
        if (self.token is None) == (self.app is None):
            raise ValueError("give exactly one of token or app")
        if self.token is not None and not self.orgs:
            raise ValueError("orgs: required with token auth (only app auth can discover orgs)")
        return self

    @property
    def base_url(self) -> str:
        """REST base: api_url, else https://api.github.com or https://{hostname}/api/v3."""
        if self.api_url:
            return self.api_url
        if self.hostname.lower() == "github.com":
            return "https://api.github.com"
        return f"https://{self.hostname}/api/v3"


class JiraSource(Strict):
    """One Jira site, Cloud (email + api_token) or Data Center (token)."""

    hostname: str
    url: str | None = None
    account_id: Annotated[str, Field(min_length=1)]
    email: str | None = None
    api_token: Secret | None = None
    token: Secret | None = None
    include: Patterns
    exclude: list[str] = Field(default_factory=list)
    archived: Flag = False
    project_types: list[str] = Field(default_factory=list)
    categories: Names = Field(default_factory=list)

    _host = field_validator("hostname")(check_hostname)
    _url = field_validator("url")(check_url)
    _patterns = field_validator("include", "exclude")(_check_patterns)

    _account = field_validator("account_id", mode="before")(_check_account_id)

    @model_validator(mode="after")
    def _auth(self) -> JiraSource:
        if (self.api_token is None) == (self.token is None):
            raise ValueError("give exactly one of api_token (Cloud, with email) or token (Data Center)")
        if self.api_token is not None and not self.email:
            raise ValueError("email: required with api_token (Cloud basic auth)")
        return self

    @property
    def base_url(self) -> str:
        """Site URL: url, else https://{hostname}."""
        return self.url or f"https://{self.hostname}"


class PagerDutySource(Strict):
    """One PagerDuty API token (one account)."""

    token: Secret
    api_url: str = "https://api.pagerduty.com"
    subdomain: Annotated[str, Field(min_length=1)] | None = None
    enabled: Flag = True

    _url = field_validator("api_url")(check_url)


class GithubExtra(Strict):
    """A static `enabled_repos` entry."""

    hostname: Annotated[str, Field(min_length=1)]
    github_org_name: Annotated[str, Field(min_length=1)]
    repo_name: Annotated[str, Field(min_length=1)]

    def entry(self) -> GithubRepo:
        """The entry to write."""
        return GithubRepo(self.hostname, self.github_org_name, self.repo_name)


class JiraExtra(Strict):
    """A static `enabled_projects` entry."""

    hostname: Annotated[str, Field(min_length=1)]
    account_id: Annotated[str, Field(min_length=1)]
    project_key: Annotated[str, Field(min_length=1)]

    _account = field_validator("account_id", mode="before")(_check_account_id)

    def entry(self) -> JiraProject:
        """The entry to write."""
        return JiraProject(self.hostname, self.account_id, self.project_key)


class PagerDutyExtra(Strict):
    """A static `accounts` entry."""

    enabled: Flag = True
    subdomain: Annotated[str, Field(min_length=1)] | None = None

    def entry(self) -> PagerDutyAccount:
        """The entry to write."""
        return PagerDutyAccount(self.enabled, self.subdomain)


class GithubSection(RunSettings):
    """The `github` section."""

    sources: list[GithubSource] = Field(default_factory=list)
    extra: list[GithubExtra] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> GithubSection:
        _check_not_empty(self)
        return self


class JiraSection(RunSettings):
    """The `jira` section."""

    sources: list[JiraSource] = Field(default_factory=list)
    extra: list[JiraExtra] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> JiraSection:
        _check_not_empty(self)
        return self


class PagerDutySection(RunSettings):
    """The `pagerduty` section; include/exclude apply to the subdomain."""

    sources: list[PagerDutySource] = Field(default_factory=list)
    include: Patterns
    exclude: list[str] = Field(default_factory=list)
    extra: list[PagerDutyExtra] = Field(default_factory=list)

    _patterns = field_validator("include", "exclude")(_check_patterns)

    @model_validator(mode="after")
    def _something(self) -> PagerDutySection:
        _check_not_empty(self)
        return self


Section = GithubSection | JiraSection | PagerDutySection


class StateConfig(Strict):
    """The `state` section: where the ETag cache and the change journal live."""

    path: Annotated[str, Field(min_length=1)] | None = None  # SQLite file; None: in memory (daemon) / none (sync)


class WebhookSecret(Strict):
    """One webhook route's shared secret (`secret`, or `secret_file`); none: the route answers 403."""

    secret: Secret | None = None


class WebhooksConfig(Strict):
    """The `webhooks` section: the receivers' secrets and how long deliveries for one scope coalesce."""

    debounce: Annotated[str, duration(0, MAX_DEBOUNCE_SECONDS)] = "2s"
    github: WebhookSecret = Field(default_factory=WebhookSecret)
    jira: WebhookSecret = Field(default_factory=WebhookSecret)

    @property
    def debounce_seconds(self) -> float:
        """`debounce` in seconds."""
        return float(schedule.parse_duration(self.debounce, 0, MAX_DEBOUNCE_SECONDS))


class Config(Strict):
    """The whole configuration file."""

    datadog: DatadogConfig
    state: StateConfig = Field(default_factory=StateConfig)
    webhooks: WebhooksConfig = Field(default_factory=WebhooksConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)
    defaults: RunSettings = Field(default_factory=RunSettings)
    github: GithubSection | None = None
    jira: JiraSection | None = None
    pagerduty: PagerDutySection | None = None

    @field_validator("state", "webhooks", "http", "defaults", mode="before")
    @classmethod
    def _empty_section(cls, value: object) -> object:
        """A section written with every key commented out (`http:`) is an empty one, as `datadog:` is."""
        return {} if value is None else value

    @model_validator(mode="after")
    def _something_managed(self) -> Config:
        if not self.integrations():
            raise ValueError("no integration configured: add a github, jira or pagerduty section")
        return self

    def section(self, integration: Integration) -> Section | None:
        """The section of one integration, or None when it is not managed."""
        sections: dict[Integration, Section | None] = {
            Integration.GITHUB: self.github,
            Integration.JIRA: self.jira,
            Integration.PAGERDUTY: self.pagerduty,
        }
        return sections[integration]

    def integrations(self) -> list[Integration]:
        """The managed integrations, in a fixed order."""
        return [i for i in Integration if self.section(i) is not None]

    def effective(self, integration: Integration) -> RunSettings:
        """The settings in force for one integration: `defaults` with the keys its section sets put over them."""
        return self.defaults.merged(self.section(integration))
