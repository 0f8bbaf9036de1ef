"""Properties of the pure core that must hold for any input: nothing owned by a failed source is ever removed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from syncer import desired, guards, plan
from syncer.model import Discovery, GithubRepo, Integration, Scope, sort_key

ORGS = ("acme", "labs", "ops")
names = st.sampled_from(["api", "API", "web", "Web", "db", "cli", "docs", "infra", "sdk", "Sdk"])
repos = st.builds(GithubRepo, st.just("github.com"), st.sampled_from(ORGS), names)
repo_lists = st.lists(repos, max_size=25)


@st.composite
def discoveries(draw: st.DrawFn) -> list[Discovery]:
    """One discovery per org: healthy with some repos of that org, or failed."""
    out = []
    for org in ORGS:
        scope = Scope(f"github.com/{org}", ("github.com", org))
        if draw(st.booleans()):
            entries = [r for r in draw(repo_lists) if r.github_org_name == org]
            out.append(Discovery(scope, entries=tuple(entries)))
        else:
            out.append(Discovery(scope, error="failed"))
    return out


@settings(max_examples=300, deadline=None)
@given(current=repo_lists, found=discoveries(), extra=repo_lists, upsert=st.booleans())
def test_failed_scopes_lose_nothing_and_a_second_plan_is_empty(
    current: list[GithubRepo], found: list[Discovery], extra: list[GithubRepo], upsert: bool
) -> None:
    wanted = desired.build(found, extra)
    keep = guards.keeper(found, upsert_only=upsert)
    result = plan.compute(Integration.GITHUB, current, wanted, keep)
    failed = [d.scope for d in found if not d.ok]
    for entry in result.removed:
        assert not any(scope.covers(entry) for scope in failed), "an entry of a failed source was removed"
        assert not upsert, "upsert-only removed an entry"
    rewritten = [i for i in result.origin if i is not None]
    assert len(rewritten) == len(set(rewritten)), "a stored item written twice"
    assert len(current) == len(rewritten) + len(result.removed), "a stored item neither written back nor removed"
    new_keys = [e.key() for e, i in zip(result.to_write, result.origin, strict=True) if i is None]
    assert len(new_keys) == len(set(new_keys)), "a new entry written twice"
    assert list(result.to_write) == sorted(result.to_write, key=sort_key)
    again = plan.compute(Integration.GITHUB, result.to_write, wanted, keep)
    assert not again.has_changes, "writing the result and planning again must change nothing"


@settings(max_examples=300, deadline=None)
@given(current=repo_lists, found=discoveries(), extra=repo_lists)
def test_every_desired_and_extra_entry_is_in_the_result(
    current: list[GithubRepo], found: list[Discovery], extra: list[GithubRepo]
) -> None:
    wanted = desired.build(found, extra)
    result = plan.compute(Integration.GITHUB, current, wanted, guards.keeper(found, upsert_only=False))
    written = {e.key() for e in result.to_write}
    assert {e.key() for e in wanted} <= written
    assert {e.key() for e in extra} <= written
