"""Result types of the question-answering layer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from corpus.types import Chunk, Document

__all__ = ["Answer", "Citation", "Passage", "SearchFilters"]


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrict retrieval to some documents.

    Attributes:
        doc_ids: only these documents (empty: all).
        outlets: only documents from these outlets, compared script-agnostically.
        published_from: only documents published on or after this ISO date.
        published_to: only documents published on or before this ISO date (inclusive of
            the whole day when given as ``YYYY-MM-DD``).
    """

    doc_ids: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    published_from: str = ""
    published_to: str = ""

    def is_empty(self) -> bool:
        """True when nothing is filtered out."""
        return not (self.doc_ids or self.outlets or self.published_from or self.published_to)


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk with its document and scores.

    Attributes:
        chunk: the chunk.
        document: the document it belongs to.
        score: the fused score used for ranking.
        scores: per-retriever scores (``bm25``, ``dense``, ``fused``), where each ran.
        rank: 1-based rank in the result list.
    """

    chunk: Chunk
    document: Document
    score: float
    scores: Mapping[str, float] = field(default_factory=dict)
    rank: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON output (the document without its full text)."""
        doc = self.document
        return {
            "rank": self.rank,
            "score": self.score,
            "scores": dict(self.scores),
            "chunk": self.chunk.to_dict(),
            "document": {
                "id": doc.id,
                "title": doc.display_title,
                "outlet": doc.outlet,
                "published": doc.published,
                "url": doc.url,
                "source": doc.source,
            },
        }


@dataclass(frozen=True, slots=True)
class Citation:
    """Where an answer sentence comes from.

    Invariant: ``quote == document.text[start:end]`` for the document ``doc_id``.

    Attributes:
        marker: the number shown as ``[n]`` in the answer text.
        doc_id: the cited document.
        chunk_id: the chunk the quote was found in.
        start: start offset of the quote in the document's cleaned text.
        end: end offset (exclusive).
        quote: the quoted source sentence, verbatim (original script).
        title: the document's title (or its first line where it has none).
        outlet: the document's outlet, "" when unknown.
        date: publish date, or the dateline date, "" when unknown.
        url: the document's URL, "" when unknown.
    """

    marker: int
    doc_id: str
    chunk_id: str
    start: int
    end: int
    quote: str
    title: str = ""
    outlet: str = ""
    date: str = ""
    url: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON output."""
        return {
            "marker": self.marker,
            "doc_id": self.doc_id,
            "chunk_id": self.chunk_id,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "title": self.title,
            "outlet": self.outlet,
            "date": self.date,
            "url": self.url,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer with its evidence.

    Attributes:
        question: the question as asked.
        text: the answer, in the question's script, with ``[n]`` citation markers.
        citations: one per marker, in marker order.
        passages: the retrieved passages the answer was drawn from, best first.
        abstained: True when the corpus holds nothing that answers the question; then
            ``citations`` is empty and ``text`` says so.
        confidence: the answer-support score that abstention is decided on (0 to 1).
        timings: milliseconds per stage (``retrieve``, ``answer``, ``total``).
    """

    question: str
    text: str
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    abstained: bool
    confidence: float = 0.0
    timings: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON output."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "confidence": self.confidence,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "timings": dict(self.timings),
        }
