"""Stage 5, span ranking: the features of each candidate span.

One row of :data:`SPAN_FEATURES` per span, in five groups, each its own function:

* **shape** (:func:`_shape_columns`): length, share of its clause, where it came from,
  its typed kind, commas, digits, CJK share, place in the sentence;
* **type** (:func:`_type_columns`): whether it is or holds a value of the expected
  type, name suffixes of organisations and places, a surname at its start, and how
  typical its first and last characters are of answers of this type
  (:class:`CharTables`, fitted on training answers);
* **the question** (:func:`_question_columns`): overlap with the question, adjacency to
  its context, distance to its matched terms, its head noun;
* **edges** (:func:`_edge_columns`): function words at its edges, whether its edges
  cut a common character bigram (cohesion, from the corpus's IDF), and jieba's reading
  of the sentence (word boundaries, words covered, the part of speech of its first and
  last word: :func:`~qa.answering.extractive.words.sentence_words`);
* **the slot** (:func:`_slot_columns`): how it lies against the alignment slot.

What a sentence gives all its spans (prefix counts of character classes, so a span's
shares cost O(1); the cohesion of the bigram at each offset) is computed once per
sentence (:class:`_SpanSentence`). The span ranker
(:meth:`~qa.answering.extractive.model.ReaderModel.span_score`) scores the rows.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

import numpy as np
import numpy.typing as npt

from corpus.sentences import clause_spans
from qa.answering.extractive.alignment import Slot, slot_of
from qa.answering.extractive.sentences import Candidate, PreparedSentence
from qa.answering.extractive.stages.question import (
    TYPE_FEATURES,
    QuestionTerms,
    expected_kinds,
)
from qa.answering.extractive.stages.span_candidates import SpanCandidate
from qa.answering.extractive.words import TAG_CLASSES, SentenceWords, sentence_words
from qa.answering.terms import TermStatistics
from qa.lexicon import (
    CLAUSE_COMMAS,
    FUNCTION_CHARS,
    ORGANIZATION_SUFFIXES,
    PLACE_SUFFIXES,
    READER_PUNCTUATION,
    SURNAMES,
)

__all__ = [
    "SPAN_COLUMNS",
    "SPAN_FEATURES",
    "SPAN_KINDS",
    "CharTables",
    "span_features",
]

SPAN_KINDS: tuple[str, ...] = (
    "none",
    "date",
    "year",
    "era",
    "time",
    "period",
    "ordinal",
    "percent",
    "quantity",
    "number",
    "quote",
    "title",
)
SPAN_FEATURES: tuple[str, ...] = (
    "length",
    "log_length",
    "clause_share",
    "is_clause",
    "is_sentence",
    "from_typed",
    "from_chunk",
    "from_align",
    "from_strip",
    "from_word",
    *(f"kind_{k}" for k in SPAN_KINDS),
    "holds_expected",
    "type_compatible",
    "org_suffix",
    "place_suffix",
    "person_like",
    "q_overlap",
    "q_bigram_inside",
    "left_adj",
    "right_adj",
    "dist_left",
    "dist_right",
    "clause_cov",
    "starts_function",
    "ends_function",
    "has_comma",
    "has_digit",
    "cjk_share",
    "head_after",
    "head_inside",
    "rel_start",
    "start_cohesion",
    "end_cohesion",
    "inner_cohesion",
    "surname_start",
    "terms_before",
    "terms_after",
    "first_char_score",
    "last_char_score",
    "from_slot",
    "slot_iou",
    "slot_start_gap",
    "slot_end_gap",
    "in_slot",
    "start_boundary",
    "end_boundary",
    "span_words",
    *(f"first_tag_{t}" for t in TAG_CLASSES),
    *(f"last_tag_{t}" for t in TAG_CLASSES),
    *TYPE_FEATURES,
)

SPAN_COLUMNS: dict[str, int] = {name: i for i, name in enumerate(SPAN_FEATURES)}
"""Each span feature's column."""


@dataclass(frozen=True, slots=True)
class CharTables:
    """How typical a span's first and last character are of answers of each type.

    ``first[type][char]`` is the log-odds of ``char`` starting a gold answer of that
    answer type against starting any candidate span (likewise ``last`` for the final
    character); characters not listed score 0. Fitted on training questions by
    :mod:`.training` and stored in the model file.
    """

    first: dict[str, dict[str, float]] = field(default_factory=dict)
    last: dict[str, dict[str, float]] = field(default_factory=dict)

    def score(self, answer_type: str, first: str, last: str) -> tuple[float, float]:
        """The first- and last-character scores of a span."""
        return (
            self.first.get(answer_type, {}).get(first, 0.0),
            self.last.get(answer_type, {}).get(last, 0.0),
        )


