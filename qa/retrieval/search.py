"""Passage search over one snapshot: every retriever, fused, as passages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from corpus.dedupe import DEFAULT_THRESHOLD, shingles
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
        duplicate_threshold: a passage of which this share of character 5-grams lies in
            a better passage of another document is left out (a copy of the same text that
            escaped duplicate detection at ingest); 0 keeps every passage.

    Raises:
        ValueError: for no retriever, two with one name, ``candidates < 1``, or a
            threshold outside [0, 1].
    """

    def __init__(
        self,
        snapshot: IndexSnapshot,
        retrievers: Sequence[Retriever],
        *,
        fusion: Fusion | None = None,
        candidates: int = 50,
        duplicate_threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        if candidates <= 0:
            raise ValueError("candidates must be greater than 0")
        if not 0.0 <= duplicate_threshold <= 1.0:
            raise ValueError("duplicate_threshold must be between 0 and 1 (0: off)")
        if not retrievers:
            raise ValueError("retrievers must name at least one retriever")
        names = [r.name for r in retrievers]
        if len(set(names)) != len(names):
            raise ValueError(f"retriever names must be unique, got {names}")
        self.snapshot = snapshot
        self.retrievers = tuple(retrievers)
        self.fusion = fusion or Fusion()
        self.candidates = candidates
        self.duplicate_threshold = duplicate_threshold
        self._filter = RowFilter(snapshot)

    def _place(
        self, doc_id: str, grams: frozenset[str], seen: Sequence[tuple[str, frozenset[str]]]
    ) -> int | None:
        """Where a passage goes among the ``seen`` ones: None for a copy of one of them
        (from another document), the index of one it contains, else the end."""
        t = self.duplicate_threshold
        for i, (other_doc, other) in enumerate(seen):
            if other_doc == doc_id or not grams or not other:
                continue
            shared = len(grams & other)
            if shared >= t * len(grams):
                return None
            if shared >= t * len(other):
                return i
        return len(seen)

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
            Passages, best first, with per-retriever and fused scores; never two copies
            of one text from two documents (see ``duplicate_threshold``): of a passage
            and a worse one that contains it, the worse one takes the better one's place.

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
        passages: list[Passage] = []
        seen: list[tuple[str, frozenset[str]]] = []
        for row, score in fuse(hits, self.fusion):
            if len(passages) == k:
                break
            chunk = snap.chunks[row]
            scores = {name: values[row] for name, values in per.items() if row in values}
            scores["fused"] = score
            passage = Passage(
                chunk=chunk,
                document=snap.document_of(row),
                score=score,
                scores=FloatMap.of(scores),
                rank=len(passages) + 1,
            )
            if not self.duplicate_threshold:
                passages.append(passage)
                continue
            grams = shingles(chunk.text)
            place = self._place(chunk.doc_id, grams, seen)
            if place is None:
                continue  # a copy of a better passage of another document
            if place < len(passages):
                # It holds a better passage of another document (a brief inside the full
                # story): it takes that passage's place, so the text is there once.
                passages[place] = replace(passage, rank=place + 1)
                seen[place] = (chunk.doc_id, grams)
                continue
            passages.append(passage)
            seen.append((chunk.doc_id, grams))
        return tuple(passages)
