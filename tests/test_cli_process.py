"""The `syncer` console script as a real process: a busy port, a closed pipe, an error at start-up — one line each."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncer.simulator import Simulator

SYNCER = str(Path(sys.executable).parent / "syncer")


def _env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCER_", "SIM_"))}
    return {**clean, "SYNCER_LOCK_DIR": os.environ.get("SYNCER_LOCK_DIR", ""), **extra}


def _run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SYNCER, *args], capture_output=True, text=True, timeout=60, cwd=cwd, env=env or _env(), check=False
    )


@pytest.fixture
def busy() -> Iterator[int]:
    """A port on 127.0.0.1 that another socket listens on."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock.getsockname()[1]


def _free(port: int) -> bool:
    try:
        with socket.create_server(("127.0.0.1", port)):
            return True
    except OSError:
        return False


@pytest.fixture
def busy_after_free() -> Iterator[int]:
    """A busy port on 127.0.0.1 whose three ports below were free a moment ago (other tests take ports too)."""
    for _ in range(50):
        with socket.create_server(("127.0.0.1", 0)) as sock:
            port = sock.getsockname()[1]
            if port > 1027 and all(_free(port - n) for n in (1, 2, 3)):
                yield port
                return
    pytest.fail("no busy port with three free ports below it")


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("offset", [0, 3], ids=["first port", "a later port"])
def test_simulate_on_a_busy_port_says_which_and_the_flag_to_change(busy_after_free: int, offset: int) -> None:
    busy = busy_after_free
    base = busy - offset
    done = _run("simulate", "--port-base", str(base))
    assert done.returncode == 2
    assert done.stdout == "", "nothing printed as if it had started"
    line = _one_line(done.stderr)
    assert line.startswith(f"syncer: error: cannot listen on 127.0.0.1:{busy} (address already in use)")
    assert "--port-base" in line and f"{base}..{base + 5}" in line


def _free_range(count: int) -> int:
    """The first of `count` ports on 127.0.0.1 that were all free a moment ago."""
    for _ in range(50):
        with socket.create_server(("127.0.0.1", 0)) as probe:
            base = probe.getsockname()[1]
        if base + count <= 65535 and all(_free(base + n) for n in range(count)):
            return base
    pytest.fail(f"no {count} free ports in a row")


def test_simulate_stops_on_ctrl_c_with_0_and_leaves_its_ports_free(tmp_path: Path) -> None:
    config = tmp_path / "sim.yaml"
    for _ in range(3):  # other tests take ports too: a range lost between the check and the start is tried anew
        base = _free_range(6)
        command = [SYNCER, "simulate", "--port-base", str(base), "--write-config", str(config)]
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
        ) as process:
            try:
                deadline = time.monotonic() + 30
                while not config.exists() and time.monotonic() < deadline and process.poll() is None:
                    time.sleep(0.05)
                if process.poll() is not None:
                    process.communicate(timeout=30)
                    continue
                process.send_signal(signal.SIGINT)
                out, err = process.communicate(timeout=30)
            finally:
                if process.poll() is None:
                    process.kill()
        break
    else:
        pytest.fail("every port range tried was taken before the simulator could start")
    assert process.returncode == 0, err
    assert f"http://127.0.0.1:{base}" in out and "Traceback" not in err
    with socket.create_server(("127.0.0.1", base)):
        pass


def test_simulate_with_a_config_it_cannot_write_names_the_flag(tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "sim.yaml"
    done = _run("simulate", "--write-config", str(target))
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert line.startswith(f"syncer: configuration error: --write-config {target}: cannot write it: ")


def test_daemon_on_a_busy_address_says_which_and_the_flag_to_change(busy: int, tmp_path: Path) -> None:
    with Simulator() as sim:
        config = tmp_path / "syncer.yaml"
        sim.write_config(config)
        done = _run("--config", str(config), "daemon", "--listen", f"127.0.0.1:{busy}", env=_env(**sim.env()))
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert line.startswith(f"syncer: configuration error: --listen 127.0.0.1:{busy}: cannot listen there")
    assert "address already in use" in line


def test_plan_without_a_configuration_file_says_so_once(tmp_path: Path) -> None:
    done = _run("plan", cwd=tmp_path)
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert line == (
        "syncer: configuration error: no configuration file at config/syncer.yaml (the default); "
        'run "syncer config init" to write one, or pass --config PATH / set SYNCER_CONFIG'
    )


def test_a_reader_that_closed_stdout_is_no_error() -> None:
    process = subprocess.Popen(
        [SYNCER, "completion", "bash"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )
    assert process.stdout is not None
    process.stdout.close()  # before syncer writes: its first write meets a closed pipe
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0
    assert err == ""


def test_an_argument_error_is_argparse_s_usage_and_exit_2() -> None:
    done = _run("simulate", "--port-base", "65535")
    assert done.returncode == 2
    assert "argument --port-base: must be between 1 and 65530" in done.stderr
    assert "Traceback" not in done.stderr
