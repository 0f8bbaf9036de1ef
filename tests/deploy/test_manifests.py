"""The Kubernetes manifests (kustomize overlays and the Helm chart) render, validate against the real
Kubernetes schemas, and keep the promises schemas cannot check.

Tools: kubectl (kustomize) and helm. Looked up in this order: $KUBECTL / $HELM, then .cache/tools (filled by
scripts/get-helm.sh), then PATH. A missing tool is a test failure, never a skip.
"""

from __future__ import annotations

import http.server
import json
import os
import posixpath
import re
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from syncer import cli
from syncer.config import loader
from syncer.state.store import StateStore

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
CONFIG_KEYS = {"datadog", "state", "webhooks", "defaults", "github", "jira", "pagerduty"}
SECRET_FIELDS = {"api_key", "app_key", "token", "api_token", "private_key", "secret"}
WEBHOOK_ROUTES = ("/webhooks/github", "/webhooks/jira")
# Routes of the daemon's port that must never be reachable through the Ingress.
INTERNAL_ROUTES = ("/", "/sync", "/status", "/metrics", "/healthz", "/readyz", "/webhooksx/github")
WEBHOOK_SECRETS_DIR = "/var/run/secrets/syncer/webhooks"
STATE_PATH = "/var/lib/syncer/state.db"
ONE_WRITER_ACCESS_MODES = {"ReadWriteOnce", "ReadWriteOncePod"}
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

# helm-* renders: `helm template syncer CHART` with these arguments.
HELM_STATE = ["--set", "state.enabled=true", "--set", "state.persistence.enabled=true"]
# The values file deploy/README.md and README.md show: receivers, Ingress (className, annotations, TLS), state PVC.
HELM_EXAMPLE = DEPLOY / "helm" / "examples" / "webhooks.yaml"
HELM_WEBHOOKS = ["-f", str(HELM_EXAMPLE)]
# The values file of secretMode env (credentials as env vars, the config reading ${NAME}).
HELM_SECRETS_ENV = DEPLOY / "helm" / "examples" / "secrets-env.yaml"
# Opt-in values every generic check must hold for too: a NetworkPolicy, logging, an extra (read-only) volume.
HELM_EXTRAS = [
    "--set", "networkPolicy.enabled=true", "--set", "logLevel=DEBUG", "--set", "logFormat=text",
    "--set", "extraVolumes[0].name=ca", "--set", "extraVolumes[0].configMap.name=corporate-ca",
    "--set", "extraVolumeMounts[0].name=ca", "--set", "extraVolumeMounts[0].mountPath=/etc/syncer-ca",
    "--set", "extraVolumeMounts[0].readOnly=true",
]  # fmt: skip
HELM_RENDERS: dict[str, list[str]] = {
    "helm-daemon": ["--set", "mode=daemon"],
    "helm-cronjob": ["--set", "mode=cronjob"],
    "helm-daemon-state": ["--set", "mode=daemon", *HELM_STATE],
    "helm-daemon-emptydir": ["--set", "mode=daemon", "--set", "state.enabled=true"],
    "helm-cronjob-state": ["--set", "mode=cronjob", *HELM_STATE],
    "helm-daemon-webhooks": HELM_WEBHOOKS,
    "helm-daemon-extras": ["--set", "mode=daemon", *HELM_EXTRAS],
    "helm-cronjob-extras": ["--set", "mode=cronjob", *HELM_EXTRAS],
}
# Renders with one CronJob per integration (deploy/base/config.yaml: github */15, jira and pagerduty */30). They
# hold several workloads, so the checks above that take "the" workload do not apply; the per-integration tests
# check each CronJob instead.
BASE_CONFIG = DEPLOY / "base" / "config.yaml"
HELM_PER_INTEGRATION = ["--set", "mode=cronjob", "--set-file", f"config={BASE_CONFIG}", *HELM_STATE]
MULTI_RENDERS = ("kustomize-cronjob-per-integration", "helm-cronjob-per-integration")
# kustomize-daemon-webhooks: the daemon overlay with deploy/components/webhooks, configured as its comments say.
KUSTOMIZE_RENDERS = ("kustomize-daemon", "kustomize-cronjob", "kustomize-daemon-webhooks")
RENDERS = (*KUSTOMIZE_RENDERS, *HELM_RENDERS)
DAEMON_RENDERS = tuple(name for name in RENDERS if "-daemon" in name)
CRONJOB_RENDERS = tuple(name for name in RENDERS if "-cronjob" in name)
STATE_RENDERS = tuple(
    name for name in RENDERS if name.startswith("kustomize") or name.endswith(("state", "emptydir", "webhooks"))
)
WEBHOOK_RENDERS = ("kustomize-daemon-webhooks", "helm-daemon-webhooks")

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


WEBHOOKS_BLOCK = re.compile(r"^# webhooks:\n(?:#   .*\n)+", re.M)


def uncomment_webhooks_block(config_text: str) -> str:
    """deploy/base/config.yaml with its commented `webhooks:` block turned on, as the component's comments say."""
    match = WEBHOOKS_BLOCK.search(config_text)
    assert match, "deploy/base/config.yaml has no commented `# webhooks:` block for the webhooks component"
    block = "".join(line[2:] + "\n" for line in match.group(0).splitlines())
    return config_text[: match.start()] + block + config_text[match.end() :]


def _webhooks_overlay(root: Path) -> Path:
    """A copy of deploy/ set up as deploy/components/webhooks describes: config block on, component added."""
    shutil.copytree(DEPLOY, root / "deploy")
    config = root / "deploy" / "base" / "config.yaml"
    config.write_text(uncomment_webhooks_block(config.read_text()))
    overlay = root / "deploy" / "overlays" / "daemon"
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    kustomization["components"] = ["../../components/webhooks"]
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    return overlay


@pytest.fixture(scope="session")
def render_text(
    kubectl: str, helm: Callable[..., subprocess.CompletedProcess[str]], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], str]:
    @cache
    def render(name: str) -> str:
        if name.startswith("kustomize"):
            if name == "kustomize-daemon-webhooks":
                overlay = _webhooks_overlay(tmp_path_factory.mktemp("kustomize-webhooks"))
            else:
                overlay = DEPLOY / "overlays" / name.removeprefix("kustomize-")
            proc = subprocess.run(
                [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, timeout=60, check=False
            )
        elif name == "helm-cronjob-per-integration":
            proc = helm("template", "syncer", str(CHART), *HELM_PER_INTEGRATION)
        else:
            proc = helm("template", "syncer", str(CHART), *HELM_RENDERS[name])
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


def _config(docs: list[Doc]) -> Doc:
    config = yaml.safe_load(_config_text(docs))
    assert isinstance(config, dict)
    return config


def _state_path(docs: list[Doc]) -> str | None:
    return ((_config(docs).get("state") or {}).get("path")) or None


def _mounts(pod_spec: Doc) -> dict[str, tuple[Doc, Doc]]:
    """mountPath -> (volumeMount, volume) of the syncer container."""
    volumes = {v["name"]: v for v in pod_spec["volumes"]}
    return {m["mountPath"]: (m, volumes[m["name"]]) for m in _container(pod_spec)["volumeMounts"]}


def _secret_sources(volume: Doc) -> list[tuple[str, Doc, int]]:
    """(Secret name, its volume source, default file mode) of a `secret` volume or of each Secret of a `projected`
    one."""
    if "secret" in volume:
        secret = volume["secret"]
        return [(secret["secretName"], secret, secret.get("defaultMode", 0o644))]
    if "projected" in volume:
        mode = volume["projected"].get("defaultMode", 0o644)
        return [(s["secret"]["name"], s["secret"], mode) for s in volume["projected"]["sources"] if "secret" in s]
    return []


def _secret_files(pod_spec: Doc) -> dict[str, tuple[str, str, int]]:
    """Every file a Secret volume (plain or projected) puts into the container: path -> (Secret name, key, mode)."""
    files = {}
    for path, (mount, volume) in _mounts(pod_spec).items():
        sources = _secret_sources(volume)
        if not sources:
            continue
        assert mount.get("readOnly") is True, f"the Secret volume at {path} is writable"
        assert "subPath" not in mount, "a subPath mount never sees a rotated secret"
        for name, secret, default_mode in sources:
            assert secret.get("items"), f"the Secret volume at {path} projects every key of {name}"
            for item in secret["items"]:
                file = posixpath.join(path, item["path"])
                assert file not in files, f"two Secret keys are mounted as {file}"
                files[file] = (name, item["key"], item.get("mode", default_mode))
    return files


def _ingress_paths(ingress: Doc) -> list[tuple[str | None, str, str, Doc]]:
    """(host, path, pathType, backend) of every rule."""
    assert "defaultBackend" not in ingress["spec"], "a default backend would expose every route"
    return [
        (rule.get("host"), path["path"], path["pathType"], path["backend"])
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]


def prefix_matches(pattern: str, request: str) -> bool:
    """Kubernetes pathType Prefix: the pattern's /-separated elements are a prefix of the request's."""
    elements = [e for e in pattern.split("/") if e]
    return [e for e in request.split("/") if e][: len(elements)] == elements


def test_prefix_matching_itself() -> None:
    assert prefix_matches("/webhooks/", "/webhooks/github")
    assert prefix_matches("/webhooks/", "/webhooks")
    assert not prefix_matches("/webhooks/", "/webhooksx/github")
    assert not prefix_matches("/webhooks/github", "/webhooks/jira")
    assert prefix_matches("/", "/sync")


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


@pytest.mark.parametrize("name", (*RENDERS, *MULTI_RENDERS))
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


@pytest.mark.parametrize("name", (*RENDERS, *MULTI_RENDERS))
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


DAEMON_KINDS = ["ConfigMap", "Deployment", "Service", "ServiceAccount"]
HELM_TEST_POD = ["Pod"]  # templates/tests/test-readyz.yaml: `helm template` renders test hooks too
CRONJOB_KINDS = ["ConfigMap", "CronJob", "ServiceAccount"]
PVC = ["PersistentVolumeClaim"]


@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("kustomize-daemon", DAEMON_KINDS + PVC),
        ("kustomize-cronjob", CRONJOB_KINDS + PVC),
        ("kustomize-daemon-webhooks", [*DAEMON_KINDS, "Ingress", *PVC]),
        ("helm-daemon", DAEMON_KINDS + HELM_TEST_POD),
        ("helm-cronjob", CRONJOB_KINDS),
        ("helm-daemon-state", DAEMON_KINDS + PVC + HELM_TEST_POD),
        ("helm-daemon-emptydir", DAEMON_KINDS + HELM_TEST_POD),
        ("helm-cronjob-state", CRONJOB_KINDS + PVC),
        ("helm-daemon-webhooks", [*DAEMON_KINDS, "Ingress", *PVC, *HELM_TEST_POD]),
        ("helm-daemon-extras", [*DAEMON_KINDS, "NetworkPolicy", *HELM_TEST_POD]),
        ("helm-cronjob-extras", [*CRONJOB_KINDS, "NetworkPolicy"]),
    ],
)
def test_rendered_kinds(name: str, kinds: list[str], rendered: Callable[[str], list[Doc]]) -> None:
    # No Secret: credentials are created by the operator, never shipped in the manifests. The Ingress and the
    # PVC are opt-in in the chart (ingress.enabled, state.persistence.enabled).
    assert sorted(d["kind"] for d in rendered(name)) == sorted(kinds)


