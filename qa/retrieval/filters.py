"""Metadata filters as row masks over an index snapshot."""

from __future__ import annotations

import numpy as np

from corpus.normalize import normalize_for_matching
from embeddings.store import IndexSnapshot
from qa.retrieval.base import RowMask
from qa.types import SearchFilters

__all__ = ["RowFilter"]


class RowFilter:
    """Turns :class:`~qa.types.SearchFilters` into a row mask over one snapshot.

    Per-document columns (outlet code, publish date) are built once, so a filtered query
    costs a few vector operations over the documents.

    Args:
        snapshot: the index the masks are for.
    """

    def __init__(self, snapshot: IndexSnapshot) -> None:
        self._snapshot = snapshot
        docs = snapshot.documents
        outlets = [normalize_for_matching(d.outlet) for d in docs]
        self._outlet_code = {o: i for i, o in enumerate(dict.fromkeys(outlets))}
        self._doc_outlet = np.array([self._outlet_code[o] for o in outlets], dtype=np.int64)
        self._doc_date = np.array([d.published for d in docs], dtype=str)

    def mask(self, filters: SearchFilters | None) -> RowMask | None:
        """Boolean mask over chunk rows for ``filters`` (None when nothing is filtered)."""
        if filters is None or filters.is_empty():
            return None
        snap = self._snapshot
        keep = np.ones(len(snap.documents), dtype=bool)
        if filters.doc_ids:
            ids = np.zeros_like(keep)
            for doc_id in filters.doc_ids:
                position = snap.document_position(doc_id)
                if position is not None:
                    ids[position] = True
            keep &= ids
        if filters.outlets:
            codes = [self._outlet_code.get(normalize_for_matching(o), -1) for o in filters.outlets]
            keep &= np.isin(self._doc_outlet, codes)
        dated = self._doc_date != ""
        if filters.published_from:
            keep &= dated & (self._doc_date >= filters.published_from)
        if filters.published_to:
            # "2024-07-01" must include "2024-07-01T17:35:13": compare on the given prefix.
            keep &= dated & (self._doc_date <= filters.published_to + "\uffff")
        mask: RowMask = keep[snap.chunk_documents]
        return mask
