"""Metadata filters as row masks over an index snapshot."""

from __future__ import annotations

from embeddings.store import IndexSnapshot
from qa.retrieval.base import RowMask
from qa.types import SearchFilters

__all__ = ["RowFilter"]


class RowFilter:
    """Turns :class:`~qa.types.SearchFilters` into a row mask over one snapshot.

    Each filter is a precomputed per-value set of documents in every segment (ids through
    the document stores, outlets and publish dates through the segments' facets), so a
    filtered query costs the documents that match, not a scan of every document.

    Args:
        snapshot: the index the masks are for.
    """

    def __init__(self, snapshot: IndexSnapshot) -> None:
        self._snapshot = snapshot

    def mask(self, filters: SearchFilters | None) -> RowMask | None:
        """Boolean mask over chunk rows for ``filters`` (None when nothing is filtered)."""
        if filters is None or filters.is_empty():
            return None
        return self._snapshot.filter_mask(
            doc_ids=tuple(filters.doc_ids),
            outlets=tuple(filters.outlets),
            published_from=filters.published_from or "",
            published_to=filters.published_to or "",
        )
