"""Terminal output of the ``qa`` commands: consoles, logging, progress bars, errors.

Only the CLI prints; the library reports through return values, warnings in its results,
logging and the ``progress(stage, done, total)`` hook, which :func:`progress_bars` draws.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress

from qa.errors import IndexDiskFullError, QAError, is_disk_full

if TYPE_CHECKING:
    from corpus.progress import Progress

__all__ = ["err", "errors", "fail", "out", "progress_bars", "setup_logging", "warn"]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

STAGES = {
    "read": "Reading articles (bytes)",
    "load": "Loading articles and pages",
    "chunk": "Chunking",
    "embed": "Embedding chunks",
    "bm25": "Building BM25 index",
}

_QUIET = (
    "jieba",
    "transformers",
    "sentence_transformers",
    "huggingface_hub",
    "bm25s",
    # web pages: the loader reports skipped pages itself, with reasons
    "trafilatura",
    "htmldate",
    "courlan",
    "warcio",
    "charset_normalizer",
)


def setup_logging(verbose: bool) -> None:
    """Log warnings (or, verbose, info) of the library to stderr; quiet third parties."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.ERROR)
    # bm25s sets its own logger to DEBUG when it is imported: quiet it where it is (the
    # library scores BM25 itself: importing bm25s, and the SciPy it imports, only to
    # quiet it cost a cold `qa ask` about 0.25 s).
    if "bm25s" in sys.modules:
        logging.getLogger("bm25s").setLevel(logging.INFO if verbose else logging.ERROR)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` to stderr and exit with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def warn(message: str) -> None:
    """Print ``warning: message`` to stderr."""
    err.print(f"[yellow]warning:[/] {escape(message)}")


@contextmanager
def progress_bars(enabled: bool = True) -> Iterator[Progress | None]:
    """A rich progress display fed by the library's ``progress(stage, done, total)`` hook.

    Yields None (no bars) when disabled or when stderr is not a terminal.
    """
    if not enabled or not err.is_terminal:
        yield None
        return
    with RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def hook(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield hook


@contextmanager
def errors() -> Iterator[None]:
    """Turn expected failures into a one-line message and a non-zero exit; a full disk
    is named as such, whatever said it (an index write says how much it needed)."""
    try:
        yield
    except QAError as exc:
        if is_disk_full(exc) and not isinstance(exc, IndexDiskFullError):
            fail(f"the disk is full: {exc}; free some space and try again")
        fail(str(exc))
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        fail(str(exc))
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        fail(f"the disk is full: {exc}; free some space and try again")


def counted(hook: Progress | None, stage: str) -> Callable[[int, int], None] | None:
    """A ``(done, total)`` callback that feeds ``hook`` under ``stage`` (None without one)."""
    if hook is None:
        return None
    return lambda done, total: hook(stage, done, total)