def _common_suffix(a: str, b: str, cap: int = 10) -> int:
    n = 0
    while n < cap and n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str, cap: int = 10) -> int:
    n = 0
    while n < cap and n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def _prefix_counts(text: str, test: Callable[[str], bool]) -> list[int]:
    """``out[i]``: how many of the first ``i`` characters of ``text`` pass ``test``."""
    return list(accumulate(map(test, text), int.__add__, initial=0))


def _cjk_prefix_counts(text: str) -> list[int]:
    """``out[i]``: how many of the first ``i`` characters of ``text`` are CJK ideographs
    (U+4E00..U+9FFF)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return [0, *np.cumsum((codes >= 0x4E00) & (codes <= 0x9FFF)).tolist()]


@dataclass(frozen=True, slots=True)
class _SpanSentence:
    """What :func:`span_features` needs of one candidate sentence, computed once for all
    of its spans: prefix counts of character classes, so a span's shares cost O(1), and
    the cohesion of the bigram at each offset."""

    text: str
    starts: list[int]
    ends: list[int]
    first_end_from: list[int]
    clauses: tuple[tuple[int, int], ...]
    clause_terms: tuple[tuple[tuple[str, float], ...], ...]
    slot: Slot
    words: SentenceWords
    expected_spans: tuple[tuple[int, int], ...]
    cjk: list[int]
    digits: list[int]
    commas: list[int]
    letters: list[int]
    asked: list[int]
    cohesion: list[float]


def _span_sentence(
    terms: QuestionTerms,
    sentence: PreparedSentence,
    marked: bytearray,
    cohesion: Mapping[str, float],
    question_chars: frozenset[str],
    expected: frozenset[str],
) -> _SpanSentence:
    text = sentence.folded.text
    occ: list[tuple[int, int]] = []
    for term in terms.bigrams:
        j = text.find(term)
        while j >= 0:
            occ.append((j, j + len(term)))
            j = text.find(term, j + 1)
    occ.sort()
    # first_end_from[k]: the earliest end of the occurrences from the k-th start on.
    first_end_from = [*accumulate((oe for _, oe in reversed(occ)), min), len(text) + 1]
    first_end_from[:-1] = first_end_from[-2::-1]
    clauses = tuple(clause_spans(text))
    bigram_weights = [(t, terms.weights[t]) for t in terms.bigrams]
    clause_terms = tuple(
        tuple((t, w) for t, w in bigram_weights if t in text[cs:ce]) for cs, ce in clauses
    )
    # Only the offsets some span reads have a cohesion; the others are never read.
    coh = [cohesion.get(text[j : j + 2], 1.0) if marked[j] else 1.0 for j in range(len(text) - 1)]
    return _SpanSentence(
        text,
        [os_ for os_, _ in occ],
        sorted(oe for _, oe in occ),
        first_end_from,
        clauses,
        clause_terms,
        slot_of(terms, text),
        sentence_words(text),
        tuple((t.start, t.end) for t in sentence.spans if t.kind in expected),
        _cjk_prefix_counts(text),
        _prefix_counts(text, str.isdigit),
        _prefix_counts(text, CLAUSE_COMMAS.__contains__),
        [i - p for i, p in enumerate(_prefix_counts(text, READER_PUNCTUATION.__contains__))],
        _prefix_counts(text, question_chars.__contains__),
        coh,
    )


def _marked_offsets(
    candidates: Sequence[Candidate], spans: Sequence[SpanCandidate]
) -> dict[int, bytearray]:
    """For each sentence, the offsets whose bigram some span reads: the two at its edges
    (``text[s-1:s+1]``, ``text[e-1:e+1]``) and those inside it."""
    marked: dict[int, bytearray] = {}
    for span in spans:
        text = candidates[span.sentence].sentence.folded.text
        n = len(text)
        mark = marked.get(span.sentence)
        if mark is None:
            mark = marked[span.sentence] = bytearray(max(n - 1, 0))
        s, e = span.start, span.end
        if e - 1 > s:
            mark[s : e - 1] = b"\x01" * (e - 1 - s)
        for i in (s - 1, e - 1):
            if 0 <= i and i + 2 <= n:
                mark[i] = 1
    return marked


def _cohesion(
    stats: TermStatistics, candidates: Sequence[Candidate], marked: Mapping[int, bytearray]
) -> dict[str, float]:
    """IDF of every bigram at or inside a span's edges (``marked`` offsets), scaled to
    0..1 (0: the bigram is everywhere, so a span edge through it cuts a common word)."""
    wanted: set[str] = set()
    for idx, mark in marked.items():
        text = candidates[idx].sentence.folded.text
        wanted.update(text[j : j + 2] for j, m in enumerate(mark) if m)
    if not wanted:
        return {}
    grams = sorted(wanted)
    idf = stats.idf(grams)
    top = float(idf.max()) or 1.0
    return {g: float(v) / top for g, v in zip(grams, idf, strict=True)}


@dataclass(frozen=True, slots=True)
class _Question:
    """What every span's row reads of the question, computed once per call."""

    terms: QuestionTerms
    expected: frozenset[str]
    question_chars: frozenset[str]
    total_weight: float
    first_scores: Mapping[str, float]
    last_scores: Mapping[str, float]

    @classmethod
    def of(cls, terms: QuestionTerms, tables: CharTables) -> _Question:
        a = terms.analysis
        return cls(
            terms=terms,
            expected=expected_kinds(a.answer_type),
            question_chars=frozenset(a.content) - READER_PUNCTUATION - {" "},
            total_weight=sum(terms.weights[t] for t in terms.bigrams) or 1.0,
            first_scores=tables.first.get(a.answer_type, {}),
            last_scores=tables.last.get(a.answer_type, {}),
        )


