"""Open the index a command or the service works on, building it on first use."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from corpus.progress import Progress
from embeddings.errors import IndexError_, IndexNotFoundError, IndexWriteError
from embeddings.store import SegmentState, commit_snapshot, merge_segments, open_snapshot
from embeddings.store.files import SEGMENTS, read_manifest
from qa.assistant import Assistant
from qa.config import AssistantConfig

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
    first run works with nothing prepared.

    Args:
        directory: the index directory.
        config: the configuration; the index must have been built with compatible
            settings.
        articles: files or folders to build from when there is no index.
        persist: save a freshly built index to ``directory``.
        progress: progress hook for the build.
        on_build: called as ``on_build(directory, articles)`` before a build starts (the
            CLI says what it is doing).

    Returns:
        The assistant.

    Raises:
        IndexCorruptError, IndexMismatchError: when an index exists but cannot serve.
        EmptyCorpusError, PathNotFoundError: when there is none and ``articles`` give none.
        IndexWriteError: when the built index cannot be saved.
    """
    directory = Path(directory)
    try:
        return Assistant.load(directory, config)
    except IndexNotFoundError:
        pass
    if on_build is not None:
        on_build(directory, articles)
    logger.info("no index at %s: building one from %s", directory, ", ".join(map(str, articles)))
    assistant = Assistant.from_paths(articles, config, progress=progress)
    if persist:
        assistant.save(directory)
    return assistant


def optimize_index(directory: str | Path, *, dense_kind: str = "auto") -> tuple[int, int]:
    """Merge every segment of the index at ``directory`` into one, dropping deleted
    documents for good (what ``qa index optimize`` runs; no model is loaded).

    Args:
        directory: the index directory.
        dense_kind: the dense index type of the merged segment.

    Returns:
        ``(segments before, deleted documents dropped)``.

    Raises:
        IndexNotFoundError, IndexCorruptError, IndexMismatchError: when the index cannot
            be opened.
        IndexWriteError: when the merged segment cannot be written.
    """
    import sqlite3

    root = Path(directory)
    snapshot = open_snapshot(root)
    count, deleted = len(snapshot.states), snapshot.deleted_documents
    if count <= 1 and not deleted:
        return count, 0
    try:
        merged = merge_segments(snapshot.states, parent=root / SEGMENTS, dense_kind=dense_kind)
    except (OSError, sqlite3.Error) as err:
        raise IndexWriteError(f"cannot merge the segments of {root}: {err}") from err
    commit_snapshot(snapshot.with_states([SegmentState(merged)]), root)
    snapshot.close()
    return count, deleted


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
