"""``qa index``: look after an index directory (``info``, ``optimize``)."""

from __future__ import annotations

import json

import typer

from qa.cli.options import VerboseOpt, with_settings
from qa.cli.output import errors, out, setup_logging
from qa.settings import QASettings

__all__ = ["app"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Look after an index: its segments, merges and size.",
)


@app.command()
@with_settings()
def info(settings: QASettings, verbose: VerboseOpt = False) -> None:
    """Print the index's manifest (settings, generation, segments, counts) and its size
    on disk, as JSON."""
    setup_logging(verbose)
    from qa.index import index_info

    with errors():
        data = index_info(settings.index_dir)
    out.print_json(json.dumps(data, ensure_ascii=False))


@app.command()
@with_settings()
def optimize(settings: QASettings, verbose: VerboseOpt = False) -> None:
    """Merge all segments into one and drop deleted documents for good.

    Writes happen by themselves (new articles go to new segments, small segments are
    merged as they accumulate); this is for after a large update or many deletes.
    No model is loaded.
    """
    setup_logging(verbose)
    from qa.index import optimize_index

    config = settings.assistant_config()
    with errors():
        before, dropped = optimize_index(settings.index_dir, dense_kind=config.dense_index)
    if before <= 1 and not dropped:
        out.print(f"Index {settings.index_dir}: one segment, nothing deleted; nothing to do.")
    else:
        out.print(
            f"Index {settings.index_dir}: merged {before} segments into one, dropping "
            f"{dropped} deleted documents."
        )
