"""Follow the index directory: serve a generation another process commits within a second.

Several workers (``qa serve --workers N``), or a ``qa ingest`` beside the service, share
one index directory. A write commits a new generation there (the manifest's counter);
each worker runs an :class:`IndexFollower`, a thread that reads that counter every
``interval`` seconds (the small manifest file only) and, when it differs from the
generation the worker serves, re-opens the index with :meth:`qa.Assistant.refresh`
(only the new segments are opened). The work runs in the thread, never on the event
loop; an error while re-opening is logged and the worker keeps serving the snapshot it
has.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from qa import Assistant, index_generation
from service.memory import release_free_memory

__all__ = ["DEFAULT_INTERVAL", "IndexFollower"]

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL = 0.25
"""Seconds between two checks of the manifest's generation."""


class IndexFollower:
    """Re-open the served index when its directory holds a newer generation.

    Args:
        directory: the index directory to follow.
        assistant: a callable returning the served assistant (None while it loads).
        write_lock: the lock the service's writes hold; a check while a write runs is
            skipped (the write commits, and publishes, the newest generation itself).
        interval: seconds between two checks.
    """

    def __init__(
        self,
        directory: str | Path,
        assistant: Callable[[], Assistant | None],
        write_lock: threading.Lock,
        *,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        self.directory = Path(directory)
        self.interval = interval
        self._assistant = assistant
        self._write_lock = write_lock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_error: str | None = None

    def check(self) -> bool:
        """Check the directory once; re-open the index when its generation changed.

        Returns:
            Whether the assistant now serves another generation.
        """
        assistant = self._assistant()
        if assistant is None:
            return False
        generation = index_generation(self.directory)
        if generation is None or generation == assistant.snapshot.generation:
            return False
        if not self._write_lock.acquire(blocking=False):
            return False  # a write of this process is running; check again next time
        try:
            changed = assistant.refresh(self.directory)
        except Exception as exc:  # keep serving the open snapshot
            message = str(exc) or type(exc).__name__
            if message != self._last_error:  # once per distinct error, not every check
                logger.error(
                    "cannot open generation %d of the index (still serving generation %d): %s",
                    generation,
                    assistant.snapshot.generation,
                    message,
                )
            self._last_error = message
            return False
        finally:
            self._write_lock.release()
        self._last_error = None
        if changed:
            release_free_memory()  # the old generation's caches (see service.memory)
            logger.info(
                "serving generation %d of the index: %d documents",
                assistant.snapshot.generation,
                len(assistant.snapshot.documents),
            )
        return changed

    def start(self) -> None:
        """Start checking in a daemon thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="qa-index-follower", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (after the check it may be running)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # never let the thread die: the next check may succeed
                logger.exception("index follower: unexpected error")
