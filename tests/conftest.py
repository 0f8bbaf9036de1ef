"""Suite-wide plugins and fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.reliability"]


@pytest.fixture(autouse=True, scope="session")
def lock_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Write locks of the runs the tests start live in the session's temporary directory, not in /tmp."""
    folder = tmp_path_factory.mktemp("locks")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYNCER_LOCK_DIR", str(folder))
        yield folder
