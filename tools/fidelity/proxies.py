"""The proxies of a run: a host-preserving forwarder and a Prism proxy per API, and the preflight before them.

The preflight finds what stops a run from starting: Prism or the trimmed descriptions missing, ports in use.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from context import APIS, SPEC_OF, Env
from harness import PRISM_BIN, host_fixer, serve_in_thread, start_prism, wait_prism
from trim import trimmed_dir


def used_ports(port_base: int) -> list[int]:
    """Every port a run listens on: the simulator's six fakes, the proxies and the forwarders."""
    fakes = range(port_base, port_base + 6)
    return [*fakes, *(port_base + offset + i for offset in (100, 200) for i in range(len(APIS)))]


def _busy(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_proxies(env: Env, work_dir: Path, procs: list[subprocess.Popen[bytes]]) -> list[Path]:
    """Start a forwarder and a Prism proxy per API (appending to `procs`); returns the Prism logs."""
    logs = []
    for api in APIS:
        upstream = f"http://127.0.0.1:{env.fix_port(api)}"
        host = f"127.0.0.1:{env.proxy_port(api)}"
        serve_in_thread(host_fixer(f"http://127.0.0.1:{env.fake_port(api)}", host), env.fix_port(api))
        log = work_dir / f"prism-{api}.log"
        logs.append(log)
        spec = trimmed_dir(work_dir) / f"{SPEC_OF[api]}.json"
        procs.append(start_prism(work_dir, spec, upstream, env.proxy_port(api), log))
    started = time.time()
    wait_prism(logs, procs)
    print(f"prism proxies up in {time.time() - started:.0f}s", flush=True)
    return logs


def preflight(work_dir: Path, port_base: int) -> str:
    """What stops a run from starting (missing Prism or trimmed specs, ports in use), or ""."""
    if not (work_dir / PRISM_BIN).exists():
        return f"no Prism in {work_dir} (run tools/fidelity/run.sh, which installs it)"
    missing = [name for name in set(SPEC_OF.values()) if not (trimmed_dir(work_dir) / f"{name}.json").is_file()]
    if missing:
        return f"no trimmed descriptions {sorted(missing)} in {trimmed_dir(work_dir)} (run tools/fidelity/trim.py)"
    busy = [port for port in used_ports(port_base) if _busy(port)]
    if busy:
        return f"ports in use: {busy} (a previous run still going?)"
    return ""
