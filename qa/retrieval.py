"""Hybrid retrieval: BM25 and dense hits fused by reciprocal rank."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from corpus.normalize import normalize_for_matching
from qa.types import Passage, SearchFilters

if TYPE_CHECKING:
    from embeddings.encoder import Encoder
    from embeddings.store import IndexSnapshot

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["HybridRetriever", "rrf_fuse"]


def rrf_fuse(rankings: dict[str, np.ndarray], k: int) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion of several rankings of row indices.

    Args:
        rankings: retriever name -> row indices, best first.
        k: the RRF constant (60 in Cormack et al. 2009).

    Returns:
        (row, fused score) pairs, best first; ties keep first-seen order.
    """
    fused: dict[int, float] = {}
    for rows in rankings.values():
        for rank, row in enumerate(rows.tolist(), start=1):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


class HybridRetriever:
    """Retrieves passages from one immutable index snapshot.

    Args:
        snapshot: the loaded index.
        encoder: the query encoder for dense retrieval, or None for BM25 alone.
        candidates: hits taken from each retriever before fusion.
        rrf_k: the RRF constant.
    """

    def __init__(
        self,
        snapshot: IndexSnapshot,
        encoder: Encoder | None,
        *,
        candidates: int = 50,
        rrf_k: int = 60,
    ) -> None:
        if candidates <= 0:
            raise ValueError("candidates must be greater than 0")
        self.snapshot = snapshot
        self.encoder = encoder if snapshot.dense is not None else None
        self.candidates = candidates
        self.rrf_k = rrf_k
        docs = snapshot.documents
        self._doc_row = {d.id: i for i, d in enumerate(docs)}
        self._chunk_doc = np.fromiter(
            (self._doc_row[c.doc_id] for c in snapshot.chunks),
            dtype=np.int64,
            count=len(snapshot.chunks),
        )
        # Per-document filter columns, built once so a filtered query is a few vector ops.
        outlets = [normalize_for_matching(d.outlet) for d in docs]
        self._outlet_code = {o: i for i, o in enumerate(dict.fromkeys(outlets))}
        self._doc_outlet = np.array([self._outlet_code[o] for o in outlets], dtype=np.int64)
        self._doc_date = np.array([d.published for d in docs], dtype=str)

    @property
    def dense_enabled(self) -> bool:
        """Whether dense retrieval takes part."""
        return self.encoder is not None

    def mask(self, filters: SearchFilters | None) -> np.ndarray | None:
        """Boolean mask over chunk rows for ``filters`` (None when nothing is filtered)."""
        if filters is None or filters.is_empty():
            return None
        keep = np.ones(len(self._doc_outlet), dtype=bool)
        if filters.doc_ids:
            ids = np.zeros_like(keep)
            for doc_id in filters.doc_ids:
                row = self._doc_row.get(doc_id)
                if row is not None:
                    ids[row] = True
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
        return keep[self._chunk_doc]

    def search(
        self, query: str, k: int, filters: SearchFilters | None = None
    ) -> tuple[Passage, ...]:
        """The ``k`` best passages for ``query``.

        Args:
            query: the question or search text (any script).
            k: how many passages to return.
            filters: optional restriction to some documents.

        Returns:
            Passages, best first, with per-retriever scores.
        """
        if k <= 0:
            raise ValueError("k must be greater than 0")
        mask = self.mask(filters)
        if mask is not None and not mask.any():
            return ()
        n = max(k, self.candidates)
        snap = self.snapshot
        bm25_hits = snap.bm25.search(query, n, mask=mask)
        rankings: dict[str, np.ndarray] = {"bm25": bm25_hits.indices}
        per: dict[str, dict[int, float]] = {
            "bm25": dict(zip(bm25_hits.indices.tolist(), bm25_hits.scores.tolist(), strict=True))
        }
        if self.encoder is not None and snap.dense is not None:
            qvec = self.encoder.encode([query], is_query=True)
            dense_hits = snap.dense.search(qvec[0], n, mask=mask)
            rankings["dense"] = dense_hits.indices
            per["dense"] = dict(
                zip(dense_hits.indices.tolist(), dense_hits.scores.tolist(), strict=True)
            )
        fused = rrf_fuse(rankings, self.rrf_k)[:k]
        passages = []
        for rank, (row, score) in enumerate(fused, start=1):
            chunk = snap.chunks[row]
            scores = {name: values[row] for name, values in per.items() if row in values}
            scores["fused"] = score
            passages.append(
                Passage(
                    chunk=chunk,
                    document=snap.documents[int(self._chunk_doc[row])],
                    score=score,
                    scores=scores,
                    rank=rank,
                )
            )
        return tuple(passages)
