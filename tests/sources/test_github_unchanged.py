"""An org whose pages all answer 304 is not worked out again: the entries, drops and names the last listing made
of those very pages are reused while the rules are the same; other rules, or a page that changed, redo it."""

from __future__ import annotations

from typing import Any

from syncer.config.schema import GithubSource
from syncer.model import Discovery
from syncer.simulator.github.fake import FakeGitHub
from syncer.sources.github import GithubRepos
from syncer.state.store import StateStore

from .conftest import FAST, Sleeps


def _source(fake: FakeGitHub, **rules: Any) -> GithubSource:
    return GithubSource.model_validate({"api_url": fake.url, "token": fake.token, "orgs": ["acme"], **rules})


def _listing(src: GithubSource, cache: StateStore, sleeps: Sleeps) -> Discovery:
    [found] = GithubRepos(src, 4, FAST, sleeps, cache=cache).discover()
    assert found.ok, found.error
    return found


def test_unchanged_pages_under_the_same_rules_give_the_same_outcome_objects(
    github_api: FakeGitHub, sleeps: Sleeps
) -> None:
    cache = StateStore()
    _listing(_source(github_api), cache, sleeps)
    warm = _listing(_source(github_api), cache, sleeps)
    again = _listing(_source(github_api), cache, sleeps)
    assert again.entries is warm.entries  # reused, not rebuilt
    assert again.dropped == warm.dropped and again.seen == warm.seen


def test_other_rules_on_the_same_pages_are_applied_anew(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    cache = StateStore()
    _listing(_source(github_api), cache, sleeps)
    everything = _listing(_source(github_api), cache, sleeps)
    narrower = _listing(_source(github_api, exclude=["a*"]), cache, sleeps)
    assert {e.repo_name for e in narrower.entries} == {
        e.repo_name for e in everything.entries if not e.repo_name.startswith("a")
    }
    assert dict(narrower.dropped).get("pattern", 0) > 0
    back = _listing(_source(github_api), cache, sleeps)
    assert back.entries == everything.entries


def test_a_changed_page_is_worked_out_again(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    cache = StateStore()
    _listing(_source(github_api), cache, sleeps)
    before = _listing(_source(github_api), cache, sleeps)
    github_api.add_repo("acme", "brand-new-repo")
    after = _listing(_source(github_api), cache, sleeps)
    assert {e.repo_name for e in after.entries} == {e.repo_name for e in before.entries} | {"brand-new-repo"}
