"""``qa serve``: start the HTTP service (mounted by the ``qa`` command line).

Only typer and the CLI helpers are imported at module level; uvicorn and the app load
when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qa.cli.options import VerboseOpt, with_settings
from qa.cli.output import err, fail, setup_logging
from service.settings import Settings

__all__ = ["app"]

app = typer.Typer(add_completion=False, rich_markup_mode=None)  # help as written


@app.command("serve")
@with_settings(Settings, fields=("host", "port", "workers", "articles", "shards", "ray_address"))
def serve_command(
    settings: Settings,
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="Interface (env QA_HOST; default 127.0.0.1).", show_default=False
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            help="Port (env QA_PORT; default 8000).",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes (env QA_WORKERS; default 1).",
            show_default=False,
        ),
    ] = None,
    articles: Annotated[
        list[Path] | None,
        typer.Option(
            "--articles",
            help="Build the index from these files/folders when there is none (env "
            "QA_ARTICLES; default: the bundled articles).",
            show_default=False,
        ),
    ] = None,
    shards: Annotated[
        int | None,
        typer.Option(
            "--shards",
            min=0,
            help="Search on this many Ray shard actors, each holding some of the index's "
            "segments (env QA_SHARDS; needs the [ray] extra and --workers 1; default 0: "
            "in this process).",
            show_default=False,
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="Ray cluster for --shards (env QA_RAY_ADDRESS; 'auto': the one `ray "
            "start` started here; default: a local Ray instance).",
            show_default=False,
        ),
    ] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Start the HTTP service (API, OpenAI-compatible chat, web page) with uvicorn.

    Every setting can also come from a QA_* environment variable or a .env file (see
    docs/api.md); document writes need QA_API_KEY.
    """
    from service.server import serve

    setup_logging(verbose)
    if settings.shards:
        if settings.workers > 1:
            fail("--shards needs --workers 1 (the shards are shared by one process)")
        from qa.distributed import require_ray, shard_problem

        try:
            require_ray()
        except ImportError as error:
            fail(str(error))
        # An error, not a warning and fewer shards: the shard count is what the
        # deployment was sized for (memory per shard, machines); the fix is one command.
        problem = shard_problem(settings.index_dir, settings.shards)
        if problem:
            fail(problem)
    if verbose:
        settings = settings.model_copy(update={"log_level": "debug"})
    err.print(f"Serving on http://{settings.host}:{settings.port} (index {settings.index_dir})")
    serve(settings)
