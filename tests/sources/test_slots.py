"""One bound on requests in flight per API host, shared by every source of that host."""

from __future__ import annotations

from syncer.sources.slots import HostSlots


def test_sources_of_one_host_share_one_bound() -> None:
    slots = HostSlots()
    first = slots.for_url("https://api.github.com", 2)
    second = slots.for_url("https://API.github.com/", 2)
    assert first is second
    assert first.acquire(blocking=False)
    assert first.acquire(blocking=False)
    assert not second.acquire(blocking=False), "the third request in flight waits"


def test_another_size_is_another_bound() -> None:
    slots = HostSlots()
    assert slots.for_url("https://api.github.com", 1) is not slots.for_url("https://api.github.com", 8)


def test_hosts_are_bounded_separately() -> None:
    slots = HostSlots()
    github = slots.for_url("https://api.github.com", 1)
    ghes = slots.for_url("https://ghe.acme.internal/api/v3", 1)
    other_port = slots.for_url("http://127.0.0.1:9000", 1)
    assert github is not ghes
    assert other_port is not slots.for_url("http://127.0.0.1:9001", 1)
    assert github.acquire(blocking=False)
    assert ghes.acquire(blocking=False)
