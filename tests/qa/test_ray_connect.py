"""How this process connects to Ray (:mod:`qa.distributed._ray`), with a fake ``ray``:
no address starts a fresh local instance (never the cluster the machine ran last), an
address that does not answer fails in bounded time without Ray waiting for it, and a
reconnect connects as the first connect did."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from qa.distributed import _ray


class FakeRay:
    """What connect() uses of the ``ray`` module, recording the calls."""

    def __init__(self) -> None:
        self.initialized = False
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def is_initialized(self) -> bool:
        return self.initialized

    def init(self, **kwargs: Any) -> None:
        self.calls.append(("init", kwargs))
        self.initialized = True

    def shutdown(self) -> None:
        self.calls.append(("shutdown", {}))
        self.initialized = False


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRay:
    ray = FakeRay()
    monkeypatch.setattr(_ray, "require_ray", lambda: ray)
    monkeypatch.setattr(_ray, "_connection", None)
    return ray


def _closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_no_address_starts_a_new_local_instance(
    fake: FakeRay, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What ray.init() alone would join: the cluster in RAY_ADDRESS, or the one recorded in
    # /tmp/ray/ray_current_cluster. address="local" starts a new one whatever they say.
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6379")
    _ray.connect(num_cpus=2)
    assert fake.calls == [
        (
            "init",
            {"address": "local", "num_cpus": 2, "include_dashboard": False, "log_to_driver": False},
        )
    ]
    assert _ray.started_locally()
    _ray.connect()  # connected already: nothing more
    assert len(fake.calls) == 1


def test_local_is_a_new_local_instance_too(fake: FakeRay) -> None:
    _ray.connect("local")
    assert fake.calls[0][1]["address"] == "local"


def test_an_address_nothing_answers_at_fails_fast_and_says_what_to_do(fake: FakeRay) -> None:
    address = f"127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    with pytest.raises(ConnectionError, match=rf"nothing answers at {address}.*ray start"):
        _ray.connect(address, timeout=2)
    assert time.monotonic() - started < 5
    assert fake.calls == []  # Ray was not asked to wait for it (it waits for minutes)
    with pytest.raises(ConnectionError, match="nothing answers at ray://"):
        _ray.connect(f"ray://{address}", timeout=2)


def test_an_address_that_answers_is_joined(fake: FakeRay) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = f"127.0.0.1:{server.getsockname()[1]}"
        _ray.connect(address)
    assert fake.calls == [("init", {"address": address, "log_to_driver": False})]
    assert not _ray.started_locally()


def test_reconnect_drops_the_connection_and_connects_as_before(fake: FakeRay) -> None:
    _ray.connect(num_cpus=3)
    _ray.reconnect()
    assert [name for name, _ in fake.calls] == ["init", "shutdown", "init"]
    assert fake.calls[2][1]["address"] == "local" and fake.calls[2][1]["num_cpus"] == 3


def test_reconnect_without_connect_joins_the_fallback_or_says_there_is_none(
    fake: FakeRay,
) -> None:
    with pytest.raises(ConnectionError, match="nothing to rejoin"):
        _ray.reconnect()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = f"127.0.0.1:{server.getsockname()[1]}"
        _ray.reconnect(fallback=address)
    assert fake.calls[-1] == ("init", {"address": address, "log_to_driver": False})


def test_reachable_tells_an_open_port_from_a_closed_one() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert _ray.reachable(f"127.0.0.1:{server.getsockname()[1]}", 1.0)
    assert not _ray.reachable(f"127.0.0.1:{_closed_port()}", 1.0)
