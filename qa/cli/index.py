"""``qa index``: look after an index directory (``info``, ``optimize``)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from qa.cli.options import INDEX_OPTIONS, VerboseOpt, with_settings
from qa.cli.output import errors, out, setup_logging
from qa.settings import QASettings

__all__ = ["app"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,  # help as written (see qa.cli.options)
    help="Look after an index: its segments, merges and size.",
)


@app.command()
@with_settings(options=INDEX_OPTIONS)
def info(settings: QASettings, verbose: VerboseOpt = False) -> None:
    """Print the index's manifest (settings, generation, segments, counts) and its size
    on disk, as JSON."""
    setup_logging(verbose)
    from qa.index import index_info

    with errors():
        data = index_info(settings.index_dir)
    out.print_json(json.dumps(data, ensure_ascii=False))


@app.command()
@with_settings(options=INDEX_OPTIONS)
def optimize(
    settings: QASettings,
    max_segment_rows: Annotated[
        int | None,
        typer.Option(
            "--max-segment-rows",
            min=1,
            help="Rewrite the index as segments of at most this many chunks each, in "
            "order (larger segments are split), instead of one: an index to search on "
            "N shards (qa serve --shards N) needs at least N segments.",
            show_default=False,
        ),
    ] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Merge all segments into one and drop deleted documents for good (with
    --max-segment-rows: into segments of at most that many chunks).

    Writes happen by themselves (new articles go to new segments, small segments are
    merged as they accumulate); this is for after a large update or many deletes, or to
    cut an index into segments for sharded search. No model is loaded.
    """
    setup_logging(verbose)
    from embeddings.store.files import manifest_counts, read_manifest
    from qa.index import index_generation, optimize_index

    config = settings.assistant_config()
    directory = settings.index_dir
    with errors():
        generation = index_generation(directory)
        before, dropped = optimize_index(
            directory, dense_kind=config.dense_index, max_rows=max_segment_rows
        )
        changed = index_generation(directory) != generation
        after = manifest_counts(read_manifest(directory))["segments"]
    if max_segment_rows is None:
        if before <= 1 and not dropped:
            out.print(f"Index {directory}: one segment, nothing deleted; nothing to do.")
        else:
            out.print(
                f"Index {directory}: merged {before} segments into one, dropping "
                f"{dropped} deleted documents."
            )
        return
    rows = f"at most {max_segment_rows} chunks each"
    if not changed:
        out.print(f"Index {directory}: {before} segments of {rows}; nothing to do.")
    else:
        out.print(
            f"Index {directory}: rewrote {before} segments as {after} of {rows}, dropping "
            f"{dropped} deleted documents."
        )
