"""The index store: settings, segments, snapshots, and the on-disk form.

* :mod:`~embeddings.store.settings`: :class:`IndexSettings` and compatibility checks;
* :mod:`~embeddings.store.analysis`: a document's chunks, terms and fingerprint,
  computed once (in worker processes at ingest);
* :mod:`~embeddings.store.segment`: one immutable segment (documents in SQLite, chunks as
  offsets, postings and vectors as memory-mapped arrays);
* :mod:`~embeddings.store.snapshot`: the immutable :class:`IndexSnapshot`, the live
  content of a list of segments numbered as one;
* :mod:`~embeddings.store.merge`: merging segments, and the merge policy;
* :mod:`~embeddings.store.build`: :func:`build_snapshot` (one segment, in memory);
* :mod:`~embeddings.store.files`: the manifest, atomic commits, :func:`save_snapshot` and
  validating :func:`load_snapshot`;
* :mod:`~embeddings.store.lock`: one writer per index directory across processes;
* :mod:`~embeddings.store.recovery`: start-up recovery after an interrupted write.
"""

from __future__ import annotations

from embeddings.store.analysis import PreparedDocument, prepare_document
from embeddings.store.build import build_snapshot, check_encoder, now
from embeddings.store.files import (
    MANIFEST,
    commit_snapshot,
    load_snapshot,
    open_snapshot,
    read_manifest,
    save_snapshot,
)
from embeddings.store.merge import MergePolicy, merge_segments
from embeddings.store.segment import Segment, build_segment
from embeddings.store.settings import FORMAT_VERSION, IndexSettings, settings_compatible
from embeddings.store.snapshot import IndexSnapshot, SegmentState
from embeddings.store.vectors import embed_texts

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST",
    "IndexSettings",
    "IndexSnapshot",
    "MergePolicy",
    "PreparedDocument",
    "Segment",
    "SegmentState",
    "build_segment",
    "build_snapshot",
    "check_encoder",
    "commit_snapshot",
    "embed_texts",
    "load_snapshot",
    "merge_segments",
    "now",
    "open_snapshot",
    "prepare_document",
    "read_manifest",
    "save_snapshot",
    "settings_compatible",
]
