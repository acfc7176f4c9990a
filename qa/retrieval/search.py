"""Passage search over one snapshot: every retriever, fused, as passages."""

from __future__ import annotations

from collections.abc import Sequence

from embeddings.store import IndexSnapshot
from embeddings.types import Hits
from qa.retrieval.base import Query, Retriever
from qa.retrieval.filters import RowFilter
from qa.retrieval.fusion import Fusion, fuse
from qa.types import FloatMap, Passage, SearchFilters

__all__ = ["Searcher"]


class Searcher:
    """Retrieves passages from one immutable index snapshot.

    Args:
        snapshot: the loaded index.
        retrievers: the retrievers to run (at least one), each over ``snapshot``.
        fusion: how their rankings are combined.
        candidates: hits taken from each retriever before fusion.

    Raises:
        ValueError: for no retriever, two with one name, or ``candidates < 1``.
    """

    def __init__(
        self,
        snapshot: IndexSnapshot,
        retrievers: Sequence[Retriever],
        *,
        fusion: Fusion | None = None,
        candidates: int = 50,
    ) -> None:
        if candidates <= 0:
            raise ValueError("candidates must be greater than 0")
        if not retrievers:
            raise ValueError("retrievers must name at least one retriever")
        names = [r.name for r in retrievers]
        if len(set(names)) != len(names):
            raise ValueError(f"retriever names must be unique, got {names}")
        self.snapshot = snapshot
        self.retrievers = tuple(retrievers)
        self.fusion = fusion or Fusion()
        self.candidates = candidates
        self._filter = RowFilter(snapshot)

    @property
    def retriever_names(self) -> tuple[str, ...]:
        """The names of the retrievers that take part."""
        return tuple(r.name for r in self.retrievers)

    def search(
        self, query: str | Query, k: int, filters: SearchFilters | None = None
    ) -> tuple[Passage, ...]:
        """The ``k`` best passages for ``query``.

        Args:
            query: the question or search text (any script), or a folded :class:`Query`.
            k: how many passages to return.
            filters: optional restriction to some documents.

        Returns:
            Passages, best first, with per-retriever and fused scores.

        Raises:
            ValueError: when ``k`` is not positive.
        """
        if k <= 0:
            raise ValueError("k must be greater than 0")
        q = query if isinstance(query, Query) else Query.of(query)
        mask = self._filter.mask(filters)
        if mask is not None and not mask.any():
            return ()
        n = max(k, self.candidates)
        hits: dict[str, Hits] = {r.name: r.search(q, n, mask) for r in self.retrievers}
        per = {
            name: dict(zip(h.indices.tolist(), h.scores.tolist(), strict=True))
            for name, h in hits.items()
        }
        snap = self.snapshot
        passages = []
        for rank, (row, score) in enumerate(fuse(hits, self.fusion)[:k], start=1):
            scores = {name: values[row] for name, values in per.items() if row in values}
            scores["fused"] = score
            passages.append(
                Passage(
                    chunk=snap.chunks[row],
                    document=snap.document_of(row),
                    score=score,
                    scores=FloatMap.of(scores),
                    rank=rank,
                )
            )
        return tuple(passages)
