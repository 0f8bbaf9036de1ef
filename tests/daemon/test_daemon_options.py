"""The daemon in-process: --listen and timeout parsing, errors before serving, skipped overlapping runs."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from syncer import interruption
from syncer.config import loader
from syncer.daemon import process
from syncer.daemon import service as daemon
from syncer.errors import ConfigError
from syncer.model import Integration, Result
from syncer.retry import RetryPolicy
from syncer.simulator import Simulator


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.0.0.0:8080", ("0.0.0.0", 8080)),
        ("127.0.0.1:0", ("127.0.0.1", 0)),
        ("localhost:9000", ("localhost", 9000)),
        ("[::1]:8080", ("::1", 8080)),
    ],
)
def test_listen_addresses_are_parsed(text: str, expected: tuple[str, int]) -> None:
    assert process.parse_listen(text) == expected


@pytest.mark.parametrize("text", ["8080", ":8080", "host:", "host:http", "host:65536", "host:-1", ""])
def test_bad_listen_addresses_are_config_errors_naming_the_option(text: str) -> None:
    with pytest.raises(ConfigError, match="--listen"):
        process.parse_listen(text)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, interruption.SHUTDOWN_TIMEOUT),
        ({"SYNCER_SHUTDOWN_TIMEOUT": "5"}, 5.0),
        ({"SYNCER_SHUTDOWN_TIMEOUT": ""}, 20.0),
    ],
)
def test_shutdown_timeout_comes_from_the_environment(env: dict[str, str], expected: float) -> None:
    assert interruption.shutdown_timeout(env) == expected


@pytest.mark.parametrize("value", ["soon", "-1", "99999"])
def test_a_bad_shutdown_timeout_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match="SYNCER_SHUTDOWN_TIMEOUT"):
        interruption.shutdown_timeout({"SYNCER_SHUTDOWN_TIMEOUT": value})


def write(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "syncer.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_serve_raises_config_errors_before_serving(
    tmp_path: Path, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in sim.env().items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="cannot read"):
        process.serve(tmp_path / "missing.yaml", "127.0.0.1:0")
    path = write(tmp_path, sim.config_dict())
    with pytest.raises(ConfigError, match="--listen"):
        process.serve(path, "nowhere")
    assert sim.datadog.count() == 0


def test_a_listen_address_in_use_is_a_config_error(
    tmp_path: Path, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in sim.env().items():
        monkeypatch.setenv(name, value)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"--listen 127.0.0.1:{port}: cannot listen there"):
            process.serve(write(tmp_path, sim.config_dict()), f"127.0.0.1:{port}")
    assert sim.datadog.count() == 0


def test_a_scheduled_run_finding_the_integration_busy_is_skipped_and_logged(
    sim: Simulator, config: Callable[..., dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    subject = daemon.Daemon(loader.parse(config(), sim.env()), token=None, policy=RetryPolicy(attempts=1))
    sim.reset()
    sim.github.latency = 0.3
    try:
        subject.scheduled(Integration.GITHUB)
        with caplog.at_level(logging.WARNING, logger="syncer"):
            subject.scheduled(Integration.GITHUB)
        assert subject.registry.wait_idle(10)
    finally:
        subject.datadog.close()
        sim.github.latency = 0.0
    skipped = [r for r in caplog.records if getattr(r, "event", None) == "run_skipped"]
    assert [r.getMessage() for r in skipped] == ["github: scheduled run skipped: the previous run is still going"]
    assert subject.registry.last()[Integration.GITHUB].report.result is Result.SUCCESS
    assert sim.datadog.count("PUT") == 1
