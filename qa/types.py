"""Result types of the question-answering layer (frozen; tuples, not lists)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from corpus.types import Chunk, Document

__all__ = [
    "Answer",
    "AnswerDelta",
    "Citation",
    "Draft",
    "FloatMap",
    "GenerationStats",
    "Passage",
    "Question",
    "SearchFilters",
]


@dataclass(frozen=True, slots=True)
class FloatMap(Mapping[str, float]):
    """An immutable, hashable, picklable ``name -> float`` mapping in insertion order.

    Used for per-retriever scores and per-stage timings inside frozen types; reads like a
    dict (``scores["bm25"]``, ``"dense" in scores``, ``dict(scores)``).

    Attributes:
        pairs: the ``(name, value)`` pairs, names unique.
    """

    pairs: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, values: Mapping[str, float]) -> FloatMap:
        """A map with the items of ``values`` (a :class:`FloatMap` is returned as is)."""
        if isinstance(values, FloatMap):
            return values
        return cls(tuple((str(k), float(v)) for k, v in values.items()))

    def __getitem__(self, key: str) -> float:
        for name, value in self.pairs:
            if name == key:
                return value
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


def _freeze(obj: Any, name: str) -> None:
    """Store attribute ``name`` of a frozen dataclass as a :class:`FloatMap`."""
    value = getattr(obj, name)
    if not isinstance(value, FloatMap):
        object.__setattr__(obj, name, FloatMap.of(value))


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
        scores: per-retriever scores (``bm25``, ``dense``, ``fused``), where each ran; a
            mapping (given as a dict, stored as a :class:`FloatMap`).
        rank: 1-based rank in the result list.
    """

    chunk: Chunk
    document: Document
    score: float
    scores: Mapping[str, float] = field(default_factory=FloatMap)
    rank: int = 0

    def __post_init__(self) -> None:
        _freeze(self, "scores")

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
class Question:
    """A question as an answerer sees it.

    Attributes:
        text: the question as asked (stripped).
        query: the self-contained question retrieval ran on: a follow-up with the earlier
            topic put back in, else ``text``.
        focus: what answer sentences are matched on: a follow-up without its reference
            word (``的首批成员有多少家``), else ``text``.
        history: the earlier turns of the conversation, ``(question, answer)`` pairs,
            oldest first.
    """

    text: str
    query: str = ""
    focus: str = ""
    history: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.query:
            object.__setattr__(self, "query", self.text)
        if not self.focus:
            object.__setattr__(self, "focus", self.text)

    @property
    def is_follow_up(self) -> bool:
        """True when the question was rewritten with an earlier topic."""
        return self.query != self.text


@dataclass(frozen=True, slots=True)
class GenerationStats:
    """How a language model wrote one text: its token counts and times.

    Attributes:
        generator: the backend and model (``transformers:<model>``, ``openai:<model>``).
        prompt_tokens: tokens of the prompt; None when the backend cannot say (a server
            that reports no usage).
        new_tokens: tokens the model generated (those verification dropped, or cut at a
            stop string, included); None when the backend cannot say.
        seconds: from the request to the last token, prompt processing included.
        first_token_seconds: from the request to the first generated token (the time to
            first token: prompt processing, and a server's queue); None where it is not
            seen (a whole answer from a server, or no token at all).
    """

    generator: str
    prompt_tokens: int | None = None
    new_tokens: int | None = None
    seconds: float = 0.0
    first_token_seconds: float | None = None

    @property
    def tokens_per_second(self) -> float | None:
        """New tokens per second of the whole generation (prompt processing included, as
        in the figures of docs/generation.md); None when the count is unknown."""
        if self.new_tokens is None or self.seconds <= 0:
            return None
        return self.new_tokens / self.seconds

    def describe(self) -> str:
        """One line for logs: ``1305 prompt tokens, 44 new tokens in 8.63 s (5.1 tokens/s),
        first token after 3.20 s`` (``?`` for what is unknown)."""
        rate = self.tokens_per_second
        first = self.first_token_seconds
        return (
            f"{_count(self.prompt_tokens)} prompt tokens, {_count(self.new_tokens)} new tokens "
            f"in {self.seconds:.2f} s ({'?' if rate is None else f'{rate:.1f}'} tokens/s), "
            f"first token after {'?' if first is None else f'{first:.2f}'} s"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON output (``tokens_per_second`` included)."""
        return {
            "generator": self.generator,
            "prompt_tokens": self.prompt_tokens,
            "new_tokens": self.new_tokens,
            "seconds": round(self.seconds, 4),
            "first_token_seconds": None
            if self.first_token_seconds is None
            else round(self.first_token_seconds, 4),
            "tokens_per_second": None
            if (rate := self.tokens_per_second) is None
            else round(rate, 3),
        }


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Draft:
    """What an answerer produced for one question, before it becomes an :class:`Answer`.

    Attributes:
        text: the answer with ``[n]`` markers, in the question's script (the abstention
            message when ``abstained``).
        citations: one per marker, in marker order (empty when abstained).
        confidence: the estimated probability that the answer is right (0 to 1).
        abstained: True when the answerer judged that the passages do not answer.
        short_answer: the bare answer span (a name, a number with its unit, a date), ""
            where the answerer gives none.
        generator: which backend made the text (``extractive``,
            ``transformers:<model>``, ``openai:<model>``).
        dropped: answer sentences that citation verification removed.
        fallback: why the configured generator's answer was replaced by another one's
            ("" when it was not).
        generation: how the language model wrote its answer (also when verification
            dropped all of it and this is the fallback's); None without a model, or when
            the model failed.
    """

    text: str
    citations: tuple[Citation, ...] = ()
    confidence: float = 0.0
    abstained: bool = False
    short_answer: str = ""
    generator: str = ""
    dropped: int = 0
    fallback: str = ""
    generation: GenerationStats | None = None


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
        confidence: the estimated probability that the answer is right (0 to 1); the
            answerer that produced it decided ``abstained`` from it.
        timings: milliseconds per stage (``retrieve_ms``, ``answer_ms``, ``total_ms``); a
            mapping (stored as a :class:`FloatMap`).
        short_answer: the bare answer span, "" where there is none.
        generator: which backend made the text (``extractive``, ``transformers:...``,
            ``openai:...``).
        dropped: answer sentences removed by citation verification.
        fallback: why the configured generator's answer was replaced ("" when it was not).
        query: the self-contained question retrieval ran on (a follow-up rewritten with
            its earlier topic; the question itself otherwise).
        generation: the language model's token counts and times for this answer (see
            :class:`GenerationStats`); None without a model, or when it failed.
    """

    question: str
    text: str
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    abstained: bool
    confidence: float = 0.0
    timings: Mapping[str, float] = field(default_factory=FloatMap)
    short_answer: str = ""
    generator: str = ""
    dropped: int = 0
    fallback: str = ""
    query: str = ""
    generation: GenerationStats | None = None

    def __post_init__(self) -> None:
        _freeze(self, "timings")
        if not self.query:
            object.__setattr__(self, "query", self.question)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON output."""
        return {
            "question": self.question,
            "answer": self.text,
            "short_answer": self.short_answer,
            "abstained": self.abstained,
            "confidence": self.confidence,
            "generator": self.generator,
            "dropped": self.dropped,
            "fallback": self.fallback,
            "query": self.query,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "timings": dict(self.timings),
            "generation": None if self.generation is None else self.generation.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class AnswerDelta:
    """A piece of an answer being streamed: verified text to append to what came before.

    Attributes:
        text: the next verified sentence(s), markers included; the deltas of one answer
            joined are its :attr:`Answer.text`.
    """

    text: str
