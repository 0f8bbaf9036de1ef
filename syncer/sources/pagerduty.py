"""PagerDuty source: the account (subdomain) behind one API token, configured or read from the token."""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import closing

from syncer.config.schema import PagerDutySource
from syncer.deadline import Deadline
from syncer.errors import PermanentError, SyncerError
from syncer.filters import NameFilter, Verdict, sort_out
from syncer.model import Discovery, Entry, PagerDutyAccount, Scope
from syncer.redact import display_url, redact
from syncer.retry import RetryPolicy, Sleep
from syncer.sources.base import Inspection
from syncer.sources.pagerduty_client import PagerDutyClient, secrets_of


class PagerDutyAccounts:
    """The one account of one PagerDuty token for syncer's pagerduty integration."""

    def __init__(
        self,
        source: PagerDutySource,
        index: int = 0,
        names: NameFilter | None = None,
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        deadline: Deadline | None = None,
    ) -> None:
        self._source = source
        self._index = index
        self._names = names or NameFilter.of()
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._deadline = deadline if deadline is not None else Deadline.unbounded()

    def __repr__(self) -> str:
        return f"PagerDutyAccounts({self._label!r}, api_url={display_url(self._source.api_url)!r})"

    @property
    def _label(self) -> str:
        """How the token is named while its account is unknown: its position in `pagerduty.sources`, from 1."""
        return f"pagerduty token #{self._index + 1}"

    @property
    def scope(self) -> Scope:
        """The configured subdomain; unknown (owns=None) when it has to be read from the token."""
        if self._source.subdomain is not None:
            return _account_scope(self._source.subdomain)
        return Scope(label=self._label, owns=None)

    @property
    def rules(self) -> NameFilter:
        """The include/exclude patterns on the subdomain (the pagerduty section's)."""
        return self._names

    def discover(self) -> list[Discovery]:
        """One Discovery: the account (or none when include/exclude leave it out), or the error that hid it."""
        return [inspection.discovery for inspection in self.inspect()]

    def inspect(self) -> list[Inspection[str]]:
        """What discover() finds, with the account's subdomain as the one item listed (before include/exclude)."""
        subdomain = self._source.subdomain
        if subdomain is None:
            try:
                with closing(self._client()) as client:
                    subdomain = client.subdomain()
            except SyncerError as exc:
                return [Inspection(Discovery(self.scope, error=secrets_of(self._source).redact(redact(str(exc)))))]
        scope = _account_scope(subdomain)
        kept, dropped = sort_out((subdomain,), self._names.first_failing_rule)
        entries: tuple[Entry, ...] = tuple(self.entry_of(s) for s in kept)
        return [Inspection(Discovery(scope, entries=entries, seen=1, dropped=dropped), (subdomain,))]

    def verdicts(self, subdomain: str) -> tuple[Verdict, ...]:
        """The include and exclude verdicts on the account's subdomain."""
        return self._names.verdicts(subdomain)

    def decided(self, subdomain: str) -> str | None:
        """`include` or `exclude` when they drop the account, None when it is kept."""
        return self._names.first_failing_rule(subdomain)

    def entry_of(self, subdomain: str) -> PagerDutyAccount:
        """The entry of the account when include/exclude keep it."""
        return PagerDutyAccount(self._source.enabled, subdomain)

    def check(self) -> None:
        """Reach /users?limit=1 with the token; a configured subdomain must be the token's own account."""
        with closing(self._client()) as client:
            found = client.subdomain()
        wanted = self._source.subdomain
        if wanted is not None and wanted.casefold() != found.casefold():
            raise PermanentError(f"{self._label}: the token belongs to {found!r}, not to the configured {wanted!r}")

    def confirm(self, entries: Sequence[Entry]) -> tuple[Entry, ...]:
        """Nothing to look up: the account is the token's own (read from its answer, or configured).

        An entry of this account that the discovery did not produce was left out by include/exclude, which a
        direct look-up could only repeat; so none is kept.
        """
        return ()

    def _client(self) -> PagerDutyClient:
        return PagerDutyClient(self._source, self._label, self._policy, self._sleep, self._deadline)


def _account_scope(subdomain: str) -> Scope:
    return Scope(label=f"pagerduty:{subdomain}", owns=(subdomain.casefold(),))
