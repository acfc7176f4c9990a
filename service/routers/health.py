"""``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from service.deps import MetricsDep, probe_shards
from service.errors import error_response, public_message
from service.schemas import ErrorResponse, HealthResponse, ReadyResponse

router = APIRouter(tags=["health"])

# Liveness, readiness and metrics answer on the event loop (or, for the shards' check, in a
# thread of their own): never queued behind the questions a busy worker is answering
# (service.concurrency).


@router.get("/healthz", response_model=HealthResponse, summary="Liveness")
async def healthz() -> HealthResponse:
    """The process is up (it may still be loading the index).

    Example: `curl http://127.0.0.1:8000/healthz` → `{"status": "ok"}`
    """
    return HealthResponse()


@router.get(
    "/readyz",
    response_model=ReadyResponse,
    summary="Readiness",
    responses={
        503: {
            "model": ErrorResponse,
            "description": "Still loading (saying what it waits for, such as the Ray "
            "cluster at start-up), or failed to (`not_ready`); with `--shards`, a "
            "shard or the Ray cluster cannot serve (`shard_unavailable`, saying which and "
            "why).",
        }
    },
)
async def readyz(request: Request) -> ReadyResponse | JSONResponse:
    """200 once the index is loaded and questions can be answered; 503 before. With
    `--shards`, 503 too while any shard cannot serve or the Ray cluster cannot be
    reached, and 200 again when they are back (the shards are checked every 2 s); a
    cluster that cannot be reached at start-up is tried again every 5 s, and `/readyz`
    says so meanwhile.

    Example: `curl http://127.0.0.1:8000/readyz`
    """
    assistant = request.app.state.assistant
    if assistant is None:
        error = request.app.state.load_error
        waiting = getattr(request.app.state, "waiting", None)
        message = (
            f"the index could not be loaded: {error}"
            if error
            else f"the index is loading: {waiting}"
            if waiting
            else "the index is loading"
        )
        return error_response(request, 503, "not_ready", message, headers={"Retry-After": "5"})
    shards = await probe_shards(assistant)
    if shards is not None and not shards.ready:
        message = public_message(
            request.app.state.settings, shards.reason or "a shard cannot serve"
        )
        return error_response(
            request, 503, "shard_unavailable", message, headers={"Retry-After": "5"}
        )
    snap = assistant.snapshot
    return ReadyResponse(
        documents=len(snap.documents),
        chunks=len(snap.chunks),
        retrieval="bm25+dense" if assistant.dense_enabled else "bm25",
        warnings=[public_message(request.app.state.settings, w) for w in assistant.warnings],
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(metrics: MetricsDep) -> Response:
    """Request counts and latencies per endpoint, pipeline stage latencies, index size.

    Example: `curl http://127.0.0.1:8000/metrics`
    """
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
