"""Run the app under uvicorn (what ``qa serve`` calls)."""

from __future__ import annotations

import logging
import os

from service.settings import Settings

__all__ = ["serve"]


def serve(settings: Settings) -> None:
    """Serve the app with uvicorn on ``settings.host:settings.port``.

    With more than one worker, each worker process builds its app from the environment
    (``QA_*``), so the given settings are exported there first; each worker holds its
    own copy of the index, and a document write reaches the other workers when they
    restart (the index on disk is updated at once).
    """
    import uvicorn

    from service.app import create_app

    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s: %(message)s")
    if settings.workers == 1:
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
        )
        return
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        if name == "api_key" and settings.api_key is not None:
            value = settings.api_key.get_secret_value()
        elif name == "articles":
            value = ",".join(value)
        os.environ[f"QA_{name.upper()}"] = str(value)
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
    )