def span_features(
    terms: QuestionTerms,
    candidates: Sequence[Candidate],
    spans: Sequence[SpanCandidate],
    stats: TermStatistics,
    tables: CharTables | None = None,
) -> npt.NDArray[np.float32]:
    """One row of :data:`SPAN_FEATURES` per span candidate (the character scores are 0
    without ``tables``)."""
    q = _Question.of(terms, tables or CharTables())
    marked = _marked_offsets(candidates, spans)
    cohesion = _cohesion(stats, candidates, marked)
    out = np.zeros((len(spans), len(SPAN_FEATURES)), dtype=np.float32)
    sentences: dict[int, _SpanSentence] = {}
    width = len(SPAN_FEATURES)
    type_col = SPAN_COLUMNS[f"type_{terms.analysis.answer_type}"]
    for i, span in enumerate(spans):
        ctx = sentences.get(span.sentence)
        if ctx is None:
            ctx = sentences[span.sentence] = _span_sentence(
                terms,
                candidates[span.sentence].sentence,
                marked[span.sentence],
                cohesion,
                q.question_chars,
                q.expected,
            )
        row = [0.0] * width
        clause_index = _shape_columns(row, ctx, span)
        _type_columns(row, q, ctx, span)
        _question_columns(row, q, ctx, span, clause_index)
        _edge_columns(row, ctx, span)
        _slot_columns(row, ctx, span)
        row[type_col] = 1.0
        out[i] = row
    return out


def _shape_columns(row: list[float], ctx: _SpanSentence, span: SpanCandidate) -> int:
    """The columns of the span's size, sources, kind and characters; returns the index
    of the clause it starts in (-1 when none)."""
    c, text = SPAN_COLUMNS, ctx.text
    n = len(text)
    s, e = span.start, span.end
    length = e - s
    clause_index = next((k for k, (cs, ce) in enumerate(ctx.clauses) if cs <= s < ce), -1)
    clause_len = (
        ctx.clauses[clause_index][1] - ctx.clauses[clause_index][0] if clause_index >= 0 else n
    )
    sources = span.sources
    row[c["length"]] = length
    row[c["log_length"]] = math.log1p(length)
    row[c["clause_share"]] = length / max(1, clause_len)
    row[c["is_clause"]] = float("clause" in sources)
    row[c["is_sentence"]] = float("sentence" in sources)
    row[c["from_typed"]] = float("typed" in sources)
    row[c["from_chunk"]] = float("chunk" in sources)
    row[c["from_align"]] = float("align" in sources)
    row[c["from_strip"]] = float("strip" in sources)
    row[c["from_word"]] = float("word" in sources)
    row[c[f"kind_{span.kind}"]] = 1.0
    row[c["has_comma"]] = float(ctx.commas[e] > ctx.commas[s])
    row[c["has_digit"]] = float(ctx.digits[e] > ctx.digits[s])
    row[c["cjk_share"]] = (ctx.cjk[e] - ctx.cjk[s]) / max(1, length)
    row[c["rel_start"]] = s / max(1, n)
    return clause_index


def _type_columns(row: list[float], q: _Question, ctx: _SpanSentence, span: SpanCandidate) -> None:
    """The columns of how the span fits the expected answer type."""
    c = SPAN_COLUMNS
    s, e = span.start, span.end
    piece = ctx.text[s:e]
    length = e - s
    row[c["holds_expected"]] = float(any(s <= ts and te <= e for ts, te in ctx.expected_spans))
    row[c["type_compatible"]] = float(span.kind in q.expected)
    row[c["org_suffix"]] = float(piece.endswith(ORGANIZATION_SUFFIXES))
    row[c["place_suffix"]] = float(piece.endswith(PLACE_SUFFIXES))
    row[c["person_like"]] = float("·" in piece or "•" in piece)
    row[c["surname_start"]] = float(
        2 <= length <= 4 and piece[0] in SURNAMES and ctx.cjk[e] - ctx.cjk[s] == length
    )
    row[c["first_char_score"]] = q.first_scores.get(piece[:1], 0.0)
    row[c["last_char_score"]] = q.last_scores.get(piece[-1:], 0.0)