def test_every_render_has_its_kinds() -> None:
    listed = test_rendered_kinds.pytestmark[0].args[1]  # the parametrize list above
    assert sorted(name for name, _ in listed) == sorted(RENDERS)


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
        if mount["mountPath"] != posixpath.dirname(CONFIG_PATH) and source["name"] != configmap["metadata"]["name"]:
            continue  # another ConfigMap elsewhere (extraVolumes)
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
def test_writable_places_are_tmp_and_the_state_folder(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    docs = rendered(name)
    pod = _pod_template(_workload(docs))["spec"]
    container = _container(pod)
    mounts = _mounts(pod)
    writable = sorted(path for path, (mount, _) in mounts.items() if not mount.get("readOnly"))
    state_path = _state_path(docs)
    assert writable == sorted(["/tmp", *([posixpath.dirname(state_path)] if state_path else [])])
    assert "emptyDir" in mounts["/tmp"][1]
    assert _env(container).get("TMPDIR") == "/tmp"
    for path in writable:
        assert {"emptyDir", "persistentVolumeClaim"} & set(mounts[path][1]), f"{path} is not a volume of its own"


# The credential files of the default renders: Secret key -> file under /var/run/secrets/syncer/ (SPEC §11).
SECRETS_DIR = "/var/run/secrets/syncer"
CREDENTIAL_FILES = {
    "DD_API_KEY": "datadog-api-key",
    "DD_APP_KEY": "datadog-app-key",
    "GITHUB_TOKEN": "github-token",
    "JIRA_API_TOKEN": "jira-api-token",
    "PAGERDUTY_TOKEN": "pagerduty-token",
}


@pytest.mark.parametrize("name", RENDERS)
def test_credentials_come_from_the_secret(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    pod = _pod_template(_workload(rendered(name)))["spec"]
    container = _container(pod)
    refs = [e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e]
    refs += [
        e["valueFrom"]["secretKeyRef"]["name"]
        for e in container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    ]
    files = _secret_files(pod)
    assert set(refs) | {secret for secret, _, _ in files.values()} == {"syncer-credentials"}
    for var in container.get("env", []):
        assert var["name"] not in {"DD_API_KEY", "DD_APP_KEY", "GITHUB_TOKEN", "SYNCER_TRIGGER_TOKEN"} or (
            "valueFrom" in var
        ), f"{var['name']} is given in clear"


@pytest.mark.parametrize("name", RENDERS)
def test_secrets_are_files_not_env_vars(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    """By default every credential is a read-only file under /var/run/secrets/syncer/ that the config names with
    its `*_file` key; the only secret env entry is the daemon's optional SYNCER_TRIGGER_TOKEN (read from env)."""
    docs = rendered(name)
    pod = _pod_template(_workload(docs))["spec"]
    container = _container(pod)
    assert "envFrom" not in container, "envFrom would turn every key of the Secret into an env var"
    secret_env = {
        e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})
    }
    if "-daemon" in name:
        assert secret_env == {
            "SYNCER_TRIGGER_TOKEN": {"name": "syncer-credentials", "key": "SYNCER_TRIGGER_TOKEN", "optional": True}
        }
    else:
        assert secret_env == {}
    files = _secret_files(pod)
    expected = {f"{SECRETS_DIR}/{file}": ("syncer-credentials", key, 0o440) for key, file in CREDENTIAL_FILES.items()}
    assert {path: files[path] for path in files if "/webhooks/" not in path} == expected
    # One volume holds every secret file: a mount nested in another (webhooks/ inside it) is avoided.
    assert "projected" in _mounts(pod)[SECRETS_DIR][1]
    assert not [path for path in _mounts(pod) if path.startswith(f"{SECRETS_DIR}/")]
    config = _config(docs)
    assert config["datadog"] == {
        "site": "${DD_SITE:-datadoghq.com}",
        "api_key_file": f"{SECRETS_DIR}/datadog-api-key",
        "app_key_file": f"{SECRETS_DIR}/datadog-app-key",
    }
    for path, value in _walk(config):
        key = path.rsplit(".", 1)[-1]
        assert key not in SECRET_FIELDS, f"{path}: a secret in the config ({value}), not a *_file"
        if key.endswith("_file"):
            assert value in files, f"{path}: {value} is not mounted"


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
    config = _config(rendered(name))
    assert set(config) <= CONFIG_KEYS, f"unknown top-level keys: {set(config) - CONFIG_KEYS}"
    assert "datadog" in config
    assert {"github", "jira", "pagerduty"} & set(config), "no integration is configured"
    for path, value in _walk(config):
        key = path.rsplit(".", 1)[-1]
        if key in SECRET_FIELDS and value is not None:
            assert re.fullmatch(r"\$\{[A-Z0-9_]+\}", str(value)), f"{path} holds a literal secret"
        if key.removesuffix("_file") in SECRET_FIELDS and key.endswith("_file"):
            assert str(value).startswith("/var/run/secrets/"), f"{path}: {value} is not a mounted secret file"
    for integration in ("defaults", "github", "jira", "pagerduty"):
        schedule = (config.get(integration) or {}).get("schedule")
        if schedule and not schedule.startswith("every "):
            parse_cron(schedule)


def test_kustomize_config_is_the_base_file(rendered: Callable[[str], list[Doc]]) -> None:
    expected = (DEPLOY / "base" / "config.yaml").read_text()
    assert _config_text(rendered("kustomize-daemon")) == expected
    assert _config_text(rendered("kustomize-cronjob")) == expected


def test_helm_takes_the_config_as_text(helm: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    """A text config is used verbatim while the chart writes no key of its own (comments and all)."""
    base_text = (DEPLOY / "base" / "config.yaml").read_text()
    text = re.sub(r"^state:\n(?:  .*\n)+", "", base_text, flags=re.M)
    assert "state:" not in text
    path = tmp_path / "config.yaml"
    path.write_text(text)
    proc = helm("template", "syncer", str(CHART), "--set-file", f"config={path}")
    assert proc.returncode == 0, proc.stderr
    assert _config_text(_load(proc.stdout)) == text


def test_helm_merges_its_keys_into_a_text_config(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    """With state and webhooks on, the chart's keys are merged into the user's config; nothing else changes."""
    base_config = DEPLOY / "base" / "config.yaml"
    proc = helm(
        "template", "syncer", str(CHART), "--set-file", f"config={base_config}",
        *HELM_STATE, "--set", "webhooks.jira.enabled=true",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    expected = yaml.safe_load(base_config.read_text())
    expected["webhooks"] = {"jira": {"secret_file": f"{WEBHOOK_SECRETS_DIR}/jira"}}
    assert _config(_load(proc.stdout)) == expected


def test_helm_keeps_the_users_webhooks_settings(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    proc = helm(
        "template", "syncer", str(CHART), "--set", "webhooks.github.enabled=true",
        "--set", "config.webhooks.debounce=5s", "--set-string", "config.webhooks.jira.secret=${JIRA_WEBHOOK_SECRET}",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert _config(_load(proc.stdout))["webhooks"] == {
        "debounce": "5s",
        "github": {"secret_file": f"{WEBHOOK_SECRETS_DIR}/github"},
        "jira": {"secret": "${JIRA_WEBHOOK_SECRET}"},
    }


@pytest.mark.parametrize("source", ["deploy/base/config.yaml", "helm default values"])
def test_shipped_config_passes_syncer_validate(
    source: str, rendered: Callable[[str], list[Doc]], tmp_path: Path
) -> None:
    """The shipped configuration is accepted by the application itself (offline check, no network)."""
    text = (REPO / source).read_text() if source.endswith(".yaml") else _config_text(rendered("helm-daemon"))
    # The secret files the pod mounts, as files under tmp_path.
    secrets_dir = tmp_path / "secrets"
    for file in set(re.findall(rf"{SECRETS_DIR}/([-A-Za-z0-9._/]+)", text)):
        (secrets_dir / file).parent.mkdir(parents=True, exist_ok=True)
        (secrets_dir / file).write_text("dummy-value\n")
    text = text.replace(f"{SECRETS_DIR}/", f"{secrets_dir}/")
    path = tmp_path / "config.yaml"
    path.write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "SYNCER_"))}
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


# ------------------------------------------------ webhooks, the Ingress and the state store


def _relocate_secret_files(tree: Any, files: dict[str, tuple[str, str, int]], root: Path, where: str = "") -> dict:
    """Point every `*_file` of the config at a copy under `root` of the file the pod mounts there.

    A path that no Secret volume of the pod mounts fails the test. Returns {dotted key: the value written}.
    """
    written: dict[str, str] = {}
    if isinstance(tree, dict):
        for key, value in tree.items():
            name = f"{where}.{key}" if where else key
            if key.endswith("_file"):
                assert value in files, f"{name}: {value} is not a file any Secret volume mounts: {sorted(files)}"
                target = root / value.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                written[name] = f"deploy-test-{secrets.token_hex(8)}"
                target.write_text(written[name] + "\n")
                tree[key] = str(target)
            else:
                written |= _relocate_secret_files(value, files, root, name)
    elif isinstance(tree, list):
        for index, item in enumerate(tree):
            inner = _relocate_secret_files(item, files, root, where)
            written |= {f"{key}#{index}" if "#" not in key else key: value for key, value in inner.items()}
    return written


@pytest.mark.parametrize("name", RENDERS)
def test_rendered_config_loads_with_syncers_loader(
    name: str, rendered: Callable[[str], list[Doc]], tmp_path: Path
) -> None:
    """The ConfigMap's config, read as the container reads it: the secret files it names are the ones mounted,
    syncer's own loader accepts it, and state.path is a file inside the writable state volume."""
    docs = rendered(name)
    pod = _pod_template(_workload(docs))["spec"]
    tree = _config(docs)
    root = tmp_path / "root"
    written = _relocate_secret_files(tree, _secret_files(pod), root)
    # No credential in the environment: every secret must come from its mounted file.
    config = loader.parse(tree, {}, origin=name)
    assert config.datadog.api_key.get_secret_value() == written["datadog.api_key_file"]
    assert config.datadog.app_key.get_secret_value() == written["datadog.app_key_file"]
    for index, source in enumerate(config.github.sources if config.github else []):
        assert source.token is not None
        assert source.token.get_secret_value() == written[f"github.sources.token_file#{index}"]

    receivers = {"github": config.webhooks.github.secret, "jira": config.webhooks.jira.secret}
    hooks = {key for key in written if key.startswith("webhooks.")}
    if name in WEBHOOK_RENDERS:
        assert hooks == {"webhooks.github.secret_file", "webhooks.jira.secret_file"}
        for receiver, secret in receivers.items():
            assert secret is not None, f"webhooks.{receiver} has no secret: its route would answer 403"
            assert secret.get_secret_value() == written[f"webhooks.{receiver}.secret_file"]
    else:
        assert hooks == set()
        assert receivers == {"github": None, "jira": None}

    state_path = _state_path(docs)
    assert config.state.path == state_path
    if name in STATE_RENDERS:
        assert state_path == STATE_PATH
        folder = posixpath.dirname(state_path)
        mounts = _mounts(pod)
        assert folder in mounts, f"state.path {state_path}: nothing is mounted at {folder} ({sorted(mounts)})"
        assert not mounts[folder][0].get("readOnly")
        (root / folder.lstrip("/")).mkdir(parents=True)
        StateStore(root / state_path.lstrip("/")).close()  # a file of its own in the mounted folder
    else:
        assert state_path is None


@pytest.mark.parametrize("name", STATE_RENDERS)
def test_state_volume(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    docs = rendered(name)
    workload = _workload(docs)
    pod = _pod_template(workload)["spec"]
    folder = posixpath.dirname(_state_path(docs) or "")
    mounts = _mounts(pod)
    assert folder in mounts, f"no volume at {folder!r}"
    mount, volume = mounts[folder]
    assert not mount.get("readOnly")
    assert "subPath" not in mount
    # The volume belongs to the pod's group: uid 10001 creates the file and SQLite's journal next to it.
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsGroup"] == UID
    claims = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PersistentVolumeClaim"}
    if name == "helm-daemon-emptydir":
        assert "emptyDir" in volume
        assert volume["emptyDir"].get("sizeLimit")
        assert not claims
        return
    claim = claims[volume["persistentVolumeClaim"]["claimName"]]
    assert set(claim["spec"]["accessModes"]) <= ONE_WRITER_ACCESS_MODES
    assert claim["spec"]["resources"]["requests"]["storage"]
    # One writer per file: one pod at a time.
    if workload["kind"] == "Deployment":
        assert workload["spec"]["replicas"] == 1
        assert workload["spec"]["strategy"] == {"type": "Recreate"}
    else:
        assert workload["spec"]["concurrencyPolicy"] == "Forbid"


@pytest.mark.parametrize("name", WEBHOOK_RENDERS)
def test_webhook_secrets_are_mounted_files(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    docs = rendered(name)
    pod = _pod_template(_workload(docs))["spec"]
    files = _secret_files(pod)
    given = {r: s["secret_file"] for r, s in _config(docs)["webhooks"].items() if isinstance(s, dict)}
    assert given == {receiver: f"{WEBHOOK_SECRETS_DIR}/{receiver}" for receiver in ("github", "jira")}
    for receiver, path in given.items():
        secret, key, mode = files[path]
        assert (secret, key) == ("syncer-credentials", f"{receiver.upper()}_WEBHOOK_SECRET")
        assert mode & 0o440 == 0o440, f"{path}: mode {mode:o} is not readable by its group"
        assert mode & 0o137 == 0, f"{path}: mode {mode:o} is wider than needed"
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsGroup"]
    env = _env(_container(pod))
    assert not {"GITHUB_WEBHOOK_SECRET", "JIRA_WEBHOOK_SECRET"} & set(env), "the secrets are files, not env entries"


@pytest.mark.parametrize("name", WEBHOOK_RENDERS)
def test_ingress_exposes_only_the_webhook_routes(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    docs = rendered(name)
    ingress, service = _one(docs, "Ingress"), _one(docs, "Service")
    paths = _ingress_paths(ingress)
    assert paths
    for host, path, path_type, backend in paths:
        assert host, "every rule names its host"
        assert path_type == "Prefix"
        assert path in ("/webhooks/", *WEBHOOK_ROUTES), f"{path} is not a webhook path"
        assert backend == {"service": {"name": service["metadata"]["name"], "port": {"name": "http"}}}
    for route in INTERNAL_ROUTES:
        assert not any(prefix_matches(path, route) for _, path, _, _ in paths), f"the Ingress exposes {route}"
    for route in WEBHOOK_ROUTES:
        assert any(prefix_matches(path, route) for _, path, _, _ in paths), f"{route} is not reachable"

    # The Service port the Ingress names leads to the port the daemon listens on.
    (service_port,) = [p for p in service["spec"]["ports"] if p["name"] == "http"]
    container = _container(_one(docs, "Deployment")["spec"]["template"]["spec"])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    target = service_port["targetPort"]
    listen = container["args"][container["args"].index("--listen") + 1]
    assert (ports[target] if isinstance(target, str) else target) == int(listen.rsplit(":", 1)[1])
    tls_hosts = {h for entry in ingress["spec"].get("tls", []) for h in entry["hosts"]}
    assert tls_hosts <= {host for host, *_ in paths}


def test_helm_ingress_values_reach_the_manifest(rendered: Callable[[str], list[Doc]]) -> None:
    ingress = _one(rendered("helm-daemon-webhooks"), "Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["metadata"]["annotations"] == {"nginx.ingress.kubernetes.io/proxy-body-size": "5m"}
    assert ingress["spec"]["tls"] == [{"hosts": ["syncer.example.com"], "secretName": "syncer-webhooks-tls"}]
    assert [(h, p) for h, p, _, _ in _ingress_paths(ingress)] == [("syncer.example.com", "/webhooks/")]


def test_helm_ingress_paths_and_hosts(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    proc = helm(
        "template", "syncer", str(CHART), "--set", "webhooks.github.enabled=true", "--set", "ingress.enabled=true",
        "--set", "ingress.hosts[0].host=github-hooks.example.com", "--set", "ingress.hosts[0].paths={/webhooks/github}",
        "--set", "ingress.hosts[1].host=hooks.example.org",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    ingress = _one(_load(proc.stdout), "Ingress")
    assert [(h, p, t) for h, p, t, _ in _ingress_paths(ingress)] == [
        ("github-hooks.example.com", "/webhooks/github", "Prefix"),
        ("hooks.example.org", "/webhooks/", "Prefix"),
    ]
    assert "ingressClassName" not in ingress["spec"]
    assert "tls" not in ingress["spec"]


def test_helm_webhooks_without_ingress(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    """The receivers can be on with no Ingress (another proxy in front); each receiver is its own choice."""
    proc = helm(
        "template", "hooks", str(CHART), "--set", "webhooks.jira.enabled=true",
        "--set", "webhooks.existingSecret=idp-webhooks", "--set", "webhooks.jira.secretKey=jira-hook",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    docs = _load(proc.stdout)
    assert "Ingress" not in {d["kind"] for d in docs}
    pod = _pod_template(_workload(docs))["spec"]
    files = _secret_files(pod)
    assert files.pop(f"{WEBHOOK_SECRETS_DIR}/jira") == ("idp-webhooks", "jira-hook", 0o440)
    assert {secret for secret, _, _ in files.values()} == {"hooks-syncer-credentials"}
    assert _config(docs)["webhooks"] == {"jira": {"secret_file": f"{WEBHOOK_SECRETS_DIR}/jira"}}
    assert "envFrom" not in _container(pod)


@pytest.mark.parametrize(
    ("args", "claim_name", "claim_spec"),
    [
        (
            ["--set", "state.persistence.storageClass=fast-ssd", "--set", "state.persistence.size=5Gi"],
            "syncer-state",
            {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "fast-ssd",
                "resources": {"requests": {"storage": "5Gi"}},
            },
        ),
        (
            ["--set", "state.persistence.storageClass=-", "--set", "state.persistence.accessModes={ReadWriteOncePod}"],
            "syncer-state",
            {
                "accessModes": ["ReadWriteOncePod"],
                "storageClassName": "",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        ),
        (["--set", "state.persistence.existingClaim=kept-state"], "kept-state", None),
    ],
)
def test_helm_state_persistence_values(
    args: list[str], claim_name: str, claim_spec: Doc | None, helm: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    proc = helm(
        "template", "syncer", str(CHART), *HELM_STATE, "--set-string", "state.path=/data/syncer/state.db", *args
    )
    assert proc.returncode == 0, proc.stderr
    docs = _load(proc.stdout)
    pod = _pod_template(_workload(docs))["spec"]
    assert _mounts(pod)["/data/syncer"][1]["persistentVolumeClaim"] == {"claimName": claim_name}
    assert _config(docs)["state"] == {"path": "/data/syncer/state.db"}
    claims = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    if claim_spec is None:
        assert claims == [], "an existing claim is used, not created"
    else:
        assert [(c["metadata"]["name"], c["spec"]) for c in claims] == [(claim_name, claim_spec)]


def test_kustomize_webhooks_are_opt_in(rendered: Callable[[str], list[Doc]]) -> None:
    docs = rendered("kustomize-daemon")
    assert "webhooks" not in _config(docs), "the base config must not need the webhook secrets"
    files = _secret_files(_pod_template(_workload(docs))["spec"])
    assert not [path for path in files if path.startswith(f"{WEBHOOK_SECRETS_DIR}/")]
    component = yaml.safe_load((DEPLOY / "components" / "webhooks" / "kustomization.yaml").read_text())
    assert component["kind"] == "Component"
    overlay = yaml.safe_load((DEPLOY / "overlays" / "daemon" / "kustomization.yaml").read_text())
    assert "components" not in overlay


JIRA_PROJECT_EVENTS = [
    "project_created", "project_updated", "project_deleted", "project_soft_deleted",
    "project_restored_deleted", "project_archived", "project_restored_archived",
]  # fmt: skip


def test_readme_webhooks_section_matches_the_manifests() -> None:
    """README.md's webhook section: its Helm values are the example file's, its config snippet loads, and it
    registers the events the receivers act on (SPEC §5) at the routes the Ingress exposes."""
    readme = (REPO / "README.md").read_text()
    assert readme.index("### Container, CronJob, manual trigger") < readme.index("### Webhooks: Datadog within")
    section = readme.split("### Webhooks: Datadog within seconds\n", 1)[1].split("\n### ", 1)[0]
    assert readme.index("### Webhooks: Datadog within") < readme.index("### Sources")
    config_block, values_block = re.findall(r"```yaml\n(.*?)```", section, re.S)

    example = yaml.safe_load(HELM_EXAMPLE.read_text())
    assert example.pop("mode") == "daemon"
    assert yaml.safe_load(values_block) == example

    tree = yaml.safe_load(config_block)
    tree["github"] = {"extra": [{"hostname": "github.com", "github_org_name": "acme", "repo_name": "x"}]}
    env = {var: f"deploy-test-{secrets.token_hex(8)}" for var in ("DD_API_KEY", "DD_APP_KEY")}
    env |= {var: f"deploy-test-{secrets.token_hex(8)}" for var in ("GITHUB_WEBHOOK_SECRET", "JIRA_WEBHOOK_SECRET")}
    config = loader.parse(tree, env, origin="README.md")
    assert config.webhooks.debounce_seconds == 2
    assert config.webhooks.github.secret is not None
    assert config.webhooks.github.secret.get_secret_value() == env["GITHUB_WEBHOOK_SECRET"]
    assert config.state.path == STATE_PATH

    gh = re.search(r"gh api orgs/\$ORG/hooks (.*?)--jq \.id", section, re.S)
    assert gh, "the section registers no organization webhook"
    assert re.findall(r"'events\[\]=(\w+)'", gh.group(1)) == ["repository", "custom_property_values"]
    assert '"config[url]=https://$HOST/webhooks/github"' in gh.group(1)
    assert "'config[content_type]=json'" in gh.group(1)
    assert re.findall(r'"(project_\w+)"', section) == JIRA_PROJECT_EVENTS
    assert "https://$HOST/webhooks/jira" in section
    for route in WEBHOOK_ROUTES:
        assert any(prefix_matches(p, route) for p in example["ingress"].get("paths", ["/webhooks/"]))


# ---------------------------------------------------------------------------------- helm values


@pytest.mark.parametrize("name", [*HELM_RENDERS, "helm-cronjob-per-integration"])
def test_helm_lint(name: str, helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    args = HELM_PER_INTEGRATION if name == "helm-cronjob-per-integration" else HELM_RENDERS[name]
    proc = helm("lint", "--strict", str(CHART), *args)
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
        (["--set", "ingress.enabled=true", "--set", "webhooks.github.enabled=true"], "/ingress/hosts"),
        ([*HELM_WEBHOOKS, "--set", "ingress.hosts[0].paths={/sync}"], "/ingress/hosts/0/paths/0"),
        ([*HELM_WEBHOOKS, "--set", "ingress.hosts[0].paths={/}"], "/ingress/hosts/0/paths/0"),
        ([*HELM_WEBHOOKS, "--set", "ingress.hosts[0].paths[0].path=/webhooks/"], "/ingress/hosts/0/paths/0"),
        ([*HELM_WEBHOOKS, "--set", "ingress.hosts[0].host=https://x"], "/ingress/hosts/0/host"),
        (["--set", "ingress.defaultBackend.service.name=syncer"], "defaultBackend"),
        (["--set", "ingress.enabled=true", "--set", "ingress.hosts[0].host=a.example.com"], "no receiver has a secret"),
        (["--set", "mode=cronjob", *HELM_WEBHOOKS], "ingress.enabled needs mode: daemon"),
        (["--set", "mode=cronjob", "--set", "webhooks.jira.enabled=true"], "need mode: daemon"),
        (["--set", "webhooks.github.secretKey=a key"], "/webhooks/github/secretKey"),
        (["--set", "webhooks.gitlab.enabled=true"], "gitlab"),
        (["--set", "state.enabled=true", "--set", "state.path=/tmp/state.db"], "cannot be the state volume's mount"),
        (["--set", "state.enabled=true", "--set", "state.path=/etc/syncer/state.db"], "cannot be the state volume"),
        (["--set", "state.enabled=true", "--set", "state.path=/var/run/secrets/x/state.db"], "/var/run/secrets/"),
        (["--set", "state.enabled=true", "--set", "state.path=/state.db"], "/state/path"),
        (["--set", "state.enabled=true", "--set", "state.path=var/lib/state.db"], "/state/path"),
        (["--set", "state.persistence.accessModes={ReadWriteMany}"], "/state/persistence/accessModes/0"),
        (["--set", "state.persistence.size=lots"], "/state/persistence/size"),
        (["--set", "state.persistence.bogus=1"], "bogus"),
        (["--set-string", "config.state.path=/var/lib/syncer/state.db"], "state.enabled is false"),
        ([*HELM_STATE, "--set-string", "config.state.path=/data/other.db"], "differs from state.path"),
        (["--set", "webhooks.github.enabled=true", "--set-string", "config.webhooks.github.secret_file=/x"], "one way"),
        (["--set", "webhooks.jira.enabled=true", "--set-string", "config.webhooks.jira.secret=${X}"], "one way only"),
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
    assert {secret for secret, _, _ in _secret_files(_pod_template(cronjob)["spec"]).values()} == {"idp-sync"}
    assert _pod_template(cronjob)["spec"]["volumes"][0]["configMap"]["name"] == "nightly-syncer-config"
    assert _one(docs, "ConfigMap")["metadata"]["name"] == "nightly-syncer-config"


def test_helm_secret_env_picks_keys(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    proc = helm(
        "template", "syncer", str(CHART), "-f", str(HELM_SECRETS_ENV),
        "--set", "secretEnv={DD_API_KEY,DD_APP_KEY,GITHUB_TOKEN}",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    container = _container(_pod_template(_one(_load(proc.stdout), "Deployment"))["spec"])
    assert "envFrom" not in container
    picked = {
        e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert picked == {
        key: {"name": "syncer-credentials", "key": key} for key in ("DD_API_KEY", "DD_APP_KEY", "GITHUB_TOKEN")
    }


# ------------------------------------------------------------------- kustomize and helm agree


@pytest.mark.parametrize("mode", ["daemon", "cronjob"])
def test_kustomize_and_helm_agree(mode: str, rendered: Callable[[str], list[Doc]]) -> None:
    assert _essentials(rendered(f"kustomize-{mode}")) == _essentials(rendered(f"helm-{mode}-state"))


def _essentials(docs: list[Doc]) -> Doc:
    pod = _pod_template(_workload(docs))["spec"]
    container = _container(pod)
    volumes = {v["name"]: v for v in pod["volumes"]}
    return {
        "args": container["args"],
        "command": container.get("command"),
        "pod_security": pod["securityContext"],
        "container_security": container["securityContext"],
        # DD_ENV: the chart sets it only with datadog.env, kustomize always (a placeholder); see the Datadog tests.
        "env": [e for e in container.get("env", []) if e["name"] != "DD_ENV"],
        "mounts": sorted(container["volumeMounts"], key=lambda m: m["mountPath"]),
        "volume_kinds": {name: sorted(set(v) - {"name"}) for name, v in volumes.items()},
        "secret_files": _secret_files(pod),
        "resources": container["resources"],
        "probes": {k: container[k]["httpGet"] for k in container if k.endswith("Probe")},
        "grace": pod["terminationGracePeriodSeconds"],
        "state": _config(docs).get("state"),
        "webhook_secret_files": {
            name: section.get("secret_file")
            for name, section in (_config(docs).get("webhooks") or {}).items()
            if isinstance(section, dict)
        },
    }


def test_kustomize_webhooks_component_and_helm_agree(rendered: Callable[[str], list[Doc]]) -> None:
    kustomize, helm = (_essentials(rendered(name)) for name in WEBHOOK_RENDERS)
    # The component's Secret items are optional (a receiver left commented out needs no key); otherwise the same.
    assert kustomize == helm


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
    assert {"DD_API_KEY", "DD_APP_KEY", "SYNCER_TRIGGER_TOKEN", "GITHUB_WEBHOOK_SECRET", "JIRA_WEBHOOK_SECRET"} <= set(
        values
    )
    component_patch = yaml.safe_load((DEPLOY / "components" / "webhooks" / "webhook-secrets.yaml").read_text())
    (volume,) = component_patch["spec"]["template"]["spec"]["volumes"]
    overlays = [
        yaml.safe_load((DEPLOY / "overlays" / "daemon" / "deployment.yaml").read_text())["spec"]["template"],
        yaml.safe_load((DEPLOY / "overlays" / "cronjob" / "job" / "cronjob.yaml").read_text())["spec"]["jobTemplate"][
            "spec"
        ]["template"],
    ]
    for source_volume in [volume, *(v for o in overlays for v in o["spec"]["volumes"] if v["name"] == "secrets")]:
        sources = _secret_sources(source_volume)
        assert sources
        for name, source, _ in sources:
            assert name == secret["metadata"]["name"]
            assert {item["key"] for item in source["items"]} <= set(values)
    # The component repeats the overlay's credential files (a strategic-merge patch replaces `sources` whole).
    (daemon_volume,) = [v for v in overlays[0]["spec"]["volumes"] if v["name"] == "secrets"]
    assert (
        volume["projected"]["sources"][: len(daemon_volume["projected"]["sources"])]
        == daemon_volume["projected"]["sources"]
    )
    assert all(value == "" for value in values.values()), "the example must not hold values"
    kustomization = yaml.safe_load((DEPLOY / "base" / "kustomization.yaml").read_text())
    assert example.name not in kustomization.get("resources", [])


# ------------------------------------------------------------------------- Datadog scraping (SPEC §10)

AD_CHECKS = "ad.datadoghq.com/syncer.checks"
UST = ("service", "env", "version")
UST_ENV = {f"DD_{tag.upper()}": f"tags.datadoghq.com/{tag}" for tag in UST}
SERVICEMONITOR_SCHEMA = Path(__file__).parent / "schemas" / "servicemonitor-monitoring.coreos.com-v1.json"
HELM_SERVICEMONITOR = ["--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.interval=30s"]


def _chart_app_version() -> str:
    return str(yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"])


def _kustomize_image_tag(mode: str) -> str:
    kustomization = yaml.safe_load((DEPLOY / "overlays" / mode / "kustomization.yaml").read_text())
    (image,) = kustomization["images"]
    return str(image["newTag"])


def _ad_checks(pod_template: Doc) -> Doc:
    """The Autodiscovery annotation of the pod's container, parsed (annotations v2: {check: {init_config,
    instances}})."""
    annotations = pod_template["metadata"].get("annotations") or {}
    container = _container(pod_template["spec"])
    key = f"ad.datadoghq.com/{container['name']}.checks"
    assert key in annotations, f"the pod has no {key} annotation: {sorted(annotations)}"
    checks = json.loads(annotations[key])
    assert isinstance(checks, dict)
    return checks


def _ust_labels(metadata: Doc) -> dict[str, str]:
    labels = metadata.get("labels") or {}
    return {tag: labels[f"tags.datadoghq.com/{tag}"] for tag in UST if f"tags.datadoghq.com/{tag}" in labels}


@pytest.mark.parametrize("name", DAEMON_RENDERS)
def test_daemon_pod_has_the_datadog_openmetrics_check(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    pod = _pod_template(_workload(rendered(name)))
    checks = _ad_checks(pod)
    assert list(checks) == ["openmetrics"]
    assert checks["openmetrics"]["init_config"] == {}
    (instance,) = checks["openmetrics"]["instances"]
    assert instance == {
        "openmetrics_endpoint": f"http://%%host%%:{HTTP_PORT}/metrics",
        "namespace": "syncer",
        "metrics": ["syncer_.*"],
    }
    ports = {p["containerPort"] for p in _container(pod["spec"])["ports"]}
    assert int(instance["openmetrics_endpoint"].rsplit(":", 1)[1].split("/")[0]) in ports


@pytest.mark.parametrize("name", CRONJOB_RENDERS)
def test_cronjob_pod_has_no_scrape_check(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    # A CronJob serves no /metrics: an Autodiscovery check there would only report errors.
    annotations = _pod_template(_workload(rendered(name)))["metadata"].get("annotations") or {}
    assert not [key for key in annotations if key.startswith("ad.datadoghq.com/")]


@pytest.mark.parametrize("name", RENDERS)
def test_unified_service_tagging(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    workload = _workload(rendered(name))
    pod = _pod_template(workload)
    if name.startswith("kustomize"):
        # Placeholders a user edits in the overlay's labels (deploy/README.md); version is the image tag.
        mode = "cronjob" if "cronjob" in name else "daemon"
        expected = {"service": "syncer", "env": "change-me", "version": _kustomize_image_tag(mode)}
    else:
        expected = {"service": "syncer", "version": _chart_app_version()}  # no datadog.env: no env label
    assert _ust_labels(workload["metadata"]) == expected
    assert _ust_labels(pod["metadata"]) == expected
    container = _container(pod["spec"])
    env = {e["name"]: e for e in container["env"] if e["name"].startswith("DD_")}
    assert set(env) == {f"DD_{tag.upper()}" for tag in expected}
    labels = pod["metadata"]["labels"]
    for var, entry in env.items():
        assert entry["valueFrom"] == {"fieldRef": {"fieldPath": f"metadata.labels['{UST_ENV[var]}']"}}
        assert UST_ENV[var] in labels


def test_helm_datadog_values_reach_the_pod(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    proc = helm(
        "template", "syncer", str(CHART),
        "--set", "datadog.service=idp-syncer",
        "--set", "datadog.env=prod",
        "--set-string", "datadog.version=1.2.3",
        "--set", "daemon.port=9090",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    deployment = _one(_load(proc.stdout), "Deployment")
    pod = _pod_template(deployment)
    expected = {"service": "idp-syncer", "env": "prod", "version": "1.2.3"}
    assert _ust_labels(deployment["metadata"]) == expected
    assert _ust_labels(pod["metadata"]) == expected
    assert {e["name"] for e in _container(pod["spec"])["env"]} >= set(UST_ENV)
    (instance,) = _ad_checks(pod)["openmetrics"]["instances"]
    assert instance["openmetrics_endpoint"] == "http://%%host%%:9090/metrics"


def test_helm_autodiscovery_can_be_turned_off(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    proc = helm("template", "syncer", str(CHART), "--set", "datadog.autodiscovery=false")
    assert proc.returncode == 0, proc.stderr
    pod = _pod_template(_one(_load(proc.stdout), "Deployment"))
    assert AD_CHECKS not in (pod["metadata"].get("annotations") or {})
    assert _ust_labels(pod["metadata"])["service"] == "syncer", "the labels stay: they tag logs and traces too"


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--set", "datadog.autodiscovery=yes"], "/datadog/autodiscovery"),
        (["--set", "datadog.env=not a label"], "/datadog/env"),
        (["--set", "datadog.bogus=1"], "bogus"),
        (
            ["--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.interval=often"],
            "/serviceMonitor/interval",
        ),
        (["--set", "mode=cronjob", "--set", "serviceMonitor.enabled=true"], "serviceMonitor.enabled needs mode"),
    ],
)
def test_helm_rejects_bad_datadog_values(
    args: list[str], complaint: str, helm: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    proc = helm("template", "syncer", str(CHART), *args)
    assert proc.returncode != 0, f"helm template {' '.join(args)} should fail"
    assert complaint in proc.stderr, proc.stderr


@pytest.mark.parametrize("name", HELM_RENDERS)
def test_no_servicemonitor_unless_enabled(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    assert "ServiceMonitor" not in {d["kind"] for d in rendered(name)}


@cache
def _servicemonitor_validator() -> Any:
    """The CRD's own schema (vendored from the Prometheus Operator), made strict the way kubernetes-validate
    --strict is: an object that lists its properties accepts no others, unless it preserves unknown fields."""

    def strict(node: Any) -> Any:
        if isinstance(node, dict):
            node = {key: strict(value) for key, value in node.items()}
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            return node
        if isinstance(node, list):
            return [strict(item) for item in node]
        return node

    schema = strict(json.loads(SERVICEMONITOR_SCHEMA.read_text()))
    # metadata is an ObjectMeta: the CRD schema leaves it open; kubernetes-validate checks it elsewhere.
    schema["properties"]["metadata"].pop("additionalProperties", None)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def _servicemonitor_errors(doc: Doc) -> list[str]:
    return [
        f"{'.'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in _servicemonitor_validator().iter_errors(doc)
    ]


def test_servicemonitor_schema_catches_mistakes() -> None:
    good = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "x"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "endpoints": [{"port": "http", "path": "/metrics"}]},
    }
    assert _servicemonitor_errors(good) == []
    for bad_spec in (
        {"endpoints": [{"port": "http"}]},  # no selector (required)
        {**good["spec"], "endpoints": [{"port": "http", "interval": "often"}]},
        {**good["spec"], "endpoints": [{"port": "http", "targetPortt": 8080}]},
        {**good["spec"], "bogus": True},
    ):
        assert _servicemonitor_errors({**good, "spec": bad_spec}), bad_spec


def _check_servicemonitor(docs: list[Doc], interval: str) -> None:
    (monitor,) = [d for d in docs if d["kind"] == "ServiceMonitor"]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    errors = _servicemonitor_errors(monitor)
    assert not errors, f"the ServiceMonitor does not match its CRD schema: {errors}"
    for doc in docs:
        if doc["kind"] != "ServiceMonitor":
            for version in K8S_VERSIONS:
                kubernetes_validate.validate(doc, version, strict=True)
    service = _one(docs, "Service")
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector and selector.items() <= service["metadata"]["labels"].items(), "it selects no Service"
    assert monitor.get("metadata", {}).get("namespace") == service.get("metadata", {}).get("namespace")
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}, "it must name a Service port"
    assert endpoint["path"] == "/metrics"
    assert endpoint["interval"] == interval
    # The Service port leads to the container's port serving /metrics.
    (port,) = [p for p in service["spec"]["ports"] if p["name"] == endpoint["port"]]
    container_ports = {p["name"] for p in _container(_pod_template(_workload(docs))["spec"])["ports"]}
    assert port["targetPort"] in container_ports


def test_helm_servicemonitor(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    proc = helm("template", "syncer", str(CHART), *HELM_SERVICEMONITOR, "--set", "serviceMonitor.labels.release=kps")
    assert proc.returncode == 0, proc.stderr
    docs = _load(proc.stdout)
    _check_servicemonitor(docs, "30s")
    assert _one(docs, "ServiceMonitor")["metadata"]["labels"]["release"] == "kps"
    lint = helm("lint", "--strict", str(CHART), *HELM_SERVICEMONITOR)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_kustomize_servicemonitor_component(kubectl: str, tmp_path: Path) -> None:
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    overlay = tmp_path / "deploy" / "overlays" / "daemon"
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    kustomization["components"] = ["../../components/servicemonitor"]
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    proc = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    _check_servicemonitor(_load(proc.stdout), "60s")
    component = yaml.safe_load((DEPLOY / "components" / "servicemonitor" / "kustomization.yaml").read_text())
    assert component["kind"] == "Component"


def test_deploy_readme_documents_the_datadog_values() -> None:
    readme = (DEPLOY / "README.md").read_text()
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for group in ("datadog", "serviceMonitor"):
        for key in values[group]:
            assert f"`{group}.{key}`" in readme or f"`{key}`" in readme, f"deploy/README.md: {group}.{key}"
    section = readme.split("### Datadog scraping\n", 1)[1].split("\n### ", 1)[0]
    (annotation,) = re.findall(r"```yaml\n(ad\.datadoghq\.com/.*?)```", section, re.S)
    shown = json.loads(yaml.safe_load(annotation)[AD_CHECKS])
    deployment = yaml.safe_load((DEPLOY / "overlays" / "daemon" / "deployment.yaml").read_text())
    assert shown == json.loads(deployment["spec"]["template"]["metadata"]["annotations"][AD_CHECKS])
    assert "../../components/servicemonitor" in section


# ------------------------------------------------------------- chart values of 0.2 (SPEC §11)


def _helm_docs(helm: Callable[..., subprocess.CompletedProcess[str]], *args: str) -> list[Doc]:
    proc = helm("template", "syncer", str(CHART), *args)
    assert proc.returncode == 0, proc.stderr
    return _load(proc.stdout)


def _helm_fails(helm: Callable[..., subprocess.CompletedProcess[str]], *args: str) -> str:
    proc = helm("template", "syncer", str(CHART), *args)
    assert proc.returncode != 0, f"helm template {' '.join(args)} should fail:\n{proc.stdout[:2000]}"
    return proc.stderr


def _workloads(docs: list[Doc]) -> list[Doc]:
    return [d for d in docs if d["kind"] in ("Deployment", "CronJob")]


def _dict_env(container: Doc) -> dict[str, Doc]:
    return {e["name"]: e for e in container.get("env", [])}


@pytest.mark.parametrize("args", [["--set", "mode=daemon"], HELM_PER_INTEGRATION], ids=["daemon", "cronjobs"])
def test_helm_extra_volumes_reach_every_workload(
    args: list[str], helm: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    docs = _helm_docs(helm, *args, *HELM_EXTRAS, "--set", "extraVolumes[1].name=scratch",
                      "--set", "extraVolumes[1].emptyDir.sizeLimit=16Mi",
                      "--set", "extraVolumeMounts[1].name=scratch",
                      "--set", "extraVolumeMounts[1].mountPath=/scratch")  # fmt: skip
    workloads = _workloads(docs)
    assert len(workloads) == (1 if args[1] == "mode=daemon" else 3)
    for workload in workloads:
        pod = _pod_template(workload)["spec"]
        mounts = _mounts(pod)
        mount, volume = mounts["/etc/syncer-ca"]
        assert volume == {"name": "ca", "configMap": {"name": "corporate-ca"}}
        assert mount == {"name": "ca", "mountPath": "/etc/syncer-ca", "readOnly": True}
        assert mounts["/scratch"][1] == {"name": "scratch", "emptyDir": {"sizeLimit": "16Mi"}}
        # The chart's own volumes are still there.
        assert {"/etc/syncer", "/tmp", SECRETS_DIR} <= set(mounts)


def test_helm_extra_volumes_default_to_none(rendered: Callable[[str], list[Doc]]) -> None:
    for name in ("helm-daemon", "helm-cronjob"):
        pod = _pod_template(_workload(rendered(name)))["spec"]
        assert {v["name"] for v in pod["volumes"]} == {"config", "tmp", "secrets"}


@pytest.mark.parametrize(
    ("name", "level", "fmt"),
    [("helm-daemon", "info", "json"), ("helm-cronjob", "info", "json"), ("kustomize-daemon", "info", "json"),
     ("kustomize-cronjob", "info", "json"), ("helm-daemon-extras", "DEBUG", "text"),
     ("helm-cronjob-extras", "DEBUG", "text")],
)  # fmt: skip
def test_log_level_and_format_env(name: str, level: str, fmt: str, rendered: Callable[[str], list[Doc]]) -> None:
    env = _env(_container(_pod_template(_workload(rendered(name)))["spec"]))
    assert (env["SYNCER_LOG_LEVEL"], env["SYNCER_LOG_FORMAT"]) == (level, fmt)


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--set", "logFormat=xml"], "/logFormat"),
        (["--set", "logLevel=loud"], "/logLevel"),
        (["--set", "extraVolumeMounts[0].name=x"], "/extraVolumeMounts/0"),
        (["--set", "extraVolumes[0].configMap.name=x"], "/extraVolumes/0"),
        (["--set", "secretMode=vault"], "/secretMode"),
        (["--set", "secretFiles.GITHUB_TOKEN=a/b"], "/secretFiles/GITHUB_TOKEN"),
        (["--set", "networkPolicy.egress=1"], "egress"),
        (["--set", "tests.image=x"], "image"),
    ],
)
def test_helm_schema_rejects_bad_new_values(
    args: list[str], complaint: str, helm: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    assert complaint in _helm_fails(helm, *args)


# --------------------------------------------------------------------------- secrets as files


def test_helm_secret_mode_env_is_the_opt_in(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    docs = _helm_docs(helm, "-f", str(HELM_SECRETS_ENV))
    pod = _pod_template(_workload(docs))["spec"]
    container = _container(pod)
    assert container["envFrom"] == [{"secretRef": {"name": "syncer-credentials"}}]
    assert _secret_files(pod) == {}, "secretMode env mounts no credential file"
    assert "SYNCER_TRIGGER_TOKEN" not in _env(container), "envFrom gives it"
    config = _config(docs)
    assert config["datadog"] == {
        "site": "${DD_SITE:-datadoghq.com}", "api_key": "${DD_API_KEY}", "app_key": "${DD_APP_KEY}"
    }  # fmt: skip
    for var in ("DD_API_KEY", "DD_APP_KEY", "GITHUB_TOKEN"):
        loader.parse(config, {"DD_API_KEY": "a", "DD_APP_KEY": "b", "GITHUB_TOKEN": "c"}, origin="env mode")
        assert f"${{{var}}}" in _config_text(docs)
    # With webhooks the receivers' secrets are still files.
    docs = _helm_docs(helm, "-f", str(HELM_SECRETS_ENV), "--set", "webhooks.github.enabled=true")
    assert _secret_files(_pod_template(_workload(docs))["spec"]) == {
        f"{WEBHOOK_SECRETS_DIR}/github": ("syncer-credentials", "GITHUB_WEBHOOK_SECRET", 0o440)
    }


def test_helm_secret_files_can_be_added_renamed_and_dropped(
    helm: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    docs = _helm_docs(
        helm, "--set", "existingSecret=idp", "--set", "secretFiles.GITHUB_APP_KEY=github-app.pem",
        "--set", "secretFiles.JIRA_API_TOKEN=null", "--set", "secretFiles.PAGERDUTY_TOKEN=pd",
        "--set", "triggerTokenKey=trigger",
    )  # fmt: skip
    pod = _pod_template(_workload(docs))["spec"]
    assert _secret_files(pod) == {
        f"{SECRETS_DIR}/datadog-api-key": ("idp", "DD_API_KEY", 0o440),
        f"{SECRETS_DIR}/datadog-app-key": ("idp", "DD_APP_KEY", 0o440),
        f"{SECRETS_DIR}/github-app.pem": ("idp", "GITHUB_APP_KEY", 0o440),
        f"{SECRETS_DIR}/github-token": ("idp", "GITHUB_TOKEN", 0o440),
        f"{SECRETS_DIR}/pd": ("idp", "PAGERDUTY_TOKEN", 0o440),
    }
    (volume,) = [v for v in pod["volumes"] if v["name"] == "secrets"]
    assert all(s["secret"]["optional"] is True for s in volume["projected"]["sources"]), "absent keys are allowed"
    env = _dict_env(_container(pod))
    assert env["SYNCER_TRIGGER_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": "idp",
        "key": "trigger",
        "optional": True,
    }
    # No trigger token at all.
    docs = _helm_docs(helm, "--set", "triggerTokenKey=")
    pod = _pod_template(_workload(docs))["spec"]
    assert "SYNCER_TRIGGER_TOKEN" not in _env(_container(pod))


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        # The config names a file nothing mounts.
        (["--set", "secretFiles.GITHUB_TOKEN=null"], "config names /var/run/secrets/syncer/github-token, but"),
        (["--set-string", "config.datadog.api_key_file=/var/run/secrets/syncer/dd"], "add secretFiles.<KEY>: dd"),
        (["--set-string", "config.webhooks.jira.secret_file=/var/run/secrets/syncer/webhooks/jira"],
         "only with webhooks.jira.enabled"),
        (["--set", "secretMode=env"], "secretMode is env: no credential file is mounted"),
        # Files mode, but the config still reads the key from the environment (with a default: not rewritten).
        (["--set", "config.datadog.api_key_file=null", "--set-string", "config.datadog.api_key=${DD_API_KEY:-x}"],
         "config reads ${DD_API_KEY} from the environment"),
        (["--set", "secretFiles.DD_APP_KEY=datadog-api-key"], "both name the file datadog-api-key"),
        (["--set", "secretFiles.X=webhooks", "--set", "webhooks.github.enabled=true"], "webhooks is taken"),
    ],
)  # fmt: skip
def test_helm_secret_files_and_config_must_agree(
    args: list[str], complaint: str, helm: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    assert complaint in _helm_fails(helm, *args)


def test_helm_files_mode_reads_a_config_written_for_the_environment_from_the_mounted_files(
    helm: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    """`key: ${KEY}` of a mounted Secret key (a config from `syncer config init`) becomes `key_file: <its file>`."""
    starter = tmp_path / "syncer.yaml"
    assert cli.main(["config", "init", str(starter)]) == 0
    docs = _helm_docs(helm, "--set", "mode=cronjob", "--set-file", f"config={starter}")
    (configmap,) = [d for d in docs if d["kind"] == "ConfigMap"]
    text = configmap["data"]["config.yaml"]
    assert "${DD_API_KEY}" not in text and "${GITHUB_TOKEN}" not in text
    tree = yaml.safe_load(text)
    assert tree["datadog"]["api_key_file"] == f"{SECRETS_DIR}/datadog-api-key"
    assert tree["datadog"]["app_key_file"] == f"{SECRETS_DIR}/datadog-app-key"
    assert {s["token_file"] for s in tree["github"]["sources"]} == {f"{SECRETS_DIR}/github-token"}
    assert {s["api_token_file"] for s in tree["jira"]["sources"]} == {f"{SECRETS_DIR}/jira-api-token"}
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for name in ("datadog-api-key", "datadog-app-key", "github-token", "jira-api-token", "pagerduty-token"):
        (secrets / name).write_text(f"{name}-value-0123456789\n")
    config = loader.parse(yaml.safe_load(text.replace(SECRETS_DIR, str(secrets))), {}, origin="rendered")
    assert config.datadog.api_key.get_secret_value() == "datadog-api-key-value-0123456789"


def test_helm_env_from_extra_env_is_allowed_in_files_mode(
    helm: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    """A key the config reads as ${NAME} is fine when extraEnv (or secretEnv) gives it on purpose."""
    docs = _helm_docs(
        helm, "--set", "config.datadog.api_key_file=null", "--set-string", "config.datadog.api_key=${DD_API_KEY}",
        "--set", "secretEnv={DD_API_KEY}",
    )  # fmt: skip
    env = _dict_env(_container(_pod_template(_workload(docs))["spec"]))
    assert env["DD_API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "syncer-credentials", "key": "DD_API_KEY"}


# ------------------------------------------------------------------------------- NetworkPolicy


def _selects(policy: Doc, pod_template: Doc) -> bool:
    selector = policy["spec"]["podSelector"]
    assert set(selector) == {"matchLabels"}
    return selector["matchLabels"].items() <= pod_template["metadata"]["labels"].items()


def _ports(rule: Doc) -> set[tuple[str, int]]:
    return {(p.get("protocol", "TCP"), p["port"]) for p in rule.get("ports", [])}


def _check_networkpolicy(docs: list[Doc], daemon: bool) -> Doc:
    policy = _one(docs, "NetworkPolicy")
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(policy, version, strict=True)
    workloads = _workloads(docs)
    assert workloads
    for workload in workloads:
        assert _selects(policy, _pod_template(workload)), f"the policy does not select {workload['metadata']['name']}"
    spec = policy["spec"]
    assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"], "both directions are restricted"
    egress = [_ports(rule) for rule in spec["egress"]]
    assert {("TCP", 443)} in egress
    assert {("UDP", 53), ("TCP", 53)} in egress
    for rule in spec["egress"][:2]:
        assert "to" not in rule or rule is spec["egress"][1], "443 goes to any address (the APIs are outside)"
    if daemon:
        ports = {p["containerPort"] for p in _container(_pod_template(workloads[0])["spec"])["ports"]}
        assert [_ports(rule) for rule in spec["ingress"]] == [{("TCP", HTTP_PORT)}]
        assert ports == {HTTP_PORT}
    else:
        assert spec["ingress"] == [], "a CronJob listens on nothing: no ingress at all"
    return policy


@pytest.mark.parametrize("name", ["helm-daemon-extras", "helm-cronjob-extras"])
def test_helm_networkpolicy(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    policy = _check_networkpolicy(rendered(name), daemon="-daemon" in name)
    assert all("from" not in rule for rule in policy["spec"]["ingress"]), "default: from anywhere"


def test_helm_networkpolicy_covers_every_cronjob(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    _check_networkpolicy(_helm_docs(helm, *HELM_PER_INTEGRATION, "--set", "networkPolicy.enabled=true"), daemon=False)


def test_helm_networkpolicy_is_configurable(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    docs = _helm_docs(
        helm, "--set", "networkPolicy.enabled=true", "--set", "daemon.port=9090",
        "--set", "networkPolicy.ingressFrom[0].namespaceSelector.matchLabels.team=datadog",
        "--set", "networkPolicy.extraEgress[0].to[0].ipBlock.cidr=10.0.0.0/8",
        "--set", "networkPolicy.extraEgress[0].ports[0].port=3128",
        "--set", "networkPolicy.dnsTo[0].namespaceSelector.matchLabels.team=dns",
        "--set", "networkPolicy.extraIngress[0].ports[0].port=9999",
    )  # fmt: skip
    policy = _one(docs, "NetworkPolicy")
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(policy, version, strict=True)
    spec = policy["spec"]
    daemon_rule, extra_rule = spec["ingress"]
    assert _ports(daemon_rule) == {("TCP", 9090)}
    test_pod = _one(docs, "Pod")
    given, test_peer = daemon_rule["from"]
    assert given == {"namespaceSelector": {"matchLabels": {"team": "datadog"}}}
    # The helm test pod may still reach the daemon, and is not selected by the policy itself.
    assert set(test_peer) == {"podSelector"}
    allowed = test_peer["podSelector"]["matchLabels"]
    assert allowed.items() <= test_pod["metadata"]["labels"].items()
    assert not _selects(policy, test_pod)
    assert _ports(extra_rule) == {("TCP", 9999)}
    assert spec["egress"][1]["to"] == [{"namespaceSelector": {"matchLabels": {"team": "dns"}}}]
    assert spec["egress"][2] == {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 3128}]}


def test_no_networkpolicy_unless_enabled(rendered: Callable[[str], list[Doc]]) -> None:
    for name in (*HELM_RENDERS, *KUSTOMIZE_RENDERS):
        if "extras" not in name:
            assert "NetworkPolicy" not in {d["kind"] for d in rendered(name)}, name


def _kustomize_with_components(kubectl: str, root: Path, overlay: str, *components: str) -> list[Doc]:
    shutil.copytree(DEPLOY, root / "deploy")
    where = root / "deploy" / "overlays" / overlay
    kustomization = yaml.safe_load((where / "kustomization.yaml").read_text())
    kustomization["components"] = [f"../../components/{c}" for c in components]
    (where / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    proc = subprocess.run([kubectl, "kustomize", str(where)], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return _load(proc.stdout)


@pytest.mark.parametrize("overlay", ["daemon", "cronjob", "cronjob-per-integration"])
def test_kustomize_networkpolicy_component(overlay: str, kubectl: str, tmp_path: Path) -> None:
    docs = _kustomize_with_components(kubectl, tmp_path, overlay, "networkpolicy")
    for doc in docs:
        for version in K8S_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)
    policy = _one(docs, "NetworkPolicy")
    spec = policy["spec"]
    for workload in _workloads(docs):
        assert _selects(policy, _pod_template(workload))
    assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"]
    assert [_ports(rule) for rule in spec["egress"]] == [{("TCP", 443)}, {("UDP", 53), ("TCP", 53)}]
    assert [_ports(rule) for rule in spec["ingress"]] == [{("TCP", HTTP_PORT)}]
    component = yaml.safe_load((DEPLOY / "components" / "networkpolicy" / "kustomization.yaml").read_text())
    assert component["kind"] == "Component"


def test_kustomize_networkpolicy_is_opt_in(rendered: Callable[[str], list[Doc]]) -> None:
    for name in KUSTOMIZE_RENDERS:
        assert "NetworkPolicy" not in {d["kind"] for d in rendered(name)}


# ---------------------------------------------------------------------------------- helm test


def test_helm_test_pod_asks_readyz(rendered: Callable[[str], list[Doc]], tmp_path: Path) -> None:
    docs = rendered("helm-daemon")
    pod = _one(docs, "Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert "hook-succeeded" in pod["metadata"]["annotations"]["helm.sh/hook-delete-policy"]
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Never"
    assert spec["automountServiceAccountToken"] is False
    (container,) = spec["containers"]
    workload = _container(_pod_template(_one(docs, "Deployment"))["spec"])
    assert container["image"] == workload["image"], "the chart's own image: no extra image to pull"
    assert container["command"] == ["python3", "-c"]
    code, url = container["args"]
    service = _one(docs, "Service")
    assert url == f"http://{service['metadata']['name']}.default.svc:{service['spec']['ports'][0]['port']}/readyz"
    # Restricted, like the workload.
    assert spec["securityContext"] == _pod_template(_one(docs, "Deployment"))["spec"]["securityContext"]
    assert container["securityContext"] == workload["securityContext"]
    assert not _selects({"spec": {"podSelector": {"matchLabels": service["spec"]["selector"]}}}, pod)

    # The script itself: 200 from /readyz is a pass, exit 0 (run here against a local server).
    class Ready(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/readyz" else 404)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ready)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        local = f"http://127.0.0.1:{server.server_address[1]}/readyz"
        proc = subprocess.run(
            [sys.executable, "-c", code, local], capture_output=True, text=True, timeout=30, check=False
        )
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"GET {local} -> 200" in proc.stdout


def test_helm_test_pod_follows_the_values(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    docs = _helm_docs(
        helm, "--set", "daemon.service.port=80", "--set", "image.repository=registry.example.com/syncer",
        "--set-string", "image.tag=9.9.9", "--namespace", "idp",
    )  # fmt: skip
    (container,) = _one(docs, "Pod")["spec"]["containers"]
    assert container["image"] == "registry.example.com/syncer:9.9.9"
    assert container["args"][1] == "http://syncer.idp.svc:80/readyz"
    assert "Pod" not in {d["kind"] for d in _helm_docs(helm, "--set", "tests.enabled=false")}
    assert "Pod" not in {d["kind"] for d in _helm_docs(helm, "--set", "mode=cronjob")}, "daemon mode only"


# -------------------------------------------------------------------------------- state.persistence


def test_helm_state_persistence_alone_turns_the_state_store_on(
    helm: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    docs = _helm_docs(helm, "--set", "state.persistence.enabled=true")
    (claim,) = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    pod = _pod_template(_workload(docs))["spec"]
    assert _mounts(pod)[posixpath.dirname(STATE_PATH)][1]["persistentVolumeClaim"] == {
        "claimName": claim["metadata"]["name"]
    }
    assert _config(docs)["state"] == {"path": STATE_PATH}


# ------------------------------------------------------------------------ CronJob per integration

DEFAULT_SCHEDULE = "*/30 * * * *"  # SPEC §4


def _expected_schedules(config: Doc) -> dict[str, str]:
    """Each configured integration's schedule: its section's, else defaults.schedule, else the built-in one."""
    fallback = (config.get("defaults") or {}).get("schedule") or DEFAULT_SCHEDULE
    return {
        name: config[name].get("schedule") or fallback
        for name in ("github", "jira", "pagerduty")
        if isinstance(config.get(name), dict)
    }


def _cronjobs(docs: list[Doc]) -> dict[str, tuple[Doc, list[str]]]:
    """CronJob name -> (CronJob, the container's args)."""
    found = [d for d in docs if d["kind"] == "CronJob"]
    assert not [d for d in docs if d["kind"] == "Deployment"]
    return {c["metadata"]["name"]: (c, _container(_pod_template(c)["spec"])["args"]) for c in found}


def _only(args: list[str]) -> str | None:
    return args[args.index("--only") + 1] if "--only" in args else None


@pytest.mark.parametrize("name", MULTI_RENDERS)
def test_one_cronjob_per_integration_on_its_schedule(name: str, rendered: Callable[[str], list[Doc]]) -> None:
    docs = rendered(name)
    expected = _expected_schedules(yaml.safe_load(BASE_CONFIG.read_text()))
    assert expected == {"github": "*/15 * * * *", "jira": DEFAULT_SCHEDULE, "pagerduty": DEFAULT_SCHEDULE}
    jobs = _cronjobs(docs)
    assert {job_name: (_only(args), job["spec"]["schedule"]) for job_name, (job, args) in jobs.items()} == {
        f"syncer-{integration}": (integration, schedule) for integration, schedule in expected.items()
    }
    configmap = _one(docs, "ConfigMap")["metadata"]["name"]
    for job, args in jobs.values():
        _check_cronjob(job)
        assert args[:3] == ["sync", "--output", "json"]
        assert args.count("--only") == 1
        assert job["metadata"]["labels"]["syncer.datadoghq.com/integration"] == _only(args)
        pod = _pod_template(job)["spec"]
        assert _mounts(pod)["/etc/syncer"][1]["configMap"]["name"] == configmap
        assert _mounts(pod)["/var/lib/syncer"][1]["persistentVolumeClaim"] == {"claimName": "syncer-state"}
        assert _secret_files(pod) == {
            f"{SECRETS_DIR}/{file}": ("syncer-credentials", key, 0o440) for key, file in CREDENTIAL_FILES.items()
        }
    assert _one(docs, "ServiceAccount")
    assert "Service" not in {d["kind"] for d in docs}


def test_kustomize_and_helm_per_integration_cronjobs_agree(rendered: Callable[[str], list[Doc]]) -> None:
    def essentials(docs: list[Doc]) -> dict[str, Doc]:
        out = {}
        for job_name, (job, _) in _cronjobs(docs).items():
            one = [d for d in docs if d["kind"] != "CronJob" or d is job]
            out[job_name] = _essentials(one) | {
                "schedule": job["spec"]["schedule"],
                "deadline": job["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"],
            }
        return out

    kustomize, helm = (essentials(rendered(name)) for name in MULTI_RENDERS)
    assert kustomize == helm


def _cron_gap_ok(job: Doc) -> None:
    minutes = sorted(parse_cron(job["spec"]["schedule"])[0])
    if len(minutes) > 1:
        gap = min(b - a for a, b in zip(minutes, [*minutes[1:], minutes[0] + 60], strict=True))
        assert job["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] < gap * 60


def _check_cronjob(cronjob: Doc) -> None:
    spec = cronjob["spec"]
    parse_cron(spec["schedule"])
    assert spec["concurrencyPolicy"] == "Forbid"
    assert len(cronjob["metadata"]["name"]) <= 52, "a CronJob name longer than 52 characters is refused"
    _cron_gap_ok(cronjob)
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert "--dry-run" not in _container(pod)["args"]


def _schedules(helm: Callable[..., subprocess.CompletedProcess[str]], *args: str) -> dict[str | None, str]:
    jobs = _cronjobs(_helm_docs(helm, "--set", "mode=cronjob", *args))
    for job, _ in jobs.values():
        _check_cronjob(job)
    return {_only(args): job["spec"]["schedule"] for job, args in jobs.values()}


JIRA = ["--set-string", "config.jira.sources[0].hostname=acme.atlassian.net",
        "--set-string", "config.jira.sources[0].email=bot@acme.com",
        "--set-string", "config.jira.sources[0].api_token_file=/var/run/secrets/syncer/jira-api-token"]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # The default values: github only, defaults.schedule.
        ([], {None: DEFAULT_SCHEDULE}),
        # Two integrations on one schedule: one CronJob for both, no --only.
        (JIRA, {None: DEFAULT_SCHEDULE}),
        (["--set-string", "config.github.schedule=0 * * * *"], {None: "0 * * * *"}),
        ([*JIRA, "--set-string", "config.github.schedule=*/10 * * * *"],
         {"github": "*/10 * * * *", "jira": DEFAULT_SCHEDULE}),
        # No defaults.schedule: the built-in default.
        ([*JIRA, "--set", "config.defaults.schedule=null", "--set-string", "config.jira.schedule=5 4 * * *"],
         {"github": DEFAULT_SCHEDULE, "jira": "5 4 * * *"}),
        ([*JIRA, "--set-string", "config.defaults.schedule=0 6 * * 1",
          "--set-string", "config.github.schedule=0 7 * * *"], {"github": "0 7 * * *", "jira": "0 6 * * 1"}),
        # "every" where a cron can say it.
        ([*JIRA, "--set-string", "config.github.schedule=every 10m"],
         {"github": "*/10 * * * *", "jira": DEFAULT_SCHEDULE}),
        (["--set-string", "config.defaults.schedule=every 1m"], {None: "* * * * *"}),
        (["--set-string", "config.defaults.schedule=every 60m"], {None: "0 * * * *"}),
        (["--set-string", "config.defaults.schedule=every 120m"], {None: "0 */2 * * *"}),
        (["--set-string", "config.defaults.schedule=every 6h"], {None: "0 */6 * * *"}),
        (["--set-string", "config.defaults.schedule=every 24h"], {None: "0 0 * * *"}),
        (["--set-string", "config.defaults.schedule=every 1d"], {None: "0 0 * * *"}),
        # cronjob.schedule: one CronJob for everything, whatever the config says.
        ([*JIRA, "--set-string", "config.github.schedule=every 10m", "--set-string", "cronjob.schedule=0 3 * * *"],
         {None: "0 3 * * *"}),
    ],
)  # fmt: skip
def test_cronjob_schedules_come_from_the_config(
    args: list[str], expected: dict[str | None, str], helm: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    assert _schedules(helm, *args) == expected


def test_a_short_schedule_caps_the_run_deadline(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    docs = _helm_docs(helm, "--set", "mode=cronjob", "--set-string", "config.defaults.schedule=every 10m")
    (job,) = [d for d in docs if d["kind"] == "CronJob"]
    assert job["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 540
    docs = _helm_docs(helm, "--set", "mode=cronjob", "--set-string", "config.defaults.schedule=0 * * * *")
    (job,) = [d for d in docs if d["kind"] == "CronJob"]
    assert job["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 1500


def test_per_integration_cronjob_names_fit(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    long_name = "x" * 60
    jobs = _cronjobs(_helm_docs(helm, *HELM_PER_INTEGRATION, "--set", f"fullnameOverride={long_name}"))
    assert len(jobs) == 3
    for job_name, (_, args) in jobs.items():
        assert len(job_name) <= 52
        assert job_name.endswith(f"-{_only(args)}")


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--set-string", "config.github.schedule=every 7m"],
         'config.github.schedule of the github integration is "every 7m", which no CronJob schedule can express'),
        (["--set-string", "config.defaults.schedule=every 90s"],
         'config.defaults.schedule of the github integration is "every 90s"'),
        (["--set-string", "config.defaults.schedule=every 5h"], "github integration"),
        (["--set-string", "config.defaults.schedule=every 2d"], "github integration"),
        ([*JIRA, "--set-string", "config.jira.schedule=*/5 * * *"], "config.jira.schedule of the jira integration"),
        (["--set", "config.github=null"], "configures no integration"),
    ],
)  # fmt: skip
def test_cronjob_schedules_a_cronjob_cannot_run_fail_the_render(
    args: list[str], complaint: str, helm: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    assert complaint in _helm_fails(helm, "--set", "mode=cronjob", *args)


def test_daemon_mode_takes_any_schedule(helm: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    """Only a CronJob needs cron: the daemon's scheduler runs "every 7m" itself."""
    docs = _helm_docs(helm, "--set-string", "config.github.schedule=every 7m")
    assert _config(docs)["github"]["schedule"] == "every 7m"
