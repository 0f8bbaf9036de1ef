"""No tracked file holds a string a secret scanner takes for a real GitHub token.

The patterns are gitleaks' GitHub rules (github-pat, github-oauth, github-app-token, github-refresh-token,
github-fine-grained-pat). Test data that must look like a token to the redactor is built from pieces
(`"ghp_" + "x" * 36`) or kept shorter than a real one; the simulator's seeds look like no token at all.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GITLEAKS_GITHUB = {
    "github-pat": re.compile(r"ghp_[0-9a-zA-Z]{36}"),
    "github-oauth": re.compile(r"gho_[0-9a-zA-Z]{36}"),
    "github-app-token": re.compile(r"(?:ghu|ghs)_[0-9a-zA-Z]{36}"),
    "github-refresh-token": re.compile(r"ghr_[0-9a-zA-Z]{36}"),
    "github-fine-grained-pat": re.compile(r"github_pat_\w{82}"),
}


def _tracked_files() -> list[Path]:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files")
    listing = subprocess.run([git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listing.decode().split("\0") if name]


def _text(path: Path) -> str | None:
    """The file's text, or None for a binary (or vanished) file."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace")


def test_no_tracked_file_holds_a_github_token_shape() -> None:
    files = _tracked_files()
    found = []
    for path in files:
        text = _text(path)
        if text is None:
            continue
        for rule, pattern in GITLEAKS_GITHUB.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {rule} ({match.group()[:8]}...)")

    assert len(files) > 10, "git ls-files listed almost nothing"
    assert not found, "token-shaped strings a secret scanner reports as leaks:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("ghp_" + "A1b2C3d4E5" * 3 + "F6g7H8", "github-pat"),
        ("gho_" + "x" * 36, "github-oauth"),
        ("ghs_" + "0" * 36, "github-app-token"),
        ("ghu_" + "0" * 36, "github-app-token"),
        ("ghr_" + "z" * 36, "github-refresh-token"),
        ("github_pat_" + "1A_" * 27 + "x", "github-fine-grained-pat"),
    ],
)
def test_the_patterns_catch_each_kind_of_github_token(text: str, rule: str) -> None:
    assert [name for name, pattern in GITLEAKS_GITHUB.items() if pattern.search(text)] == [rule]