def _question_columns(
    row: list[float], q: _Question, ctx: _SpanSentence, span: SpanCandidate, clause_index: int
) -> None:
    """The columns of the question around and inside the span: its characters, its
    terms' occurrences ending by its start and starting from its end, its context and
    its head noun."""
    c, text = SPAN_COLUMNS, ctx.text
    a = q.terms.analysis
    s, e = span.start, span.end
    piece = text[s:e]
    head = a.head
    letters = ctx.letters[e] - ctx.letters[s]
    row[c["q_overlap"]] = (ctx.asked[e] - ctx.asked[s]) / letters if letters else 1.0
    # The question's terms around the span: occurrences ending by its start, starting
    # from its end, and whether one lies inside it.
    starts, ends = ctx.starts, ctx.ends
    left_end = bisect_right(ends, s)
    right_start = bisect_left(starts, e)
    row[c["q_bigram_inside"]] = float(ctx.first_end_from[bisect_left(starts, s)] <= e)
    row[c["left_adj"]] = _common_suffix(a.left, text[:s])
    row[c["right_adj"]] = _common_prefix(a.right, text[e:])
    row[c["dist_left"]] = min(s - ends[left_end - 1], 30) if left_end else 30
    row[c["dist_right"]] = min(starts[right_start] - e, 30) if right_start < len(starts) else 30
    if clause_index >= 0:
        # Question terms in the span's clause but outside the span.
        row[c["clause_cov"]] = (
            sum(w for t, w in ctx.clause_terms[clause_index] if t not in piece) / q.total_weight
        )
    row[c["head_after"]] = float(bool(head) and text[e : e + len(head)] == head)
    row[c["head_inside"]] = float(bool(head) and head in piece)
    row[c["terms_before"]] = left_end - bisect_left(ends, s - 10)
    row[c["terms_after"]] = bisect_right(starts, e + 10) - right_start


def _edge_columns(row: list[float], ctx: _SpanSentence, span: SpanCandidate) -> None:
    """The columns of the span's edges: function words, the cohesion of the bigrams
    they cut, jieba's word boundaries and the parts of speech of the words at them."""
    c, text = SPAN_COLUMNS, ctx.text
    n = len(text)
    s, e = span.start, span.end
    piece = text[s:e]
    row[c["starts_function"]] = float(piece[:1] in FUNCTION_CHARS)
    row[c["ends_function"]] = float(piece[-1:] in FUNCTION_CHARS)
    coh = ctx.cohesion
    row[c["start_cohesion"]] = coh[s - 1] if s > 0 else 1.0
    row[c["end_cohesion"]] = coh[e - 1] if e < n else 1.0
    row[c["inner_cohesion"]] = min(coh[s : e - 1]) if e - 1 > s else 1.0
    w = ctx.words
    row[c["start_boundary"]] = float(s in w.starts)
    row[c["end_boundary"]] = float(e in w.ends)
    if e - s and len(w.word_of) == n:
        first_word, last_word = w.word_of[s], w.word_of[e - 1]
        row[c["span_words"]] = min(last_word - first_word + 1, 10)
        row[c[f"first_tag_{w.tags[first_word]}"]] = 1.0
        row[c[f"last_tag_{w.tags[last_word]}"]] = 1.0


def _slot_columns(row: list[float], ctx: _SpanSentence, span: SpanCandidate) -> None:
    """The columns of the span against the alignment slot: overlap, distance of its
    edges, whether it lies inside."""
    c = SPAN_COLUMNS
    n = len(ctx.text)
    s, e = span.start, span.end
    slot = ctx.slot
    row[c["from_slot"]] = float("slot" in span.sources)
    if slot.start >= 0 or slot.end >= 0:
        lo = slot.start if slot.start >= 0 else 0
        hi = slot.end if slot.end > lo else n
        overlap = max(0, min(e, hi) - max(s, lo))
        union = max(e, hi) - min(s, lo)
        row[c["slot_iou"]] = overlap / union if union else 0.0
        row[c["slot_start_gap"]] = min(abs(s - lo), 30) if slot.start >= 0 else 30
        row[c["slot_end_gap"]] = min(abs(e - hi), 30) if slot.end >= 0 else 30
        row[c["in_slot"]] = float(lo <= s and e <= hi)
    else:
        row[c["slot_start_gap"]] = row[c["slot_end_gap"]] = 30
