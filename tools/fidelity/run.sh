#!/usr/bin/env bash
# Fidelity check of the API simulator against the official API descriptions (see tools/fidelity/README.md).
#
#   tools/fidelity/run.sh [--work-dir DIR] [check.py options: --port-base N, --trace, --serve]
#
# Installs Prism and the GitHub descriptions into the work directory (default <repo>/.cache/fidelity) when they
# are missing, trims the descriptions, then runs the check; exits with the check's exit code.
# Environment: PYTHON (default <repo>/.venv/bin/python), SYNCER_SPECS_DIR (Jira/PagerDuty descriptions).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
WORK="$REPO/.cache/fidelity"

PRISM_VERSION="5.14.2"
OCTOKIT_VERSION="23.0.2"

args=()
while (($#)); do
    case "$1" in
        --work-dir) WORK="$2"; shift 2 ;;
        --work-dir=*) WORK="${1#--work-dir=}"; shift ;;
        *) args+=("$1"); shift ;;
    esac
done
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"

if [[ ! -x "$PYTHON" ]]; then
    echo "no Python at $PYTHON: run 'make install' first (or set PYTHON)" >&2
    exit 2
fi

installed() {  # installed NAME VERSION: the npm package is in the work directory at that version
    local manifest="$WORK/node_modules/$1/package.json"
    [[ -f "$manifest" ]] && [[ "$(node -p "require(process.argv[1]).version" "$manifest")" == "$2" ]]
}

if ! installed @stoplight/prism-cli "$PRISM_VERSION" || ! installed @octokit/openapi "$OCTOKIT_VERSION" \
    || [[ ! -x "$WORK/node_modules/.bin/prism" ]]; then
    echo "installing @stoplight/prism-cli@$PRISM_VERSION and @octokit/openapi@$OCTOKIT_VERSION into $WORK" >&2
    cat >"$WORK/package.json" <<EOF
{
  "name": "syncer-fidelity",
  "private": true,
  "description": "Prism and the GitHub API descriptions for tools/fidelity",
  "dependencies": {
    "@stoplight/prism-cli": "$PRISM_VERSION",
    "@octokit/openapi": "$OCTOKIT_VERSION"
  }
}
EOF
    (cd "$WORK" && npm install --no-audit --no-fund --loglevel=error)
fi

"$PYTHON" "$HERE/trim.py" --work-dir "$WORK"
status=0
"$PYTHON" "$HERE/check.py" --work-dir "$WORK" ${args[@]+"${args[@]}"} || status=$?
exit "$status"
