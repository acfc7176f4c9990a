"""Import Ray, connect this process to a cluster, and connect it again after an outage.

**No address means a fresh local instance.** ``ray.init()`` without an address joins the
cluster named by ``RAY_ADDRESS`` or recorded in ``/tmp/ray/ray_current_cluster`` (the
last ``ray start`` on the machine), which may be long dead: Ray then waits for it for
minutes. :func:`connect` passes ``address="local"``, which always starts a new instance
for this process; an address nothing answers at fails within ``timeout`` seconds.

**After an outage.** Ray's core worker ends the whole process (a ``QuickExit``, no Python
exception) when the cluster's control plane (the GCS) cannot be reached for
``gcs_rpc_server_reconnect_timeout_s`` (60 s by default): for a service, its HTTP
server. :class:`qa.distributed.ShardedIndex` therefore drops the connection itself
(``ray.shutdown()``) well before, and :func:`reconnect` connects again as :func:`connect`
did when the cluster answers (docs/scale-out.md, "Failures").
"""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from types import ModuleType

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "cluster_address",
    "connect",
    "reachable",
    "reconnect",
    "require_ray",
    "started_locally",
]

logger = logging.getLogger(__name__)

INSTALL_HINT = 'Ray is not available - install the "ray" extra: pip install "zhnews-qa[ray]"'

DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds :func:`connect` waits for a cluster's address to accept a connection."""


@dataclass(frozen=True, slots=True)
class _Connection:
    address: str | None  # None: a local instance this process started
    num_cpus: int | None


_lock = threading.Lock()
_connection: _Connection | None = None


def require_ray() -> ModuleType:
    """The ``ray`` module.

    Raises:
        ImportError: when Ray is not installed (the message says how to install it).
    """
    try:
        import ray
        import ray.data  # noqa: F401  (Ray Data ships in ray[data])
    except ImportError as err:
        raise ImportError(INSTALL_HINT) from err
    return ray


def connect(
    address: str | None = None,
    *,
    num_cpus: int | None = None,
    timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> None:
    """Connect this process to a Ray cluster, unless it is connected already.

    Args:
        address: the cluster's address (``"host:6379"``; ``"auto"``: the one started on
            this machine by ``ray start``; ``"ray://host:10001"``: a remote one through
            Ray Client); None (or ``"local"``) starts a new local Ray instance for this
            process, never joining one that is already running.
        num_cpus: CPUs of a local instance (ignored when joining a cluster).
        timeout: seconds to wait for the cluster's address to accept a connection.

    Raises:
        ImportError: when Ray is not installed.
        ConnectionError: when nothing answers at ``address`` within ``timeout`` seconds
            (or ``"auto"`` finds no cluster).
    """
    global _connection
    if not timeout > 0:
        raise ValueError("timeout must be greater than 0")
    ray = require_ray()
    with _lock:
        if ray.is_initialized():
            return
        if address is None or address == "local":
            ray.init(
                address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=False
            )
            _connection = _Connection(None, num_cpus)
            return
        target = _bootstrap(ray, address)
        if target is not None and not reachable(target, timeout):
            raise ConnectionError(
                f"nothing answers at {address} ({target}) within {timeout:g} s: start the "
                "Ray cluster (ray start --head) or give the address of a running one"
            )
        ray.init(address=address, log_to_driver=False)
        _connection = _Connection(address, None)


def reconnect(fallback: str | None = None, *, timeout: float = DEFAULT_CONNECT_TIMEOUT) -> None:
    """Drop this process's Ray connection (whatever state it is in) and connect again as
    the last :func:`connect` did: to the same address, or a new local instance.

    Args:
        fallback: the address to join when this process was connected by something other
            than :func:`connect` (e.g. the cluster's GCS address).
        timeout: as for :func:`connect`.

    Raises:
        ConnectionError: when the cluster cannot be reached (see :func:`connect`), or
            when there is nothing to reconnect to.
    """
    ray = require_ray()
    last = _connection
    if ray.is_initialized():
        ray.shutdown()
    if last is not None:
        connect(last.address, num_cpus=last.num_cpus, timeout=timeout)
    elif fallback is not None:
        connect(fallback, timeout=timeout)
    else:
        raise ConnectionError("this process was not connected to Ray by qa: nothing to rejoin")


def started_locally() -> bool:
    """Whether this process's Ray instance is a local one that :func:`connect` started
    (when it goes, nobody else brings it back)."""
    last = _connection
    return last is not None and last.address is None


def cluster_address() -> str | None:
    """The ``host:port`` of the connected cluster's control plane (GCS), or None when it
    is not known (not connected, or through Ray Client)."""
    ray = require_ray()
    try:
        address = ray.get_runtime_context().gcs_address
    except Exception:  # noqa: BLE001 - not connected, or a Ray Client connection
        return None
    return str(address) if address else None


def reachable(address: str, timeout: float) -> bool:
    """Whether something accepts a TCP connection at ``address`` (``host:port``) within
    ``timeout`` seconds: a cheap test that a cluster's GCS is there at all."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return True  # not an address we can test: let Ray say
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def _bootstrap(ray: ModuleType, address: str) -> str | None:
    """The ``host:port`` that ``ray.init(address=address)`` would connect to, where it can
    be told without connecting (None: let Ray resolve it)."""
    if address.startswith("ray://"):
        return address.removeprefix("ray://").split("/", 1)[0]
    if address != "auto":
        return address
    try:  # the cluster recorded in ray_current_cluster (or RAY_ADDRESS)
        from ray._private.services import canonicalize_bootstrap_address

        found = canonicalize_bootstrap_address(address)
    except Exception:  # noqa: BLE001 - a private helper, or no cluster: Ray says
        return None
    return str(found) if found else None
