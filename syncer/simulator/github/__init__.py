"""The fake GitHub (github.com and Enterprise Server): repos, Apps, auth, paging and faults."""

from syncer.simulator.github.fake import FakeGitHub

__all__ = ["FakeGitHub"]
