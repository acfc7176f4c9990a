"""The FastAPI app factory.

:func:`create_app` wires settings, the assistant (loaded or built once, at start-up, in
the background so ``/healthz`` answers at once and ``/readyz`` says when questions can be
answered; with ``persist`` on, the newer generations another process commits to the
index directory are served, :mod:`service.refresh`), routers, error handlers, metrics,
the body size limit and the chat page.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic.json_schema import models_json_schema

from qa import Assistant, QAError, open_or_build
from service.concurrency import limit_threads
from service.docs import install_docs
from service.errors import install_error_handlers, public_message
from service.metrics import Metrics, MetricsMiddleware
from service.middleware import REQUEST_ID_HEADER, BodyLimitMiddleware, RequestIdMiddleware
from service.refresh import IndexFollower
from service.routers import ask, chat, documents, health
from service.schemas import IngestRequest
from service.settings import Settings, get_settings

__all__ = ["create_app", "open_assistant"]

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"

_DESCRIPTION = """\
Question answering over Chinese news with citations to the exact source text.

* `POST /v1/ask`, `GET /v1/search`: answers with citations, passages with scores.
* `POST /v1/chat/completions`, `GET /v1/models`: OpenAI Chat Completions compatible;
  citations in the extension field `citations`.
* `/v1/documents`: list, get, add, delete (writes need `Authorization: Bearer <key>`).
* Every error has the shape `{"error": {"code": ..., "message": ...}}`.
* Every response carries `X-Request-ID` (the request's own, or a new one), also in the
  service's log records, and `X-Worker-PID` (the process that answered).
"""


RAY_RETRY_SECONDS = 5.0
"""Seconds between two tries to reach the Ray cluster while the service starts."""


def open_assistant(
    settings: Settings,
    *,
    waiting: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> Assistant:
    """Load the index from ``settings.index_dir``; build it from ``settings.articles`` and
    save it there (when ``settings.persist``) when there is none. With
    ``settings.shards``, searches run on that many Ray shard actors.

    Args:
        settings: the configuration.
        waiting: with shards, called with what is awaited while the Ray cluster cannot be
            reached, and the cluster tried again every :data:`RAY_RETRY_SECONDS` (a
            cluster that starts after the service is joined when it answers); None:
            an unreachable cluster raises ConnectionError at once.
        stop: set to give up waiting (ConnectionError).

    Raises:
        QAError: when the index cannot be loaded or built (corrupt, mismatched, no articles).
        ConnectionError: when the Ray cluster cannot be reached (see ``waiting``).
    """
    assistant = open_or_build(
        settings.index_dir,
        settings.assistant_config(),
        settings.articles,
        persist=settings.persist,
    )
    if settings.shards:
        # Only here is Ray imported (the ray extra).
        from qa.distributed import ShardedRetrievers, connect

        logger.info("starting %d Ray shard actors ...", settings.shards)
        tries = 0
        while True:
            try:
                connect(settings.ray_address)
                break
            except ConnectionError as exc:
                tries += 1
                if waiting is None:
                    raise
                waiting(f"waiting for the Ray cluster ({tries} tries): {exc}")
                logger.warning("%s; trying again in %g s", exc, RAY_RETRY_SECONDS)
                if (stop or threading.Event()).wait(RAY_RETRY_SECONDS):
                    raise
        assistant.use_retrievers(ShardedRetrievers(settings.shards, timeout=settings.shard_timeout))
    return assistant


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """Build the app.

    CORS is off unless ``settings.cors_origins`` lists origins; ``/docs`` is Swagger UI
    from local assets (:mod:`service.docs`).

    Args:
        settings: the configuration (default: :func:`~service.settings.get_settings`,
            from the environment).
        assistant: an assistant to serve; when None, one is loaded or built from the
            settings at start-up, in a background thread.

    Returns:
        The FastAPI application.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limit_threads(settings.request_threads)
        if app.state.assistant is None and app.state.loader is None:
            app.state.loader = threading.Thread(
                target=_load, args=(app, settings), name="qa-index-loader", daemon=True
            )
            app.state.loader.start()
        follower: IndexFollower | None = app.state.follower
        if follower is not None:
            follower.start()
        try:
            yield
        finally:
            app.state.stopping.set()  # a loader waiting for the Ray cluster gives up
            if follower is not None:
                follower.stop()

    app = FastAPI(
        title="zhnews-qa",
        version="0.1.0",
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from local assets by install_docs
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.assistant = assistant
    app.state.load_error = None
    app.state.waiting = None  # what the loader waits for (the Ray cluster), if anything
    app.state.stopping = threading.Event()
    app.state.loader = None
    app.state.started = int(time.time())
    # The service's own lock, kept above the writer's (qa.writing.lock) for two reasons
    # the writer's cannot serve: a write request's response is read from what that write
    # published (the merged-into ids, the document count), so no other write of this
    # process may come between the two; and the follower skips a check while a write of
    # this process runs instead of waiting behind it (the write publishes the newest
    # generation itself). It exists before the assistant does (that loads in the
    # background), so it cannot be the assistant's. Writes across processes are
    # serialised by the index's own lock, which the writer takes under this one.
    app.state.write_lock = threading.Lock()
    # With persist on, the index directory is the truth the workers share: follow it.
    app.state.follower = (
        IndexFollower(settings.index_dir, lambda: app.state.assistant, app.state.write_lock)
        if settings.persist
        else None
    )
    app.state.metrics = metrics = Metrics(lambda: _index_size(app))

    install_error_handlers(app)
    for router in (health.router, ask.router, chat.router, documents.router):
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=_PAGE_HEADERS)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_docs(app)

    # The last added runs first: the request id covers every response, 413s included.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER],
            max_age=600,
        )
    app.add_middleware(RequestIdMiddleware)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


