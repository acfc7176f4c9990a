"""Open the index a command or the service works on, building it on first use."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from corpus.progress import Progress
from embeddings.errors import IndexNotFoundError
from qa.assistant import Assistant
from qa.config import AssistantConfig

__all__ = ["open_or_build"]

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
