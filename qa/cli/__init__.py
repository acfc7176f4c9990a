"""The ``qa`` command line.

Core commands (``ingest``, ``ask``, ``search``) live here; ``qa eval`` and ``qa serve``
belong to the packages that implement them (``eval/cli.py``, ``service/cli.py``): ``qa``
mounts each through a pass-through command that imports its package only when it runs,
so ``qa ask`` never imports the service or the evaluation code, and ``qa eval --help``
is the eval package's own help.

Configuration comes from options, the ``QA_*`` environment variables and ``.env`` (see
:mod:`qa.cli.options`); only the CLI and ``service/`` read the environment.
"""

from __future__ import annotations

import typer

from qa.cli import core
from qa.cli import index as index_commands

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Question answering over Chinese news, with citations to the source text.",
)
app.command()(core.ingest)
app.command()(core.ask)
app.command()(core.search)
app.add_typer(index_commands.app, name="index")

_PASS_THROUGH = {
    "allow_extra_args": True,
    "ignore_unknown_options": True,
    "allow_interspersed_args": False,
}


@app.command("eval", context_settings=_PASS_THROUGH, add_help_option=False)
def eval_(ctx: typer.Context) -> None:
    """Evaluate a question set: retrieval, answers, citations, abstention, latency."""
    # `qa eval` starts eval/ code: the one import against the layering, inside the command.
    from eval.cli import app as eval_app

    eval_app(args=ctx.args, prog_name="qa eval")


@app.command("serve", context_settings=_PASS_THROUGH, add_help_option=False)
def serve(ctx: typer.Context) -> None:
    """Start the HTTP service (API, OpenAI-compatible chat, web page)."""
    # `qa serve` starts service/ code, likewise.
    from service.cli import app as serve_app

    serve_app(args=ctx.args, prog_name="qa serve")


def main() -> None:
    """Entry point of the ``qa`` console script."""
    app()