# The page loads only its own script and style; corpus text is never markup.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _load(app: FastAPI, settings: Settings) -> None:
    """Open the assistant and warm it up, saying at each step what it loads and how long
    it took (a start-up of seconds on a busy machine is then explained as it happens)."""
    start = time.perf_counter()
    model = settings.model or "none: BM25 only"
    logger.info("loading the index at %s (embedding model: %s) ...", settings.index_dir, model)

    def waiting(what: str) -> None:
        app.state.waiting = public_message(settings, what)

    try:
        assistant = open_assistant(settings, waiting=waiting, stop=app.state.stopping)
    except Exception as exc:  # reported by /readyz; the process stays up for /healthz
        logger.exception("could not load the index")  # in full; clients see no paths
        app.state.load_error = public_message(settings, str(exc) or type(exc).__name__)
        return
    snap = assistant.snapshot
    logger.info(
        "index loaded in %.1f s: %d documents, %d chunks; retrieval: %s",
        time.perf_counter() - start,
        len(snap.documents),
        len(snap.chunks),
        "BM25 + dense" if assistant.dense_enabled else "BM25 only",
    )
    _warm_up(assistant)
    app.state.assistant = assistant
    logger.info(
        "ready in %.1f s: %d documents", time.perf_counter() - start, len(assistant.documents)
    )


def _warm_up(assistant: Assistant) -> None:
    """Load the answerer's models (the extractive reader's, and the language model if
    one is configured) before the service says it is ready, so that the first question
    does not pay for them; each is logged before it loads and once it has.

    A model that cannot load is logged; answers then fall back to the extractive reader,
    each saying why.
    """
    start = time.perf_counter()
    if assistant.config.generator == "extractive":
        logger.info("loading the reader model (and jieba's dictionaries) ...")
        assistant.warm_up()
        logger.info("reader model loaded in %.1f s", time.perf_counter() - start)
        return

    def progress(stage: str, done: int, total: int) -> None:
        if done == 0:  # e.g. converting a GGUF file's tokenizer, once
            logger.info("%s ...", stage)

    logger.info(
        "loading the reader model and the language model %s (%s) ...",
        assistant.config.llm_model,
        assistant.config.generator,
    )
    try:
        assistant.warm_up(progress)
        logger.info(
            "language model ready in %.1f s: %s",
            time.perf_counter() - start,
            assistant.config.llm_model,
        )
    except QAError as exc:
        logger.error("the language model cannot be used (answers fall back): %s", exc)


def _index_size(app: FastAPI) -> tuple[int, int] | None:
    assistant: Assistant | None = app.state.assistant
    if assistant is None:
        return None
    snap = assistant.snapshot
    return len(snap.documents), len(snap.chunks)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI schema, with the models only referenced from ``openapi_extra``."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    _, extra = models_json_schema(
        [(IngestRequest, "validation")], ref_template="#/components/schemas/{model}"
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in extra.get("$defs", {}).items():
        components.setdefault(name, definition)
    # The configured maximum of top_k / k, so the schema says what the service accepts.
    settings: Settings = app.state.settings
    for model in ("AskRequest", "ChatRequest"):
        _set_maximum(components[model]["properties"]["top_k"], settings.max_top_k)
    for param in schema["paths"]["/v1/search"]["get"]["parameters"]:
        if param["name"] == "k":
            _set_maximum(param["schema"], settings.max_top_k)
    app.openapi_schema = schema
    return schema


def _set_maximum(field: dict[str, Any], maximum: int) -> None:
    """Set ``maximum`` on the integer branch of a field's JSON schema."""
    for branch in field.get("anyOf", [field]):
        if branch.get("type") == "integer":
            branch["maximum"] = maximum
