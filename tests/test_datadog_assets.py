"""deploy/datadog: the dashboard and monitors deserialize with the official client and query only exported metrics.

SPEC §10 (Assets). The Agent's OpenMetrics (v2) check of the pod's annotation (namespace `syncer`, metrics
`syncer_.*`, no raw prefix taken off) names a Prometheus counter `syncer.<name>.count` (the family name, such as
`syncer_runs`, without `_total`), a gauge `syncer.<name>`, a histogram `syncer.<name>.bucket`, `.sum` and `.count`;
its service check is `syncer.openmetrics.health`. Every `syncer.*` name a query uses must be one of those, derived from
`syncer.metrics.REGISTRY`, so a widget or monitor on a metric syncer does not export fails here.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from datadog_api_client import Configuration
from datadog_api_client.model_utils import OpenApiModel, validate_and_convert_types
from datadog_api_client.v1.model.dashboard import Dashboard
from datadog_api_client.v1.model.monitor import Monitor

from syncer.metrics import REGISTRY

ASSETS = Path(__file__).resolve().parent.parent / "deploy" / "datadog"
DASHBOARD = ASSETS / "dashboard.json"
MONITORS = ASSETS / "monitors.json"
NAMESPACE = "syncer"
SERVICE_CHECK = "syncer.openmetrics.health"
METRIC = re.compile(r"syncer\.[a-z_.]+")


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _strict(data: Any, model: type[OpenApiModel]) -> Any:
    """Deserialize as the client deserializes an API answer, with type checks; a oneOf nothing matched fails."""
    configuration = Configuration()  # type: ignore[no-untyped-call]
    value = validate_and_convert_types(  # type: ignore[no-untyped-call]
        data, (model,), ["received_data"], True, True, configuration=configuration
    )
    assert isinstance(value, model)
    assert not value._unparsed, f"part of the {model.__name__} matches none of the client's schemas"
    return value


def _exported() -> set[str]:
    """The Datadog names of what syncer exports, as the OpenMetrics check submits them."""
    names: set[str] = set()
    for family in REGISTRY.collect():
        assert family.name.startswith("syncer_"), family.name
        base = f"{NAMESPACE}.{family.name}"
        if family.type == "counter":
            names.add(f"{base}.count")
        elif family.type == "gauge":
            names.add(base)
        elif family.type in ("histogram", "summary"):
            names.update(f"{base}.{suffix}" for suffix in ("bucket", "sum", "count"))
        else:
            names.add(base)
    return names


def _strings(node: Any, key: str) -> list[str]:
    """Every string value under `key`, anywhere in the JSON."""
    found: list[str] = []
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_strings(value, key))
    elif isinstance(node, list):
        for item in node:
            found.extend(_strings(item, key))
    return found


def _dashboard_queries() -> list[str]:
    dashboard = _load(DASHBOARD)
    return _strings(dashboard, "query") + _strings(dashboard, "q")


def _queried(queries: list[str]) -> set[str]:
    return {name for query in queries for name in METRIC.findall(query)} - {SERVICE_CHECK}


def test_the_dashboard_deserializes_strictly() -> None:
    dashboard = _strict(_load(DASHBOARD), Dashboard)
    assert dashboard.layout_type.value == "ordered"
    assert {variable.name for variable in dashboard.template_variables} >= {"env", "service"}
    kinds = {type(widget.definition.get_oneof_instance()).__name__ for widget in dashboard.widgets}
    assert "TimeseriesWidgetDefinition" in kinds


def test_each_monitor_deserializes_strictly() -> None:
    monitors = _load(MONITORS)
    assert isinstance(monitors, list)
    assert monitors
    for item in monitors:
        monitor = _strict(item, Monitor)
        assert "service:syncer" in monitor.tags, monitor.name
        assert "{{" in monitor.message, f"{monitor.name}: the message uses no template variable"


@pytest.mark.parametrize(
    ("path", "model", "edit"),
    [
        (DASHBOARD, Dashboard, lambda d: d.__setitem__("layout_type", "sideways")),
        (DASHBOARD, Dashboard, lambda d: d["widgets"][4]["definition"]["requests"][0]["queries"][0].update(query=5)),
        (DASHBOARD, Dashboard, lambda d: d["widgets"][4]["definition"].update(type="timeseriez")),
        (MONITORS, Monitor, lambda m: m[0]["options"]["thresholds"].update(critical="one")),
        (MONITORS, Monitor, lambda m: m[0].update(type="query alarm")),
    ],
    ids=["layout", "query-type", "widget-type", "threshold-type", "monitor-type"],
)
def test_the_strict_deserialization_fails_on_a_wrong_asset(path: Path, model: type[OpenApiModel], edit: Any) -> None:
    data = copy.deepcopy(_load(path))
    edit(data)
    items = data if isinstance(data, list) else [data]
    with pytest.raises((AssertionError, TypeError, ValueError)):
        for item in items:
            _strict(item, model)


def test_the_agent_names_of_the_exported_metrics() -> None:
    exported = _exported()
    assert {
        "syncer.syncer_runs.count",
        "syncer.syncer_entries",
        "syncer.syncer_run_duration_seconds.bucket",
        "syncer.syncer_run_duration_seconds.sum",
        "syncer.syncer_run_duration_seconds.count",
        "syncer.syncer_last_success_timestamp_seconds",
    } <= exported
    assert not any(name.endswith(("_total.count", "_created")) for name in exported)


def test_the_dashboard_queries_only_exported_metrics() -> None:
    queries = _dashboard_queries()
    queried = _queried(queries)
    assert queried, "no syncer metric found in the dashboard's queries"
    assert queried <= _exported(), f"not exported by syncer: {sorted(queried - _exported())}"


def test_the_monitors_query_only_exported_metrics() -> None:
    queries = [monitor["query"] for monitor in _load(MONITORS)]
    queried = _queried(queries)
    assert queried <= _exported(), f"not exported by syncer: {sorted(queried - _exported())}"
    assert any(SERVICE_CHECK in query for query in queries), "no monitor on the OpenMetrics check's health"


def test_the_name_check_catches_a_metric_syncer_does_not_export() -> None:
    queried = _queried(["sum:syncer.syncer_runs_total.count{*}.as_count()"])
    assert queried - _exported() == {"syncer.syncer_runs_total.count"}
    assert _queried(["max:syncer.syncer_entries.count{*}"]) - _exported() == {"syncer.syncer_entries.count"}


def test_the_dashboard_shows_what_spec_lists() -> None:
    queried = _queried(_dashboard_queries())
    for metric in (
        "syncer.syncer_runs.count",
        "syncer.syncer_entries",
        "syncer.syncer_changes.count",
        "syncer.syncer_last_success_timestamp_seconds",
        "syncer.syncer_source_errors.count",
        "syncer.syncer_http_requests.count",
        "syncer.syncer_rate_limit_remaining",
        "syncer.syncer_webhook_deliveries.count",
        "syncer.syncer_run_duration_seconds.sum",
    ):
        assert metric in queried, metric
    for query in _dashboard_queries():
        if METRIC.search(query):
            assert "$env" in query, query
            assert "$service" in query, query


def test_the_monitors_cover_what_spec_lists() -> None:
    queries = [monitor["query"] for monitor in _load(MONITORS)]

    def has(*parts: str) -> bool:
        return any(all(part in query for part in parts) for query in queries)

    assert has("syncer.syncer_runs.count", "result:success", "< 1")
    assert has("syncer.syncer_runs.count", "result:refused")
    assert has("syncer.syncer_source_errors.count")
    assert has("syncer.syncer_webhook_deliveries.count", "result:unauthorized")
    assert has(SERVICE_CHECK)
