"""Passage search over one snapshot: every retriever, fused, as passages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from corpus.dedupe import DEFAULT_THRESHOLD, shingles
from corpus.types import Chunk
from embeddings.store import IndexSnapshot
from embeddings.types import Hits
from qa.retrieval.base import Query, Retriever
from qa.retrieval.filters import RowFilter
from qa.retrieval.fusion import Fusion, fuse
from qa.types import FloatMap, Passage, SearchFilters

__all__ = ["Searcher"]

_CACHE = 4096
"""Chunks whose folded text and probes a searcher keeps (copy check); cleared when full."""
_GRAMS = 256
"""Chunks whose 5-grams a searcher keeps (about 30 KB each, as a chunk is at most a few
hundred characters; the pairs the probes let through are few); cleared when full."""
_NON_WORD = re.compile(r"[\W_]+")
_PROBES = 5
_PROBE = 6


def _probes(text: str) -> tuple[str, ...]:
    """Five short substrings spread over a text (the whole of a short one)."""
    if len(text) < 6 * _PROBE:
        return (text,) if text else ()
    step = len(text) // (_PROBES + 1)
    return tuple(text[j * step : j * step + _PROBE] for j in range(1, _PROBES + 1))


def _found(probes: tuple[str, ...], text: str) -> bool:
    """Whether most probes occur in ``text`` (three of five): where 80% of a text's
    5-grams lie in another, a contiguous run of differences (a fifth of the text) touches
    at most two of five evenly spread probes."""
    if not probes:
        return False
    return sum(p in text for p in probes) >= (len(probes) + 1) // 2


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
        # Folded texts, probes and 5-grams of recently returned chunks (the copy check).
        self._folded: dict[int, tuple[str, tuple[str, ...]]] = {}
        self._grams: dict[int, frozenset[str]] = {}

    def _text(self, row: int, raw: str | None = None) -> tuple[str, tuple[str, ...]]:
        """A chunk's text for the copy check (case folded, no spaces or punctuation) and
        its probes (``raw``: the chunk's text, where at hand). Copies in two scripts or
        widths were merged at ingest, which folds them; what is left to catch here is
        plain overlap, so no costly folding."""
        found = self._folded.get(row)
        if found is None:
            if len(self._folded) >= _CACHE:
                self._folded.clear()
                self._grams.clear()
            if raw is None:
                raw = self.snapshot.chunk(row).text
            text = _NON_WORD.sub("", raw.casefold())
            found = self._folded[row] = (text, _probes(text))
        return found

    def _shingles(self, row: int) -> frozenset[str]:
        grams = self._grams.get(row)
        if grams is None:
            if len(self._grams) >= _GRAMS:
                self._grams.clear()
            grams = self._grams[row] = shingles(self._text(row)[0], fold_script=False)
        return grams

    def _place(self, row: int, chunk: Chunk, seen: Sequence[tuple[str, int]]) -> int | None:
        """Where a passage goes among the ``seen`` ones (``(doc_id, row)``): None for a
        copy of one of them from another document, the index of one it contains, else
        the end. Texts are compared by 5-grams only where probes (a few short substrings)
        say that they may overlap that much."""
        t = self.duplicate_threshold
        doc_id = chunk.doc_id
        text, probes = self._text(row, chunk.text)
        for i, (other_doc, other_row) in enumerate(seen):
            if other_doc == doc_id:
                continue
            other_text, other_probes = self._text(other_row)
            inside = _found(probes, other_text)
            holds = _found(other_probes, text)
            if not (inside or holds):
                continue
            grams, other = self._shingles(row), self._shingles(other_row)
            if not grams or not other:
                continue
            shared = len(grams & other)
            if inside and shared >= t * len(grams):
                return None
            if holds and shared >= t * len(other):
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
        seen: list[tuple[str, int]] = []
        for row, score in fuse(hits, self.fusion):
            if len(passages) == k:
                break
            chunk, document = snap.chunk_with_document(row)
            scores = {name: values[row] for name, values in per.items() if row in values}
            scores["fused"] = score
            passage = Passage(
                chunk=chunk,
                document=document,
                score=score,
                scores=FloatMap.of(scores),
                rank=len(passages) + 1,
            )
            if not self.duplicate_threshold:
                passages.append(passage)
                continue
            place = self._place(row, chunk, seen)
            if place is None:
                continue  # a copy of a better passage of another document
            if place < len(passages):
                # It holds a better passage of another document (a brief inside the full
                # story): it takes that passage's place, so the text is there once.
                passages[place] = replace(passage, rank=place + 1)
                seen[place] = (chunk.doc_id, row)
                continue
            passages.append(passage)
            seen.append((chunk.doc_id, row))
        return tuple(passages)
