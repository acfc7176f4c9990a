"""Writing an index: every change, and the snapshots it publishes.

The question path (:class:`qa.Assistant`) reads the newest snapshot an
:class:`IndexWriter` publishes and never writes; everything that changes an index goes
through a writer:

* :mod:`~qa.writing.writer`: :class:`IndexWriter`: build, open, add, remove, save,
  commit, refresh, optimize; the generation protocol (re-open the newest generation
  under the lock, commit the next, merge by the merge policy) and publishing;
* :mod:`~qa.writing.lock`: the one lock protocol of a write (this process's writer, then
  the index directory's ``flock``);
* :mod:`~qa.writing.prepare`: documents made ready for a segment, and the segment an
  update writes (new chunks embedded, the vectors of unchanged chunks reused).

Ingest (:mod:`qa.ingest`, :mod:`qa.staged`, :mod:`qa.distributed`) writes through an
:class:`IndexWriter` too.
"""

from __future__ import annotations

from qa.writing.lock import DEFAULT_LOCK_TIMEOUT, WriteLock
from qa.writing.prepare import Locate, SegmentRows, locator, plan_segment, settings_for
from qa.writing.writer import IndexWriter, PublishHook, mismatch_message

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "IndexWriter",
    "Locate",
    "PublishHook",
    "SegmentRows",
    "WriteLock",
    "locator",
    "mismatch_message",
    "plan_segment",
    "settings_for",
]
