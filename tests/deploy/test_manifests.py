"""The Kubernetes manifests (kustomize overlays and the Helm chart) render, validate against the real
Kubernetes schemas, and keep the promises schemas cannot check.

Tools: kubectl (kustomize) and helm. Looked up in this order: $KUBECTL / $HELM, then .cache/tools (filled by
scripts/get-helm.sh), then PATH. A missing tool is a test failure, never a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
CHART = DEPLOY / "helm" / "syncer"
TOOLS = REPO / ".cache" / "tools"

# Oldest Kubernetes minor the manifests support (CronJob timeZone, podFailurePolicy) and the newest the
# bundled tools speak.
K8S_VERSIONS = ("1.29", "1.35")

CONFIG_PATH = "/etc/syncer/config.yaml"
UID = 10001
HTTP_PORT = 8080
# Longer than the daemon's bounded shutdown (a running PUT may finish after SIGTERM).
MIN_GRACE_SECONDS = 60
CONFIG_KEYS = {"datadog", "defaults", "github", "jira", "pagerduty"}
SECRET_FIELDS = {"api_key", "app_key", "token", "api_token", "private_key"}
RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}

RENDERS = ("kustomize-daemon", "kustomize-cronjob", "helm-daemon", "helm-cronjob")
DAEMON_RENDERS = ("kustomize-daemon", "helm-daemon")
CRONJOB_RENDERS = ("kustomize-cronjob", "helm-cronjob")

Doc = dict[str, Any]


# --------------------------------------------------------------------------------------------- tools


def _find_tool(name: str, env: str) -> str:
    explicit = os.environ.get(env)
    if explicit:
        if not (Path(explicit).is_file() and os.access(explicit, os.X_OK)):
            pytest.fail(f"${env}={explicit} is not an executable file", pytrace=False)
        return explicit
    cached = TOOLS / name
    if cached.is_file() and os.access(cached, os.X_OK):
        return str(cached)
    found = shutil.which(name)
    if found:
        return found
    pytest.fail(
        f"{name} not found (looked at ${env}, {cached}, PATH). Run scripts/get-helm.sh, which puts helm "
        f"and kubectl into .cache/tools, or set ${env}.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def kubectl() -> str:
    return _find_tool("kubectl", "KUBECTL")


@pytest.fixture(scope="session")
def helm_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("helm-home")
    env = dict(os.environ)
    for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        env[var] = str(home / var.lower())
    return env


@pytest.fixture(scope="session")
def helm(helm_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    binary = _find_tool("helm", "HELM")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([binary, *args], capture_output=True, text=True, env=helm_env, timeout=60, check=False)

    return run


def _load(text: str) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


@pytest.fixture(scope="session")
def render_text(kubectl: str, helm: Callable[..., subprocess.CompletedProcess[str]]) -> Callable[[str], str]:
    @cache
    def render(name: str) -> str:
        tool, mode = name.split("-")
        if tool == "kustomize":
            proc = subprocess.run(
                [kubectl, "kustomize", str(DEPLOY / "overlays" / mode)],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        else:
            proc = helm("template", "syncer", str(CHART), "--set", f"mode={mode}")
        assert proc.returncode == 0, f"rendering {name} failed:\n{proc.stderr}"
        return proc.stdout

    return render


@pytest.fixture(scope="session")
def rendered(render_text: Callable[[str], str]) -> Callable[[str], list[Doc]]:
    return lambda name: _load(render_text(name))


# ------------------------------------------------------------------------------------------- helpers


def _one(docs: list[Doc], kind: str) -> Doc:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"expected exactly one {kind}, found {[d['metadata']['name'] for d in found]}"
    return found[0]


def _workload(docs: list[Doc]) -> Doc:
    found = [d for d in docs if d["kind"] in ("Deployment", "CronJob")]
    assert len(found) == 1, f"expected one Deployment or CronJob, found {[d['kind'] for d in found]}"
    return found[0]


def _pod_template(workload: Doc) -> Doc:
    if workload["kind"] == "CronJob":
        return workload["spec"]["jobTemplate"]["spec"]["template"]
    return workload["spec"]["template"]


def _container(pod_spec: Doc) -> Doc:
    containers = pod_spec["containers"]
    assert [c["name"] for c in containers] == ["syncer"]
    assert not pod_spec.get("initContainers")
    return containers[0]


def _env(container: Doc) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def _config_text(docs: list[Doc]) -> str:
    data = _one(docs, "ConfigMap").get("data", {})
    assert "config.yaml" in data, "the ConfigMap has no config.yaml key"
    return data["config.yaml"]


# Each field: (low, high, names). Day of week: 0 and 7 are Sunday.
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
_CRON_FIELDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    (0, 7, {d: i for i, d in enumerate(_DAYS)}),
)


def parse_cron(expr: str) -> list[set[int]]:
    """Parse a standard 5-field crontab expression; raise ValueError when it is not one."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"{expr!r}: expected 5 fields, got {len(fields)}")
    out = []
    for field, (low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        values: set[int] = set()
        for item in field.split(","):
            match = re.fullmatch(r"(\*|\?|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:/(\d+))?", item)
            if not match:
                raise ValueError(f"{expr!r}: bad item {item!r}")
            base, step = match.group(1), int(match.group(2) or 1)
            if step < 1:
                raise ValueError(f"{expr!r}: step must be >= 1 in {item!r}")

            def value(token: str, low: int = low, high: int = high, names: dict[str, int] = names) -> int:
                number = names.get(token.upper()) if not token.isdigit() else int(token)
                if number is None or not low <= number <= high:
                    raise ValueError(f"{expr!r}: {token!r} is outside {low}-{high}")
                return number

            if base in ("*", "?"):
                start, end = low, high
            elif "-" in base:
                start, end = (value(t) for t in base.split("-"))
                if start > end:
                    raise ValueError(f"{expr!r}: empty range {base!r}")
            else:
                start = value(base)
                end = high if match.group(2) else start
            values.update(range(start, end + 1, step))
        out.append(values)
    return out


def test_cron_parser_itself() -> None:
    assert parse_cron("*/30 * * * *")[0] == {0, 30}
    assert parse_cron("0 6-18/6 * JAN-MAR mon,fri")[1:5:3] == [{6, 12, 18}, {1, 5}]
    for bad in ("* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "*/0 * * * *", "@hourly"):
        with pytest.raises(ValueError):
            parse_cron(bad)


# ------------------------------------------------------------------------------ schema validation


@pytest.mark.parametrize("name", RENDERS)
@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_objects_validate_strictly_against_kubernetes_schemas(
    name: str, version: str, rendered: Callable[[str], list[Doc]]
) -> None:
    docs = rendered(name)
    assert docs, f"{name} rendered nothing"
    for doc in docs:
        where = f"{name}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{where} is invalid for Kubernetes {version}: {path}: {exc.message}", pytrace=False)
        except kubernetes_validate.SchemaNotFoundError as exc:
            pytest.fail(f"{where}: {exc.message}", pytrace=False)


@pytest.mark.parametrize("name", RENDERS)
def test_kubernetes_validate_cli_strict(name: str, render_text: Callable[[str], str], tmp_path: Path) -> None:
    """The same check as an operator would run it: kubernetes-validate --strict on the rendered file."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(render_text(name))
    proc = subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", "--quiet", "-k", K8S_VERSIONS[0], str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARN" not in proc.stdout and "ERROR" not in proc.stdout, proc.stdout


@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("kustomize-daemon", ["ConfigMap", "Deployment", "Service", "ServiceAccount"]),
        ("helm-daemon", ["ConfigMap", "Deployment", "Service", "ServiceAccount"]),
        ("kustomize-cronjob", ["ConfigMap", "CronJob", "ServiceAccount"]),
        ("helm-cronjob", ["ConfigMap", "CronJob", "ServiceAccount"]),
    ],
)
def test_rendered_kinds(name: str, kinds: list[str], rendered: Callable[[str], list[Doc]]) -> None:
    # No Secret: credentials are created by the operator, never shipped in the manifests.
    assert sorted(d["kind"] for d in rendered(name)) == kinds


# ------------------------------------------------------------------------------- pod security


@pytest.mark.parametrize("name", RENDERS)
def test_restricted_pod_security(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    docs = rendered(name)
    pod = _pod_template(_workload(docs))["spec"]
    container = _container(pod)

    psc = pod["securityContext"]
    assert psc["runAsNonRoot"] is True
    assert psc["runAsUser"] == UID
    assert psc.get("runAsGroup", UID) == UID
    assert psc["seccompProfile"]["type"] == "RuntimeDefault"

    csc = container["securityContext"]
    assert csc.get("runAsNonRoot", True) is True
    assert csc.get("runAsUser", UID) == UID
    assert csc["readOnlyRootFilesystem"] is True
    assert csc["allowPrivilegeEscalation"] is False
    assert csc.get("privileged", False) is False
    assert csc["capabilities"]["drop"] == ["ALL"]
    assert not set(csc["capabilities"].get("add", [])) - {"NET_BIND_SERVICE"}
    assert csc.get("seccompProfile", {"type": "RuntimeDefault"})["type"] in ("RuntimeDefault", "Localhost")

    # The rest of the "restricted" Pod Security Standard.
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        assert not pod.get(key), f"{key} must not be set"
    assert "ports" not in container or all("hostPort" not in p for p in container["ports"])
    for volume in pod["volumes"]:
        types = set(volume) - {"name"}
        assert types <= RESTRICTED_VOLUME_TYPES, f"volume {volume['name']} uses {types}"


@pytest.mark.parametrize("name", RENDERS)
def test_no_service_account_token(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    docs = rendered(name)
    account = _one(docs, "ServiceAccount")
    assert account["automountServiceAccountToken"] is False
    pod = _pod_template(_workload(docs))["spec"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    assert pod["automountServiceAccountToken"] is False


@pytest.mark.parametrize("name", RENDERS)
def test_resources_and_grace_period(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    pod = _pod_template(_workload(rendered(name)))["spec"]
    resources = _container(pod)["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert "memory" in resources["limits"]
    assert pod["terminationGracePeriodSeconds"] >= MIN_GRACE_SECONDS


# ------------------------------------------------------------------------- config and its mount


def _dockerfile_env(name: str) -> str:
    text = (REPO / "Dockerfile").read_text()
    match = re.search(rf"\b{name}=(\S+)", text)
    assert match, f"the Dockerfile sets no {name}"
    return match.group(1)


@pytest.mark.parametrize("name", RENDERS)
def test_config_is_mounted_where_syncer_config_points(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    docs = rendered(name)
    pod = _pod_template(_workload(docs))["spec"]
    container = _container(pod)
    env = _env(container)
    assert env["SYNCER_CONFIG"] == CONFIG_PATH == _dockerfile_env("SYNCER_CONFIG")
    args = container["args"]
    if "--config" in args:
        assert args[args.index("--config") + 1] == env["SYNCER_CONFIG"]

    volumes = {v["name"]: v for v in pod["volumes"]}
    configmap = _one(docs, "ConfigMap")
    files = []
    for mount in container["volumeMounts"]:
        source = volumes[mount["name"]].get("configMap")
        if not source:
            continue
        assert source["name"] == configmap["metadata"]["name"], "the volume names another ConfigMap"
        assert mount.get("readOnly") is True
        items = {i["key"]: i["path"] for i in source.get("items", [])} or {k: k for k in configmap["data"]}
        if "subPath" in mount:
            keys = [k for k, p in items.items() if p == mount["subPath"]]
            files += [(mount["mountPath"], k) for k in keys]
        else:
            files += [(f"{mount['mountPath'].rstrip('/')}/{path}", key) for key, path in items.items()]
    assert (env["SYNCER_CONFIG"], "config.yaml") in files, f"{env['SYNCER_CONFIG']} is not mounted: {files}"


@pytest.mark.parametrize("name", RENDERS)
def test_tmp_is_the_only_writable_place(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    pod = _pod_template(_workload(rendered(name)))["spec"]
    container = _container(pod)
    volumes = {v["name"]: v for v in pod["volumes"]}
    writable = [m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")]
    assert writable == ["/tmp"]
    tmp = next(m for m in container["volumeMounts"] if m["mountPath"] == "/tmp")
    assert "emptyDir" in volumes[tmp["name"]]
    assert _env(container).get("TMPDIR") == "/tmp"


@pytest.mark.parametrize("name", RENDERS)
def test_credentials_come_from_the_secret(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    container = _container(_pod_template(_workload(rendered(name)))["spec"])
    refs = [e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e]
    refs += [
        e["valueFrom"]["secretKeyRef"]["name"]
        for e in container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    ]
    assert refs == ["syncer-credentials"]
    for var in container.get("env", []):
        assert var["name"] not in {"DD_API_KEY", "DD_APP_KEY", "GITHUB_TOKEN", "SYNCER_TRIGGER_TOKEN"} or (
            "valueFrom" in var
        ), f"{var['name']} is given in clear"


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")
    else:
        yield path, node


@pytest.mark.parametrize("name", RENDERS)
def test_configmap_holds_a_spec_config(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    config = yaml.safe_load(_config_text(rendered(name)))
    assert isinstance(config, dict)
    assert set(config) <= CONFIG_KEYS, f"unknown top-level keys: {set(config) - CONFIG_KEYS}"
    assert "datadog" in config
    assert {"github", "jira", "pagerduty"} & set(config), "no integration is configured"
    for path, value in _walk(config):
        if path.rsplit(".", 1)[-1] in SECRET_FIELDS and value is not None:
            assert re.fullmatch(r"\$\{[A-Z0-9_]+\}", str(value)), f"{path} holds a literal secret"
    for integration in ("defaults", "github", "jira", "pagerduty"):
        schedule = (config.get(integration) or {}).get("schedule")
        if schedule and not schedule.startswith("every "):
            parse_cron(schedule)


def test_kustomize_config_is_the_base_file(rendered: Callable[[str], list[Doc]]) -> None:
    expected = (DEPLOY / "base" / "config.yaml").read_text()
    assert _config_text(rendered("kustomize-daemon")) == expected
    assert _config_text(rendered("kustomize-cronjob")) == expected


def test_helm_takes_the_config_as_text(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    base_config = DEPLOY / "base" / "config.yaml"
    proc = helm("template", "syncer", str(CHART), "--set-file", f"config={base_config}")
    assert proc.returncode == 0, proc.stderr
    assert _config_text(_load(proc.stdout)) == base_config.read_text()


@pytest.mark.parametrize("source", ["deploy/base/config.yaml", "helm default values"])
def test_shipped_config_passes_syncer_validate(
    source: str, rendered: Callable[[str], list[Doc]], tmp_path: Path
) -> None:
    """The shipped configuration is accepted by the application itself (offline check, no network)."""
    text = (REPO / source).read_text() if source.endswith(".yaml") else _config_text(rendered("helm-daemon"))
    path = tmp_path / "config.yaml"
    path.write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "SYNCER_"))}
    env |= dict.fromkeys(
        ("DD_API_KEY", "DD_APP_KEY", "GITHUB_TOKEN", "JIRA_API_TOKEN", "PAGERDUTY_TOKEN"), "dummy-value"
    )
    env["SYNCER_CONFIG"] = str(path)  # as in the containers
    proc = subprocess.run(
        [sys.executable, "-m", "syncer", "validate"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"syncer validate exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"


# ---------------------------------------------------------------------------------------- daemon


@pytest.mark.parametrize("name", DAEMON_RENDERS)
def test_daemon_deployment(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    docs = rendered(name)
    deployment = _one(docs, "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    template = spec["template"]
    labels = template["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()

    container = _container(template["spec"])
    assert container.get("command", ["syncer"]) == ["syncer"]
    assert container["args"][:3] == ["daemon", "--listen", f"0.0.0.0:{HTTP_PORT}"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": HTTP_PORT}

    def probe_target(probe: Doc) -> tuple[str, int]:
        get = probe["httpGet"]
        port = get["port"]
        return get["path"], ports[port] if isinstance(port, str) else port

    assert probe_target(container["livenessProbe"]) == ("/healthz", HTTP_PORT)
    assert probe_target(container["readinessProbe"]) == ("/readyz", HTTP_PORT)
    if "startupProbe" in container:
        assert probe_target(container["startupProbe"]) == ("/healthz", HTTP_PORT)

    annotations = template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(HTTP_PORT)
    assert annotations["prometheus.io/path"] == "/metrics"


@pytest.mark.parametrize("name", DAEMON_RENDERS)
def test_daemon_service(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    docs = rendered(name)
    service = _one(docs, "Service")
    template = _one(docs, "Deployment")["spec"]["template"]
    assert service["spec"]["selector"].items() <= template["metadata"]["labels"].items()
    ports = service["spec"]["ports"]
    assert len(ports) == 1
    assert ports[0]["name"] == "http"
    assert ports[0]["port"] == HTTP_PORT
    container_ports = {p["name"]: p["containerPort"] for p in _container(template["spec"])["ports"]}
    assert ports[0]["targetPort"] in ("http", container_ports["http"])


# --------------------------------------------------------------------------------------- cronjob


@pytest.mark.parametrize("name", CRONJOB_RENDERS)
def test_cronjob(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    cronjob = _one(rendered(name), "CronJob")
    spec = cronjob["spec"]
    minutes = parse_cron(spec["schedule"])[0]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] > 0
    assert spec["successfulJobsHistoryLimit"] >= 1
    assert spec["failedJobsHistoryLimit"] >= 1
    assert not spec.get("suspend", False)

    job = spec["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] > 0
    if len(minutes) > 1:  # several runs an hour: a run must end before the next one is due
        gap = min(b - a for a, b in zip(sorted(minutes), [*sorted(minutes)[1:], min(minutes) + 60], strict=True))
        assert job["activeDeadlineSeconds"] < gap * 60
    assert 0 <= job["backoffLimit"] <= 3
    assert job["ttlSecondsAfterFinished"] > 0
    fail_codes = {
        code
        for rule in job.get("podFailurePolicy", {}).get("rules", [])
        if rule["action"] == "FailJob"
        for code in rule.get("onExitCodes", {}).get("values", [])
    }
    assert fail_codes == {2, 3}, "configuration errors (2) and guard refusals (3) must not be retried"

    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    container = _container(pod)
    assert container.get("command", ["syncer"]) == ["syncer"]
    args = container["args"]
    assert args[0] == "sync"
    assert args[args.index("--output") + 1] == "json"
    assert "--dry-run" not in args
    assert "ports" not in container and "livenessProbe" not in container


# ---------------------------------------------------------------------------------- helm values


@pytest.mark.parametrize("mode", ["daemon", "cronjob"])
def test_helm_lint(mode: str, helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    proc = helm("lint", "--strict", str(CHART), "--set", f"mode={mode}")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--set", "mode=foo"], "/mode"),
        (["--set", "replicaCount=2"], "/replicaCount"),
        (["--set", "replicaCount=0"], "/replicaCount"),
        (["--set", "mode=cronjob", "--set", "cronjob.schedule=5"], "/cronjob/schedule"),
        (["--set", "mode=cronjob", "--set-string", "cronjob.schedule=* * *"], "/cronjob/schedule"),
        (["--set", "mode=cronjob", "--set", "cronjob.concurrencyPolicy=Allow"], "concurrencyPolicy"),
        (["--set", "config.bogus.key=1"], "bogus"),
        (["--set", "securityContext.runAsNonRoot=false"], "/securityContext/runAsNonRoot"),
        (["--set", "image.pullPolicy=Sometimes"], "/image/pullPolicy"),
        (["--set", "unknownValue=1"], "unknownValue"),
        (["--set-string", "config=datadog: ["], "config: not valid YAML"),
    ],
)
def test_helm_rejects_bad_values(
    args: list[str], complaint: str, helm: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    proc = helm("template", "syncer", str(CHART), *args)
    assert proc.returncode != 0, f"helm template {' '.join(args)} should fail:\n{proc.stdout[:2000]}"
    assert complaint in proc.stderr, proc.stderr


def test_helm_cronjob_values_reach_the_manifest(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    proc = helm(
        "template", "nightly", str(CHART),
        "--set", "mode=cronjob",
        "--set-string", "cronjob.schedule=15 2 * * 1-5",
        "--set", "cronjob.extraArgs={--only,github}",
        "--set", "existingSecret=idp-sync",
        "--set", "image.repository=registry.example.com/syncer",
        "--set-string", "image.tag=1.2.3",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    docs = _load(proc.stdout)
    cronjob = _one(docs, "CronJob")
    assert cronjob["metadata"]["name"] == "nightly-syncer"
    assert cronjob["spec"]["schedule"] == "15 2 * * 1-5"
    container = _container(_pod_template(cronjob)["spec"])
    assert container["args"] == ["sync", "--output", "json", "--only", "github"]
    assert container["image"] == "registry.example.com/syncer:1.2.3"
    assert container["envFrom"] == [{"secretRef": {"name": "idp-sync"}}]
    assert _pod_template(cronjob)["spec"]["volumes"][0]["configMap"]["name"] == "nightly-syncer-config"
    assert _one(docs, "ConfigMap")["metadata"]["name"] == "nightly-syncer-config"


def test_helm_secret_env_picks_keys(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    proc = helm("template", "syncer", str(CHART), "--set", "secretEnv={DD_API_KEY,DD_APP_KEY,GITHUB_TOKEN}")
    assert proc.returncode == 0, proc.stderr
    container = _container(_pod_template(_one(_load(proc.stdout), "Deployment"))["spec"])
    assert "envFrom" not in container
    picked = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert picked == {
        key: {"name": "syncer-credentials", "key": key} for key in ("DD_API_KEY", "DD_APP_KEY", "GITHUB_TOKEN")
    }


# ------------------------------------------------------------------- kustomize and helm agree


@pytest.mark.parametrize("mode", ["daemon", "cronjob"])
def test_kustomize_and_helm_agree(mode: str, rendered: Callable[[str], list[Doc]]) -> None:
    def essentials(name: str) -> Doc:
        pod = _pod_template(_workload(rendered(name)))["spec"]
        container = _container(pod)
        return {
            "args": container["args"],
            "command": container.get("command"),
            "pod_security": pod["securityContext"],
            "container_security": container["securityContext"],
            "env": container.get("env"),
            "mounts": container["volumeMounts"],
            "resources": container["resources"],
            "probes": {k: container[k]["httpGet"] for k in container if k.endswith("Probe")},
            "grace": pod["terminationGracePeriodSeconds"],
        }

    assert essentials(f"kustomize-{mode}") == essentials(f"helm-{mode}")


# ------------------------------------------------------------------------------------ Dockerfile


def test_dockerfile_contract() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^ARG BASE_IMAGE=python:3\.11-slim$", text, re.M)
    assert len(re.findall(r"^FROM \$\{BASE_IMAGE\}", text, re.M)) >= 2, "multi-stage on BASE_IMAGE"
    assert re.search(r"^USER 10001(:10001)?$", text, re.M)
    assert re.search(r'^ENTRYPOINT \["syncer"\]$', text, re.M)
    assert re.search(r'^CMD \["daemon"\]$', text, re.M)
    assert re.search(rf"^EXPOSE {HTTP_PORT}$", text, re.M)
    assert re.search(r'^VOLUME \["/tmp"\]$', text, re.M)
    assert _dockerfile_env("PYTHONDONTWRITEBYTECODE") == "1"
    assert "pip install --no-cache-dir --no-index --find-links" in text
    assert "org.opencontainers.image.title" in text


def test_secret_example_has_key_names_only() -> None:
    example = DEPLOY / "base" / "secret.example.yaml"
    secret = yaml.safe_load(example.read_text())
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(secret, version, strict=True)
    assert secret["metadata"]["name"] == "syncer-credentials"
    values = secret.get("stringData", {}) | secret.get("data", {})
    assert {"DD_API_KEY", "DD_APP_KEY", "SYNCER_TRIGGER_TOKEN"} <= set(values)
    assert all(value == "" for value in values.values()), "the example must not hold values"
    kustomization = yaml.safe_load((DEPLOY / "base" / "kustomization.yaml").read_text())
    assert example.name not in kustomization.get("resources", [])
