"""Candidate sentences: the sentences of the retrieved passages, prepared once.

A sentence's folded text and its matching terms are computed the first time a passage
is read and kept in a cache keyed by chunk, bounded by bytes (chunks differ in length:
a count would bound nothing; 4,096 chunks held 120 MiB at 100k chunks), so a question
costs no repeated normalisation of text seen before.

A sentence that addresses its reader or a language model (an instruction planted in an
article, :func:`~qa.answering.instructions.instruction_flags`) is no candidate: it is
never an answer, nor the sentence an abstention quotes.
"""

from __future__ import annotations

import sys
from collections.abc import Container, Sequence
from dataclasses import dataclass, field

from corpus.normalize import Folded, fold
from corpus.sentences import sentence_spans
from corpus.types import Chunk, Document
from embeddings.recent import Recent
from qa.analysis.question import Constraint, constraint_of
from qa.analysis.spans import TypedSpan, typed_spans
from qa.answering.instructions import instruction_flags
from qa.answering.terms import TermStatistics
from qa.types import Passage

__all__ = ["DEFAULT_POOL_BYTES", "Candidate", "PreparedSentence", "SentencePool"]

# Window of document text scanned around a chunk for whole sentences.
SENTENCE_WINDOW = 300

DEFAULT_POOL_BYTES = 24 << 20
"""Memory for a pool's prepared sentences and document term sets (as :func:`_bytes` and
:func:`_text_bytes` estimate them): about 1,000 chunks' sentences of news text."""

_TERM_BYTES = 80
"""What one term of a sentence's set costs: its string (a CJK bigram is 78 bytes) and
its slot, about."""


