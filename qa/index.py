"""Open the index a command or the service works on, building it on first use."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from corpus.progress import Progress
from embeddings.errors import IndexCorruptError, IndexError_, IndexNotFoundError
from embeddings.store import open_snapshot
from embeddings.store.files import read_manifest
from embeddings.store.lock import DEFAULT_LOCK_TIMEOUT
from embeddings.store.recovery import index_leftovers, recover_index
from qa.assistant import Assistant
from qa.config import AssistantConfig
from qa.writing import IndexWriter

__all__ = ["index_generation", "index_info", "open_or_build", "optimize_index"]

logger = logging.getLogger(__name__)


def open_or_build(
    directory: str | Path,
    config: AssistantConfig,
    articles: Sequence[str | Path],
    *,
    persist: bool = True,
    progress: Progress | None = None,
    on_build: Callable[[Path, Sequence[str | Path]], None] | None = None,
) -> Assistant:
    """The assistant over the index at ``directory``; built from ``articles`` when there is
    none, and saved there when ``persist``.

    This is what ``qa ask``/``qa search``/``qa eval`` and the service start with, so a
    first run works with nothing prepared. An interrupted write is recovered first (see
    :meth:`Assistant.load`). A path that holds no complete index but something of one
    (files, or temporary siblings of an interrupted write that cannot be restored) is
    never built over: that raises instead, so that a damaged index is not silently
    replaced by one of ``articles``.

    Args:
        directory: the index directory.
        config: the configuration; the index must have been built with compatible
            settings.
        articles: files or folders to build from when there is no index.
        persist: save a freshly built index to ``directory``, and commit later updates
            there before they are served (False: updates stay in memory).
        progress: progress hook for the build.
        on_build: called as ``on_build(directory, articles)`` before a build starts (the
            CLI says what it is doing).

    Returns:
        The assistant.

    Raises:
        IndexCorruptError, IndexMismatchError: when an index exists but cannot serve, or
            the path holds leftovers of one.
        EmptyCorpusError, PathNotFoundError: when there is none and ``articles`` give none.
        IndexWriteError: when the built index cannot be saved.
    """
    directory = Path(directory)
    try:
        return Assistant.load(directory, config, commit=persist)
    except IndexNotFoundError:
        pass
    leftovers = index_leftovers(directory)
    if leftovers:
        names = ", ".join(p.name for p in leftovers[:3]) + (" ..." if len(leftovers) > 3 else "")
        sources = ", ".join(map(str, articles)) or "the articles"
        raise IndexCorruptError(
            f"there is no complete index at {directory}, but files of one are there "
            f"({names}): an earlier write was interrupted, or the directory holds other "
            f"files. Not building a new index from {sources} over it: restore "
            f"the index, or move {directory} and those files aside and start again (or "
            f"ingest your articles: qa ingest PATH... --index {directory})"
        )
    if on_build is not None:
        on_build(directory, articles)
    logger.info("no index at %s: building one from %s", directory, ", ".join(map(str, articles)))
    assistant = Assistant.from_paths(articles, config, progress=progress)
    if persist:
        assistant.save(directory)
    return assistant


def optimize_index(
    directory: str | Path,
    *,
    dense_kind: str = "auto",
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    max_rows: int | None = None,
) -> tuple[int, int]:
    """Merge every segment of the index at ``directory`` into one, dropping deleted
    documents for good (what ``qa index optimize`` runs; no model is loaded), under the
    index's write lock; with ``max_rows``, rewrite its live content as segments of at
    most that many rows instead, in order (cut between documents: larger segments are
    split), so that it can be partitioned over shards (``qa serve --shards``). The
    maximum is recorded in the index: later writes merge segments only up to it (see
    :class:`~embeddings.store.MergePolicy`), until an optimize without one.

    Args:
        directory: the index directory.
        dense_kind: the dense index type of the merged segment.
        lock_timeout: seconds to wait for another writer of the index.
        max_rows: the most rows of a segment written (None: one segment).

    Returns:
        ``(segments before, deleted documents dropped)``.

    Raises:
        ValueError: for a non-positive ``max_rows``.
        IndexNotFoundError, IndexCorruptError, IndexMismatchError: when the index cannot
            be opened.
        IndexWriteError: when the merged segment cannot be written.
        IndexBusyError: when another writer holds the index too long.
    """

    if max_rows is not None and max_rows <= 0:
        raise ValueError("max_rows must be greater than 0")
    root = Path(directory)
    recover_index(root, timeout=lock_timeout)
    config = AssistantConfig(model="", dense_index=dense_kind)  # no model is loaded
    # The writer re-opens the newest generation under the index's write lock.
    writer = IndexWriter(open_snapshot(root), config, lock_timeout=lock_timeout, directory=root)
    opened = writer.snapshot
    try:
        return writer.optimize(max_rows=max_rows)
    finally:
        opened.close()


def index_info(directory: str | Path) -> dict[str, object]:
    """What the index at ``directory`` holds: its manifest, and bytes on disk.

    Raises:
        IndexNotFoundError, IndexCorruptError, IndexMismatchError: when there is no
            readable index there.
    """
    root = Path(directory)
    manifest = read_manifest(root)
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    info: dict[str, object] = dict(manifest)
    info["bytes_on_disk"] = size
    return info


def index_generation(directory: str | Path) -> int | None:
    """The generation the index at ``directory`` is committed as (its manifest's counter,
    raised by every commit), or None when there is no readable index there.

    Only the small manifest file is read: a cheap way for a reader to notice that another
    process committed a newer generation (then :meth:`Assistant.refresh` opens it).
    """
    try:
        return int(read_manifest(directory)["generation"])
    except (IndexError_, KeyError, TypeError, ValueError):
        return None
