"""Stage 4, span candidates: where in the chosen sentence the answer may be.

Candidates come from six sources, each its own function, tried in this order for each
sentence (their order is the order of the span ranker's rows, and ties go to the first):

* the whole sentence, then its **typed** spans (dates, quantities, percentages,
  ordinals, quoted and book-titled names: :func:`~qa.analysis.spans.typed_spans`);
* per clause (:func:`_clause_candidates`): the **clause**, the clause **strip** ped of the
  words it shares with the question at either end, and **chunks** between function
  characters and punctuation, alone and in runs of up to three;
* runs of jieba **word** s that start and end with a name, numeral, time or noun
  (:func:`_word_candidates`);
* the **slot** the aligned question leaves open (:func:`_slot_candidates`);
* spans **align** ed between the question's left and right context
  (:func:`_aligned_candidates`).

Each also comes without the preposition, copula or naming verb it starts with
(:data:`~qa.lexicon.LEAD_WORDS`: ``位于杭州市滨江区`` gives ``杭州市滨江区`` too); a span
the question itself contains is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from corpus.sentences import clause_spans
from qa.answering.extractive.alignment import (
    MAX_ALIGN,
    longest_prefix_in,
    longest_suffix_in,
    occurrence_ends,
    occurrence_starts,
    slot_of,
)
from qa.answering.extractive.sentences import Candidate
from qa.answering.extractive.stages.question import QuestionTerms
from qa.answering.extractive.words import CONTENT_TAGS, sentence_words
from qa.lexicon import FUNCTION_CHARS, LEAD_WORDS, READER_PUNCTUATION

__all__ = ["MAX_SPAN", "SpanCandidate", "lead_length", "span_candidates", "trim"]

MAX_SPAN = 60
"""The longest candidate span, in characters."""


@dataclass(frozen=True, slots=True)
class SpanCandidate:
    """A candidate answer inside a sentence (offsets into the folded sentence text).

    Attributes:
        sentence: index of the candidate sentence it belongs to.
        start: start offset in the folded sentence.
        end: end offset (exclusive).
        sources: how it was found (``typed``, ``chunk``, ``word``, ``align``, ``slot``,
            ``strip``, ``clause``, ``sentence``).
        kind: the typed-span kind when it is one exactly, else ``none``.
    """

    sentence: int
    start: int
    end: int
    sources: frozenset[str]
    kind: str = "none"


def trim(text: str, s: int, e: int) -> tuple[int, int]:
    """``[s, e)`` without surrounding punctuation and spaces."""
    while s < e and text[s] in READER_PUNCTUATION:
        s += 1
    while e > s and text[e - 1] in READER_PUNCTUATION:
        e -= 1
    return s, e


_LEAD_FIRST = frozenset(lead[0] for lead in LEAD_WORDS)


def lead_length(text: str, s: int, e: int) -> int:
    """The length of the word of :data:`~qa.lexicon.LEAD_WORDS` that ``text[s:e]``
    starts with, where at least two characters follow it (0 when none)."""
    if text[s : s + 1] not in _LEAD_FIRST:
        return 0
    for lead in LEAD_WORDS:
        if text.startswith(lead, s) and e - s - len(lead) >= 2:
            return len(lead)
    return 0


@dataclass(slots=True)
class _Found:
    """The spans found so far in one call, in the order found, with their sources and,
    for typed spans, their kind."""

    question: str
    found: dict[tuple[int, int, int], set[str]] = field(default_factory=dict)
    kinds: dict[tuple[int, int, int], str] = field(default_factory=dict)

    def add(self, idx: int, s: int, e: int, source: str, text: str) -> None:
        """Add ``text[s:e]`` of sentence ``idx`` (trimmed), and the same without the
        word that introduces it."""
        question = self.question
        s, e = trim(text, s, e)
        if e <= s or e - s > MAX_SPAN or text[s:e] in question:
            return
        self.found.setdefault((idx, s, e), set()).add(source)
        # The same span without the preposition, copula or naming verb that introduces
        # it (为…, 位于…, 称…): found the same way, so it carries the same source.
        lead = lead_length(text, s, e)
        if lead and text[s + lead : e] not in question:
            self.found.setdefault((idx, s + lead, e), set()).add(source)

    def candidates(self) -> list[SpanCandidate]:
        return [
            SpanCandidate(idx, s, e, frozenset(sources), self.kinds.get((idx, s, e), "none"))
            for (idx, s, e), sources in self.found.items()
        ]


def span_candidates(
    terms: QuestionTerms, candidates: Sequence[Candidate], chosen: Sequence[int]
) -> list[SpanCandidate]:
    """Candidate answer spans in the chosen sentences.

    Spans come from typed patterns (dates, quantities, names in quotes), from chunks
    between function characters and punctuation (and runs of up to three of them), from
    runs of up to three jieba words bounded by content words, from
    aligning the question's left and right context around the interrogative, from
    clauses with the words they share with the question stripped off their ends, and
    whole clauses and sentences. Spans the question itself contains are dropped.
    """
    spans = _Found(terms.analysis.folded)
    for idx in chosen:
        sentence = candidates[idx].sentence
        text = sentence.folded.text
        spans.add(idx, 0, len(text), "sentence", text)
        for t in sentence.spans:
            spans.add(idx, t.start, t.end, "typed", text)
            spans.kinds.setdefault((idx, *trim(text, t.start, t.end)), t.kind)
        clauses = clause_spans(text)
        for cs, ce in clauses:
            _clause_candidates(spans, idx, text, cs, ce)
        _word_candidates(spans, idx, text, clauses)
        _slot_candidates(spans, idx, text, clauses, terms)
        _aligned_candidates(spans, idx, text, clauses, terms)
    return spans.candidates()


def _clause_candidates(spans: _Found, idx: int, text: str, cs: int, ce: int) -> None:
    """The clause ``text[cs:ce]``, the clause stripped of the question's words at its
    ends, and the chunks between function characters and punctuation (and runs of up
    to three of them)."""
    question = spans.question
    spans.add(idx, cs, ce, "clause", text)
    # The clause without the words it shares with the question at either end.
    s, e = trim(text, cs, ce)
    while s < e and text[s] in question:
        s += 1
    while e > s and text[e - 1] in question:
        e -= 1
    spans.add(idx, s, e, "strip", text)
    # Chunks between function characters and punctuation, and runs of them.
    bounds: list[tuple[int, int]] = []
    start = None
    for i in range(cs, ce):
        if text[i] in FUNCTION_CHARS or text[i] in READER_PUNCTUATION:
            if start is not None:
                bounds.append((start, i))
                start = None
        elif start is None:
            start = i
    if start is not None:
        bounds.append((start, ce))
    for j in range(len(bounds)):
        for k in range(j, min(j + 3, len(bounds))):
            spans.add(idx, bounds[j][0], bounds[k][1], "chunk", text)


MAX_WORD_RUN = 3
"""The most jieba words a word-run candidate holds."""


def _word_candidates(
    spans: _Found, idx: int, text: str, clauses: Sequence[tuple[int, int]]
) -> None:
    """Runs of one to :data:`MAX_WORD_RUN` jieba words inside a clause that start and end
    with a name, numeral, time or noun (:data:`~qa.answering.extractive.words.CONTENT_TAGS`):
    the names that chunks miss because no function character or punctuation bounds
    them (``韦弗尔指出`` gives ``韦弗尔``)."""
    words = sentence_words(text)
    if len(words.word_of) != len(text):
        return
    bounds, tags = words.bounds, words.tags
    clause_of = [-1] * len(text)
    for k, (cs, ce) in enumerate(clauses):
        clause_of[cs:ce] = [k] * (ce - cs)
    for j, (ws, _) in enumerate(bounds):
        if tags[j] not in CONTENT_TAGS:
            continue
        for k in range(j, min(j + MAX_WORD_RUN, len(bounds))):
            we = bounds[k][1]
            if clause_of[ws] < 0 or clause_of[we - 1] != clause_of[ws]:
                break
            if tags[k] in CONTENT_TAGS:
                spans.add(idx, ws, we, "word", text)


def _slot_candidates(
    spans: _Found,
    idx: int,
    text: str,
    clauses: Sequence[tuple[int, int]],
    terms: QuestionTerms,
) -> None:
    """The slot the aligned question leaves open (to the end or from the start of its
    clause where only one side aligns)."""
    slot = slot_of(terms, text)
    if slot.both and slot.gap <= MAX_ALIGN:
        spans.add(idx, slot.start, slot.end, "slot", text)
    elif slot.start >= 0:
        clause_end = next((ce for cs, ce in clauses if cs <= slot.start < ce), len(text))
        spans.add(idx, slot.start, clause_end, "slot", text)
    elif slot.end > 0:
        clause_start = next((cs for cs, ce in clauses if cs < slot.end <= ce), 0)
        spans.add(idx, clause_start, slot.end, "slot", text)


def _aligned_candidates(
    spans: _Found,
    idx: int,
    text: str,
    clauses: Sequence[tuple[int, int]],
    terms: QuestionTerms,
) -> None:
    """Spans after an occurrence of the question's left context (to the next occurrence
    of its right context, and to the end of the clause) and before one of its right
    context (from the start of the clause)."""
    a = terms.analysis
    left = longest_suffix_in(a.left, text, cap=12)
    right = longest_prefix_in(a.right, text, cap=12)
    starts = occurrence_ends(text, a.left[-left:]) if left else []
    ends = occurrence_starts(text, a.right[:right]) if right else []
    for s in starts:
        later = [e for e in ends if s < e <= s + MAX_ALIGN]
        if later:
            spans.add(idx, s, later[0], "align", text)
        clause_end = next((ce for cs, ce in clauses if cs <= s < ce), len(text))
        spans.add(idx, s, clause_end, "align", text)
    for e in ends:
        clause_start = next((cs for cs, ce in clauses if cs < e <= ce), 0)
        spans.add(idx, clause_start, e, "align", text)
