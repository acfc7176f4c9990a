"""The one lock protocol of index writes.

Every change an :class:`~qa.writing.IndexWriter` makes (an update, a removal, a commit,
a save, an optimize), and every refresh of the snapshot it publishes, runs under the
writer's :class:`WriteLock`, which is two locks taken in one order, never apart:

* **in this process**, a re-entrant lock of the writer: one change or refresh at a time,
  so snapshots are published in the order they were made (an index in memory needs
  nothing more);
* **across processes**, for an index directory, its exclusive ``flock``
  (:func:`embeddings.store.lock.index_lock`, ``write.lock`` inside the directory), held
  for the whole read-modify-commit. Under it the writer re-opens the newest generation
  (another process may have committed one), applies its change to it and commits the
  next generation, so no commit is ever overwritten.

A refresh takes only the first: it reads the directory, and readers take no lock there.
Code that must hold an index through several writes (an ingest that builds a new index, a
staged ingest from the moment it reads the index to its one commit) holds the same
``flock`` around them; it is re-entrant within a thread, so the writes inside take it
again without waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from embeddings.store.lock import DEFAULT_LOCK_TIMEOUT, index_lock

__all__ = ["DEFAULT_LOCK_TIMEOUT", "WriteLock"]


class WriteLock:
    """A writer's lock: this process's writes of it, and an index directory's writers."""

    def __init__(self) -> None:
        self._local = threading.RLock()

    @contextmanager
    def hold(
        self, directory: Path | None = None, timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> Iterator[Path | None]:
        """Hold the writer's lock and, with ``directory``, that index's write lock.

        Args:
            directory: the index directory written (None: an index in memory, or a
                refresh: the process's lock alone).
            timeout: seconds to wait for another process's writer of ``directory``.

        Yields:
            ``directory``.

        Raises:
            IndexBusyError: when another writer held ``directory`` for ``timeout`` s.
            IndexWriteError: when its lock file cannot be created.
        """
        with self._local:
            if directory is None:
                yield None
                return
            with index_lock(directory, timeout):
                yield directory
