"""Several worker processes on one listening socket (``qa serve --workers N``).

The parent process binds the socket once and starts the workers with the
multiprocessing ``spawn`` method, handing each the socket and the
:class:`~service.settings.Settings` object itself (pickled, the API key included): no
setting passes through the environment, and the secret ones (the API keys) are removed
from the environment the workers inherit. Each worker builds its app
(:func:`service.app.create_app`) and runs a uvicorn server on its socket. On Linux each
worker listens on a socket of its own, all bound to the port with ``SO_REUSEPORT``, and
the kernel spreads new connections evenly over them (:func:`spreads_connections`);
elsewhere they share one socket and whichever is free accepts.

When the index directory holds no index yet (and ``persist`` is on), only the first
worker starts: it builds the index and saves it, answering ``/healthz`` meanwhile; the
others start once the index is there, and open it (two workers building and saving one
directory at once would replace each other's files).

The parent restarts a worker that dies (at most once a second per worker), and on
SIGINT or SIGTERM asks every worker to finish its requests and stop (SIGTERM), killing
any still running after a grace period.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import typing
from multiprocessing.process import BaseProcess
from types import FrameType

from pydantic import SecretStr

from qa import index_generation
from service.protocol import json_protocol
from service.settings import Settings

__all__ = ["SHUTDOWN_GRACE", "run_workers", "secret_variables"]

logger = logging.getLogger("service.workers")

SHUTDOWN_GRACE = 30.0
"""Seconds the workers get to finish their requests after SIGINT/SIGTERM."""
RESTART_DELAY = 1.0
"""Least seconds between two starts of one worker (a worker that cannot start does not
spin)."""


def secret_variables() -> list[str]:
    """The environment variables of the secret settings (``QA_API_KEY``,
    ``QA_LLM_API_KEY``): the workers must not inherit them; the settings carry them."""
    names = []
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if annotation is SecretStr or SecretStr in typing.get_args(annotation):
            names.append(f"QA_{name.upper()}")
    return sorted(names)


def uvicorn_options(settings: Settings) -> dict[str, object]:
    """The uvicorn options of a serving process."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "log_config": None,  # records propagate to the handler configured by the service
        "access_log": False,  # service.access logs each request, with its id
        # A request uvicorn cannot parse (raw UTF-8 in the URL) gets the JSON error shape.
        "http": json_protocol(),
    }


