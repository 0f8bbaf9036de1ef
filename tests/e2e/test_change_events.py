"""Datadog change events (SPEC §10): one Events API v2 event per applied write, read back with the official models.

The pipeline runs against the simulator; what the fake Datadog received is deserialized with datadog-api-client's
`EventCreateRequestPayload`, and the official client's own `EventsApi.create_event` is pointed at the fake to show
the route takes what Datadog's client sends. A failing event post never changes a run's result.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.model_utils import validate_and_convert_types
from datadog_api_client.v2.api.events_api import EventsApi
from datadog_api_client.v2.model.change_event_custom_attributes import ChangeEventCustomAttributes
from datadog_api_client.v2.model.event_create_request_payload import EventCreateRequestPayload

from syncer import metrics, runner
from syncer.config import loader
from syncer.config.schema import DATADOG_SITES, DatadogConfig
from syncer.datadog import change_event
from syncer.deadline import Deadline
from syncer.model import ExitCode, GithubRepo, Integration, IntegrationReport, Plan, Result
from syncer.simulator import Simulator
from syncer.simulator.faults import Fault
from tests.e2e.conftest import FAST


def _config(sim: Simulator, events: bool = True, **datadog: Any) -> Any:
    tree = sim.config_dict()
    tree["datadog"]["events"] = events
    tree["datadog"].update(datadog)
    return loader.parse(tree, os.environ)


def _strict(body: Any) -> EventCreateRequestPayload:
    value = validate_and_convert_types(  # type: ignore[no-untyped-call]
        body, (EventCreateRequestPayload,), ["received_data"], True, True, configuration=Configuration()
    )
    assert isinstance(value, EventCreateRequestPayload)
    assert not value._unparsed
    assert not value.data.attributes.attributes._unparsed, "the category's attributes match none of the schemas"
    return value


def _posted(integration: str, result: str) -> float:
    value = metrics.REGISTRY.get_sample_value(
        "syncer_change_events_total", {"integration": integration, "result": result}
    )
    return value or 0.0


@pytest.mark.parametrize("site", DATADOG_SITES)
def test_the_intake_is_the_host_the_official_client_uses_for_each_site(site: str) -> None:
    endpoint = EventsApi(ApiClient(Configuration()))._create_event_endpoint  # type: ignore[no-untyped-call]
    servers = endpoint.settings["servers"]
    official = Configuration().get_host_from_settings(0, variables={"site": site}, servers=servers)  # type: ignore[no-untyped-call]
    config = DatadogConfig.model_validate({"api_key": "a" * 32, "app_key": "b" * 40, "site": site})
    assert change_event.url(config) == official + endpoint.settings["endpoint_path"]


def test_api_url_is_the_base_of_the_events_route() -> None:
    config = DatadogConfig.model_validate(
        {"api_key": "a" * 32, "app_key": "b" * 40, "api_url": "http://127.0.0.1:9/dd/"}
    )
    assert change_event.url(config) == "http://127.0.0.1:9/dd/api/v2/events"


def test_each_applied_write_posts_one_change_event_the_official_model_reads(sim: Simulator) -> None:
    config = _config(sim)
    first = runner.run(config, policy=FAST)
    assert first.exit_code is ExitCode.OK
    applied = {str(r.integration): r for r in first.integrations if r.applied}
    assert set(applied) == {"github", "jira", "pagerduty"}
    assert len(sim.datadog.events) == 3
    by_integration = {}
    for body in sim.datadog.events:
        event = _strict(body).data.attributes
        assert str(event.category) == "change"
        custom = event.attributes.get_oneof_instance()
        assert isinstance(custom, ChangeEventCustomAttributes)
        assert str(custom.author.type) == "automation"
        assert str(custom.changed_resource.type) == "configuration"
        name = next(t.split(":", 1)[1] for t in event.tags if t.startswith("integration:"))
        assert "service:syncer" in event.tags
        assert custom.changed_resource.name == f"idp/entity_integrations/{name}"
        by_integration[name] = (event, custom)
    assert set(by_integration) == set(applied)
    for name, report in applied.items():
        event, custom = by_integration[name]
        plan = report.plan
        assert plan is not None
        assert f"{len(plan.added)} added, {len(plan.removed)} removed, {len(plan.changed)} changed" in event.message
        shown = [line[2:] for line in event.message.splitlines() if line.startswith("+ ")]
        assert shown == [entry.label() for entry in plan.added[: change_event.LISTED]]
        assert custom.new_value == {"entries": report.final_count}
        assert custom.change_metadata["run_id"] == first.run_id
        assert datetime.fromisoformat(event.timestamp) == report.finished_at

    again = runner.run(config, policy=FAST)  # nothing changes: nothing is written, no event
    assert again.exit_code is ExitCode.OK
    assert not any(r.applied for r in again.integrations)
    assert len(sim.datadog.events) == 3


def test_no_event_without_the_setting_nor_in_a_dry_run(sim: Simulator) -> None:
    assert runner.run(_config(sim, events=False), policy=FAST).exit_code is ExitCode.OK
    assert runner.run(_config(sim), dry_run=True, policy=FAST).exit_code is ExitCode.OK
    assert sim.datadog.events == []
    assert sim.datadog.event_bodies == []


@pytest.mark.parametrize("status", [500, 400, 403])
def test_a_failing_event_post_does_not_fail_the_run(sim: Simulator, status: int) -> None:
    fault = sim.datadog.faults.add(Fault(method="POST", path="^/api/v2/events$", status=status, times=None))
    failed_before = _posted("jira", "failed")
    report = runner.run(_config(sim), policy=FAST)
    assert report.exit_code is ExitCode.OK
    assert all(r.result is Result.SUCCESS and r.applied for r in report.integrations)
    assert fault.hits >= 3
    assert sim.datadog.events == []
    assert sim.datadog.store["jira"]["enabled_projects"]  # the lists were written all the same
    assert _posted("jira", "failed") == failed_before + 1


def test_the_official_clients_own_request_is_accepted_and_a_bad_one_refused(sim: Simulator) -> None:
    from datadog_api_client.v2.model.change_event_custom_attributes_author import ChangeEventCustomAttributesAuthor
    from datadog_api_client.v2.model.change_event_custom_attributes_changed_resource import (
        ChangeEventCustomAttributesChangedResource,
    )
    from datadog_api_client.v2.model.event_category import EventCategory
    from datadog_api_client.v2.model.event_create_request import EventCreateRequest
    from datadog_api_client.v2.model.event_create_request_type import EventCreateRequestType
    from datadog_api_client.v2.model.event_payload import EventPayload

    configuration = Configuration(host=sim.datadog.url)  # type: ignore[no-untyped-call]
    configuration.api_key = {"apiKeyAuth": sim.datadog.api_key, "appKeyAuth": sim.datadog.app_key}
    payload = EventCreateRequestPayload(
        data=EventCreateRequest(
            type=EventCreateRequestType.EVENT,
            attributes=EventPayload(
                category=EventCategory.CHANGE,
                title="a change from the official client",
                tags=["integration:github"],
                attributes=ChangeEventCustomAttributes(
                    author=ChangeEventCustomAttributesAuthor(name="someone", type="automation"),
                    changed_resource=ChangeEventCustomAttributesChangedResource(name="x", type="configuration"),
                ),
            ),
        )
    )
    with ApiClient(configuration) as client:
        answer = EventsApi(client).create_event(body=payload)
    assert answer.data.attributes.attributes.evt.id
    assert len(sim.datadog.events) == 1

    wrong = payload.to_dict()
    wrong["data"]["attributes"]["attributes"]["changed_resource"]["type"] = "service"
    wrong["data"]["attributes"]["title"] = "t" * 501
    response = httpx.post(f"{sim.datadog.url}/api/v2/events", json=wrong, headers=_keys(sim))
    assert response.status_code == 400
    pointers = {error["source"]["pointer"] for error in response.json()["errors"]}
    assert pointers == {"/data/attributes/title", "/data/attributes/attributes/changed_resource/type"}
    assert len(sim.datadog.events) == 1


def _keys(sim: Simulator) -> dict[str, str]:
    return {"DD-API-KEY": sim.datadog.api_key, "DD-APPLICATION-KEY": sim.datadog.app_key}


def _report(added: int, removed: int) -> IntegrationReport:
    def repo(name: str) -> GithubRepo:
        return GithubRepo(hostname="github.com", github_org_name="acme", repo_name=name)

    adds = tuple(repo(f"added-{i:03d}-" + "x" * 60) for i in range(added))
    removes = tuple(repo(f"removed-{i:03d}-" + "y" * 60) for i in range(removed))
    plan = Plan(Integration.GITHUB, adds, removes, (), (), adds)
    now = datetime.now(UTC)
    return IntegrationReport(
        Integration.GITHUB, Result.SUCCESS, now, now, applied=True, plan=plan, current_count=removed, final_count=added
    )


def test_the_text_names_at_most_50_of_each_and_stays_within_datadogs_limit() -> None:
    small = change_event.body(_report(3, 2))
    text = small["data"]["attributes"]["message"]  # type: ignore[index, call-overload]
    assert [line[:2] for line in text.splitlines()[1:]] == ["Ad", "+ ", "+ ", "+ ", "Re", "- ", "- "]
    big = change_event.body(_report(120, 70))
    _strict(big)  # the client's own validations: message at most 4000 characters, title at most 500
    message = big["data"]["attributes"]["message"]  # type: ignore[index, call-overload]
    assert len(message) <= change_event.MESSAGE_LIMIT
    assert message.startswith("120 added, 70 removed, 0 changed")
    assert message.splitlines()[-1].endswith("more lines not shown")
    assert sum(line.startswith("+ ") for line in message.splitlines()) <= change_event.LISTED


def test_an_answer_that_cannot_be_read_is_a_failed_post_not_a_failed_run(sim: Simulator) -> None:
    broken = Fault(
        method="POST", path="^/api/v2/events$", status=202, body="not gzip", times=None,
        headers={"Content-Encoding": "gzip"},
    )  # fmt: skip
    sim.datadog.faults.add(broken)
    failed_before = _posted("github", "failed")
    report = runner.run(_config(sim), policy=FAST)
    assert report.exit_code is ExitCode.OK
    assert all(r.result is Result.SUCCESS and r.applied for r in report.integrations)
    assert _posted("github", "failed") == failed_before + 1


def test_every_post_of_a_pass_shares_one_bound_and_a_stop_ends_them(sim: Simulator) -> None:
    from syncer.deadline import Stop

    sim.datadog.faults.add(Fault(method="POST", path="^/api/v2/events$", timeout=True, times=None))
    config = _config(sim)
    began = time.monotonic()
    first = runner.run(config, policy=FAST)  # writes the three lists; their posts hang until the shared bound
    assert time.monotonic() - began < change_event.POST_SECONDS + 8, "one bound for the three posts, not one each"
    assert first.exit_code is ExitCode.OK
    reports = [r for r in first.integrations if r.applied]
    assert len(reports) == 3
    stop = Stop()
    stop.set()
    with change_event_client(sim) as client:
        started = time.monotonic()
        assert change_event.announce_all(client, config.datadog, reports, stop) == 0
        assert time.monotonic() - started < 2.0, "a stopped pass posts nothing and waits for nothing"
        short = Deadline(0.5)
        started = time.monotonic()
        assert change_event.announce(client, config.datadog, reports[0], short) is False
        assert time.monotonic() - started < 3.0


def change_event_client(sim: Simulator) -> Any:
    from syncer.datadog.client import DatadogClient

    config = DatadogConfig.model_validate(
        {"api_key": sim.datadog.api_key, "app_key": sim.datadog.app_key, "api_url": sim.datadog.url, "events": True}
    )
    return DatadogClient(config, retry=FAST)
