"""Run the app under uvicorn (what ``qa serve`` calls)."""

from __future__ import annotations

from service.logs import configure_logging
from service.memory import limit_malloc_arenas
from service.settings import Settings

__all__ = ["serve"]


def serve(settings: Settings) -> None:
    """Serve the app with uvicorn on ``settings.host:settings.port`` until SIGINT/SIGTERM.

    Logging is set up once for the service, the library and uvicorn
    (``settings.log_level``, ``settings.log_format``); the service writes one access
    record per request, with its request id, in place of uvicorn's. Each serving process
    first bounds glibc's malloc arenas (``settings.malloc_arena_max``,
    :mod:`service.memory`).

    With more than one worker (:mod:`service.workers`), this process binds the socket
    and starts the workers with the settings object as an argument: no setting, and in
    particular not the API key, passes through their environment. The workers open the
    same index files: its postings, vectors and chunk tables are memory-mapped and its
    documents read from SQLite on demand, so the operating system holds one copy of the
    pages for all of them. Each worker follows the index directory
    (:mod:`service.refresh`): a document written through one worker is served by every
    worker within a second.
    """
    configure_logging(settings.log_level, settings.log_format)
    if settings.workers > 1:
        from service.workers import run_workers

        run_workers(settings)
        return

    import uvicorn

    from service.app import create_app
    from service.workers import uvicorn_options

    limit_malloc_arenas(settings.malloc_arena_max)
    uvicorn.run(create_app(settings), **uvicorn_options(settings))  # type: ignore[arg-type]
