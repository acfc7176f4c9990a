"""Dependencies: the assistant (503 until ready), settings, the write key check, and
what the assistant's shards can do (``qa serve --shards``)."""

from __future__ import annotations

import hmac
from typing import Annotated, Protocol

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from qa import Assistant
from service.concurrency import loop_limiter
from service.errors import ServiceError, public_message
from service.metrics import Metrics
from service.settings import Settings

__all__ = [
    "AssistantDep",
    "MetricsDep",
    "SettingsDep",
    "WriteAuth",
    "get_assistant",
    "get_metrics",
    "get_settings_dep",
    "probe_shards",
    "require_shards",
    "require_write_key",
]

_PROBES: RunVar[CapacityLimiter] = RunVar("qa_probe_limiter")

_bearer = HTTPBearer(auto_error=False, description="The key set in QA_API_KEY.")

# The dependencies that only read the app's state are coroutines: FastAPI runs a plain
# function dependency in its thread pool, a hop (and a wait for a thread, behind the
# questions being answered) per dependency per request.


async def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_assistant(request: Request) -> Assistant:
    """The loaded assistant.

    Raises:
        ServiceError: 503 while the index is loading or when it failed to load.
    """
    assistant: Assistant | None = request.app.state.assistant
    if assistant is None:
        error: str | None = request.app.state.load_error  # without server paths
        message = (
            f"the index could not be loaded: {error}"
            if error
            else "the index is still loading: retry shortly (GET /readyz says when ready)"
        )
        raise ServiceError(503, "not_ready", message, headers={"Retry-After": "5"})
    return assistant


async def get_metrics(request: Request) -> Metrics:
    """The app's metrics."""
    metrics: Metrics = request.app.state.metrics
    return metrics


async def require_write_key(
    settings: Annotated[Settings, Depends(get_settings_dep)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Check ``Authorization: Bearer <key>`` against the configured key in constant time.

    Raises:
        ServiceError: 403 when no key is configured (writes are off) or the key is wrong;
            401 when the request carries no bearer key.
    """
    if settings.api_key is None:
        raise ServiceError(
            403,
            "writes_disabled",
            "document writes are disabled: set QA_API_KEY on the server to enable them",
        )
    if credentials is None or not credentials.credentials:
        raise ServiceError(
            401,
            "unauthorized",
            "document writes need an API key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    expected = settings.api_key.get_secret_value().encode("utf-8")
    given = credentials.credentials.encode("utf-8", errors="surrogateescape")
    if not hmac.compare_digest(given, expected):
        raise ServiceError(403, "forbidden", "the API key is not valid")


class ShardReport(Protocol):
    """What :class:`qa.distributed.ShardHealth` tells the service."""

    @property
    def ready(self) -> bool:
        """Every shard can serve."""
        ...

    @property
    def answering(self) -> bool:
        """The cluster and every shard answer (a write can be opened on them)."""
        ...

    @property
    def reason(self) -> str | None:
        """Why not, for people."""
        ...


async def probe_shards(assistant: Assistant) -> ShardReport | None:
    """What the assistant's shards can do, as their last check found (at most a few
    seconds old; :meth:`qa.distributed.ShardedRetrievers.health`), or None when it
    searches in this process. A check that may wait for the shards (a ping) runs in a
    thread of the probes' own, never behind the questions being answered."""
    # The assistant's retriever factory: a ShardedRetrievers with `qa serve --shards`.
    health = getattr(getattr(assistant, "retrievers", None), "health", None)
    if not callable(health):
        return None
    report: ShardReport = await anyio.to_thread.run_sync(health, limiter=loop_limiter(_PROBES, 2))
    return report


async def require_shards(request: Request) -> None:
    """Refuse a document write while a shard or the Ray cluster does not answer: the
    write would be committed to the index but could not be served, so it is refused
    before anything is written (a write that meets a shard failing meanwhile still fails
    within ``QA_SHARD_TIMEOUT``).

    Raises:
        ServiceError: 503 ``shard_unavailable``, saying which shard and why.
    """
    assistant: Assistant | None = request.app.state.assistant
    if assistant is None:
        return  # the assistant dependency says 503 not_ready
    report = await probe_shards(assistant)
    if report is None or report.answering:
        return
    settings: Settings = request.app.state.settings
    message = f"document writes wait until every shard answers: {report.reason}"
    raise ServiceError(
        503,
        "shard_unavailable",
        public_message(settings, message),
        headers={"Retry-After": "5"},
    )


async def _writable(
    _key: Annotated[None, Depends(require_write_key)],
    _shards: Annotated[None, Depends(require_shards)],
) -> None:
    """A document write's checks: the key first (401/403), then the shards (503)."""


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
WriteAuth = Depends(_writable)