def bind(settings: Settings, *, port: int | None = None, reuse_port: bool = False) -> socket.socket:
    """The listening socket on ``settings.host:settings.port`` (IPv4 or IPv6).

    Args:
        settings: the address.
        port: another port than ``settings.port`` (the one a first socket was given).
        reuse_port: set ``SO_REUSEPORT``, so that other sockets can listen on the port
            too and the kernel spreads new connections over them.

    Raises:
        OSError: when the address cannot be bound (in use, not this machine's).
    """
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((settings.host, settings.port if port is None else port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def spreads_connections(workers: int) -> bool:
    """Whether each of ``workers`` processes gets a listening socket of its own on the
    port (``SO_REUSEPORT``, Linux), the kernel spreading new connections evenly over
    them, rather than one socket they all accept from.

    On one shared socket, whichever worker wakes first accepts every connection waiting
    (asyncio accepts up to the backlog at a time): 32 keep-alive clients connecting at
    once were measured split 25 to 7 between two workers, the first answering at over
    twice the other's latency for as long as they stayed connected.
    """
    return workers > 1 and sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def worker_main(settings: Settings, sock: socket.socket) -> None:
    """Entry point of a worker process: the app from ``settings``, served on ``sock``."""
    import uvicorn

    from service.app import create_app
    from service.logs import configure_logging
    from service.memory import limit_malloc_arenas

    limit_malloc_arenas(settings.malloc_arena_max)
    configure_logging(settings.log_level, settings.log_format)
    config = uvicorn.Config(create_app(settings), **uvicorn_options(settings))  # type: ignore[arg-type]
    uvicorn.Server(config).run(sockets=[sock])


class _Workers:
    """The worker processes and the loop that keeps them running."""

    def __init__(self, settings: Settings, sock: socket.socket) -> None:
        self.settings = settings
        self.sock = sock
        # With SO_REUSEPORT each slot listens on a socket of its own, bound when its
        # first worker starts (none waits for a worker not started yet) and kept for the
        # workers that replace it (connections wait in it meanwhile).
        self.spread = spreads_connections(settings.workers)
        self.sockets: list[socket.socket | None] = [sock] + [None] * (settings.workers - 1)
        self.context = multiprocessing.get_context("spawn")
        self.slots: list[BaseProcess | None] = [None] * settings.workers
        self.started_at = [0.0] * settings.workers
        self.stopping = threading.Event()

    def socket_of(self, slot: int) -> socket.socket:
        """The socket the worker of ``slot`` accepts connections on."""
        if not self.spread:
            return self.sock
        sock = self.sockets[slot]
        if sock is None:
            port = int(self.sock.getsockname()[1])
            sock = self.sockets[slot] = bind(self.settings, port=port, reuse_port=True)
        return sock

    def close(self) -> None:
        """Close the listening sockets."""
        for sock in {id(s): s for s in (self.sock, *self.sockets) if s is not None}.values():
            sock.close()

    def start(self, slot: int) -> None:
        process = self.context.Process(
            target=worker_main,
            args=(self.settings, self.socket_of(slot)),
            name=f"qa-worker-{slot}",
            daemon=False,
        )
        process.start()
        self.slots[slot] = process
        self.started_at[slot] = time.monotonic()
        logger.info("started worker %d [pid %s]", slot, process.pid)

    def supervise(self, pending: list[int], poll: float = 0.5) -> None:
        """Restart dead workers until :attr:`stopping` is set; start the ``pending``
        slots once the index directory holds an index."""
        while not self.stopping.wait(poll):
            if pending and index_generation(self.settings.index_dir) is not None:
                logger.info("the index is saved: starting the other workers")
                for slot in pending:
                    self.start(slot)
                pending = []
            for slot, process in enumerate(self.slots):
                if process is None or process.is_alive():
                    continue
                if time.monotonic() - self.started_at[slot] < RESTART_DELAY:
                    continue
                logger.error(
                    "worker %d [pid %s] exited with code %s; starting a new one",
                    slot,
                    process.pid,
                    process.exitcode,
                )
                process.close()
                self.start(slot)

    def stop(self, grace: float = SHUTDOWN_GRACE) -> None:
        """SIGTERM every worker (uvicorn finishes open requests), then kill stragglers."""
        running = [p for p in self.slots if p is not None and p.is_alive()]
        for process in running:
            if process.pid is not None:
                try:
                    os.kill(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace
        for process in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                logger.warning("worker [pid %s] did not stop in %.0f s: killed", process.pid, grace)
                process.kill()
                process.join()
        logger.info("all workers stopped")


def run_workers(settings: Settings) -> None:
    """Serve with ``settings.workers`` processes until SIGINT or SIGTERM.

    Raises:
        OSError: when the address cannot be bound.
    """
    sock = bind(settings, reuse_port=spreads_connections(settings.workers))
    host, port = sock.getsockname()[:2]
    logger.info(
        "listening on http://%s:%d with %d workers [parent pid %d]",
        f"[{host}]" if ":" in host else host,
        port,
        settings.workers,
        os.getpid(),
    )
    for name in secret_variables():  # the settings object carries the values
        os.environ.pop(name, None)
    workers = _Workers(settings, sock)
    received: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        workers.stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    first = settings.workers
    if settings.persist and index_generation(settings.index_dir) is None:
        logger.info(
            "no index in %s yet: the first worker builds it, the others start once it is saved",
            settings.index_dir,
        )
        first = 1
    try:
        for slot in range(first):
            workers.start(slot)
        workers.supervise(list(range(first, settings.workers)))
    finally:
        if received:
            logger.info("received %s: stopping the workers", signal.Signals(received[0]).name)
        workers.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        workers.close()