@dataclass(frozen=True, slots=True)
class PreparedSentence:
    """A sentence of a document, folded and tokenised once.

    Attributes:
        doc_id: the document.
        start: start offset in the document's text.
        end: end offset (exclusive).
        folded: the sentence folded for matching, with offsets back to the original.
        terms: its matching terms (see :class:`~qa.answering.terms.TermStatistics`).
        position: where the sentence starts, as a share of the document's length.
        lead: True for the first sentence of the document.

    Its typed spans and the constraints they state (:attr:`spans`, :attr:`values`) are
    found the first time they are read: a question reads them of the sentences it
    shortlists and their neighbours, about half of those it prepares.
    """

    doc_id: str
    start: int
    end: int
    folded: Folded
    terms: frozenset[str]
    position: float
    lead: bool
    _typed: list[tuple[tuple[TypedSpan, ...], frozenset[Constraint]]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    @property
    def spans(self) -> tuple[TypedSpan, ...]:
        """The typed spans of the folded text (dates, numbers, names, ...)."""
        return self._typed_spans()[0]

    @property
    def values(self) -> frozenset[Constraint]:
        """The constraints its typed spans state (see
        :func:`qa.analysis.question.constraint_of`)."""
        return self._typed_spans()[1]

    def _typed_spans(self) -> tuple[tuple[TypedSpan, ...], frozenset[Constraint]]:
        if not self._typed:
            typed = tuple(typed_spans(self.folded.text))
            values = frozenset(c for t in typed if (c := constraint_of(t)) is not None)
            # Two threads may both find them: the same value, kept once.
            if not self._typed:
                self._typed.append((typed, values))
        return self._typed[0]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence read for one question: where it came from, and its neighbours.

    Attributes:
        sentence: the sentence.
        passage: the passage it was found in (the best-ranked one, if several).
        previous: the sentence before it in the document, where read.
        next: the sentence after it, where read.
    """

    sentence: PreparedSentence
    passage: Passage
    previous: PreparedSentence | None
    next: PreparedSentence | None = None


def _bytes(sentences: tuple[PreparedSentence, ...]) -> int:
    """What a chunk's prepared sentences hold, about: per sentence its object, its texts
    and offsets, and its term set (typed spans, found later for some, are not
    counted)."""
    size = sys.getsizeof(sentences)
    for s in sentences:
        folded = s.folded
        size += 200 + sys.getsizeof(folded.original) + sys.getsizeof(folded.text)
        size += sys.getsizeof(folded.starts) + 32 * len(folded.starts)
        size += sys.getsizeof(s.terms) + _TERM_BYTES * len(s.terms)
    return size


def _text_bytes(text: str) -> int:
    """What a document's term set holds, at most: its folded text, and as much again for
    the words between CJK runs, listed on demand."""
    return 2 * sys.getsizeof(text) + 100


class SentencePool:
    """Prepares the sentences of chunks, caching the most recently used ones.

    Args:
        terms: the term statistics whose tokens are stored.
        budget: bytes for the prepared sentences and document term sets kept (see
            :data:`DEFAULT_POOL_BYTES`); 0 keeps none.

    Raises:
        ValueError: for a negative budget.
    """

    def __init__(self, terms: TermStatistics, budget: int = DEFAULT_POOL_BYTES) -> None:
        if budget < 0:
            raise ValueError("budget must be at least 0")
        self._terms = terms
        # Sentences take most of it; a document's term set is its folded text.
        self._cache: Recent[str, tuple[PreparedSentence, ...]] = Recent(budget * 3 // 4)
        self._doc_cache: Recent[str, frozenset[str]] = Recent(budget // 8)
        self._lookup_cache: Recent[str, Container[str]] = Recent(budget // 8)

    @property
    def used(self) -> int:
        """Bytes held by the three caches (as estimated)."""
        return self._cache.used + self._doc_cache.used + self._lookup_cache.used

    def sentences(self, chunk: Chunk, document: Document) -> tuple[PreparedSentence, ...]:
        """The sentences overlapping ``chunk`` (whole, from the document text), but those
        that read as instructions to the reader or to a model."""
        found = self._cache.get(chunk.id)
        if found is not None:
            return found
        text = document.text
        lo = max(0, chunk.start - SENTENCE_WINDOW)
        hi = min(len(text), chunk.end + SENTENCE_WINDOW)
        spans = sentence_spans(text, lo, hi)
        first = sentence_spans(text, 0, min(len(text), 400))[:1]
        lead_start = first[0][0] if first else -1
        inside = [i for i, (s, e) in enumerate(spans) if e > chunk.start and s < chunk.end]
        # The sentence before the chunk's is read too: it may pass an instruction on.
        read = spans[max(0, inside[0] - 1) : inside[-1] + 1] if inside else []
        instruction = instruction_flags([text[s:e] for s, e in read])
        prepared: list[PreparedSentence] = []
        for (s, e), flagged in zip(read, instruction, strict=True):
            if e <= chunk.start or s >= chunk.end or flagged:
                continue
            folded = fold(text[s:e])
            prepared.append(
                PreparedSentence(
                    doc_id=document.id,
                    start=s,
                    end=e,
                    folded=folded,
                    terms=frozenset(self._terms.tokens(folded.text)),
                    position=s / max(1, len(text)),
                    lead=s == lead_start,
                )
            )
        found = tuple(prepared)
        return self._cache.put(chunk.id, found, _bytes(found))

    def document_terms(self, document: Document) -> frozenset[str]:
        """The matching terms of a whole document (cached with the chunks)."""
        found = self._doc_cache.get(document.id)
        if found is not None:
            return found
        terms = frozenset(self._terms.tokens(fold(document.text).text))
        size = sys.getsizeof(terms) + _TERM_BYTES * len(terms)
        return self._doc_cache.put(document.id, terms, size)

    def document_term_set(self, document: Document) -> Container[str]:
        """The matching terms of a whole document as a container (membership only, see
        :meth:`~qa.answering.terms.TermStatistics.term_set`): what
        :meth:`document_terms` holds, without listing them (cached with the chunks)."""
        found = self._lookup_cache.get(document.id)
        if found is not None:
            return found
        text = fold(document.text).text
        return self._lookup_cache.put(document.id, self._terms.term_set(text), _text_bytes(text))

    def candidates(self, passages: Sequence[Passage]) -> list[Candidate]:
        """The distinct sentences of ``passages``, in passage order, each with the
        sentences before and after it (a subject named in the previous sentence, an
        answer given in the next)."""
        seen: set[tuple[str, int]] = set()
        out: list[Candidate] = []
        for passage in passages:
            sentences = self.sentences(passage.chunk, passage.document)
            for i, sentence in enumerate(sentences):
                key = (sentence.doc_id, sentence.start)
                if key in seen:
                    continue
                seen.add(key)
                previous = sentences[i - 1] if i > 0 else None
                following = sentences[i + 1] if i + 1 < len(sentences) else None
                out.append(Candidate(sentence, passage, previous, following))
        return out
