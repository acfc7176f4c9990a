"""Run the app under uvicorn (what ``qa serve`` calls)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from service.logs import configure_logging
from service.settings import Settings, get_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["serve", "worker_app"]


def serve(settings: Settings) -> None:
    """Serve the app with uvicorn on ``settings.host:settings.port``.

    Logging is set up once for the service, the library and uvicorn
    (``settings.log_level``, ``settings.log_format``); the service writes one access
    record per request, with its request id, in place of uvicorn's.

    With more than one worker, each worker process builds its app from the environment
    (``QA_*``), so the given settings are exported there first. The workers open the
    same index files: its postings, vectors and chunk tables are memory-mapped and its
    documents read from SQLite on demand, so the operating system holds one copy of
    the pages for all of them. A document write in one worker reaches the others when
    they re-open the index (they restart; reloading a new generation in place comes
    with the cross-process write lock).
    """
    import uvicorn

    from service.app import create_app

    configure_logging(settings.log_level, settings.log_format)
    common = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "log_config": None,  # records propagate to the handler configured above
        "access_log": False,  # service.access logs each request, with its id
    }
    if settings.workers == 1:
        uvicorn.run(create_app(settings), **common)  # type: ignore[arg-type]
        return
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        if name == "api_key" and settings.api_key is not None:
            value = settings.api_key.get_secret_value()
        elif isinstance(value, list):
            value = ",".join(value)
        os.environ[f"QA_{name.upper()}"] = str(value)
    uvicorn.run(
        "service.server:worker_app",
        factory=True,
        workers=settings.workers,
        **common,  # type: ignore[arg-type]
    )


def worker_app() -> FastAPI:
    """The app of one worker process: settings from the environment, logging set up."""
    from service.app import create_app

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
