"""Stage 3, sentence ranking: the features of each shortlisted sentence.

One row of :data:`SENTENCE_FEATURES` per sentence, in four groups, each computed by its
own function from what is known of the question once (:class:`_Question`):

* **matching** (:func:`_matching_columns`): coverage of the question's terms (its
  characters and the bigrams inside its words, IDF-weighted) in the sentence, with its
  neighbours, near the interrogative, of its rare terms; the rarest term it lacks, in it
  and in its document;
* **alignment** (:func:`_alignment_columns`): the longest common subsequence with the
  question, the question's context around the interrogative, the alignment slot and
  the signs of a near miss (substitutions, deletions, insertions);
* **the answer** (:func:`_answer_columns`): a value of the expected type the question
  does not state, constraints stated, satisfied or contradicted
  (:func:`~qa.answering.checks.constraint.conflicts`), the attribute and head noun;
* **retrieval and position** (:func:`_source_columns`): the title's coverage, the
  passage's rank and scores, the sentence's place in its document, the question's size
  and answer type;

and, over all the sentences (:func:`_relative_columns`), the coverage of each chunk and
each sentence's coverage relative to the best. The sentence ranker
(:meth:`~qa.answering.extractive.model.ReaderModel.sentence_score`) scores the rows.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import LCSseq

from corpus.normalize import normalize_for_matching
from qa.analysis.question import QuestionAnalysis
from qa.answering.checks.constraint import conflicts
from qa.answering.claims import tagged_words
from qa.answering.extractive.alignment import (
    MAX_ALIGN,
    longest_prefix_in,
    longest_suffix_in,
    occurrence_ends,
    occurrence_starts,
    slot_of,
)
from qa.answering.extractive.sentences import Candidate, PreparedSentence
from qa.answering.extractive.stages.question import (
    TYPE_FEATURES,
    QuestionTerms,
    expected_kinds,
)
from qa.answering.extractive.stages.shortlist import chunk_terms, coverage
from qa.answering.terms import TermStatistics
from qa.lexicon import READER_PUNCTUATION

__all__ = ["SENTENCE_COLUMNS", "SENTENCE_FEATURES", "sentence_features"]

SENTENCE_FEATURES: tuple[str, ...] = (
    "cov",
    "cov_uni",
    "cov_bi",
    "cov_prev",
    "cov_next",
    "cov_chunk",
    "near_cov",
    "lcs",
    "lcs_ratio",
    "align_both",
    "align_gap",
    "title_cov",
    "max_idf_present",
    "rare_cov",
    "new_after_left",
    "new_before_right",
    "top_document",
    "slot_both",
    "slot_gap",
    "missing_max",
    "missing_share",
    "doc_missing_max",
    "doc_missing_share",
    "attr_in_doc",
    "doc_missing_names",
    "doc_missing_name_share",
    "substituted",
    "deleted",
    "inserted",
    "changed_idf",
    "cov_rel",
    "cov_rank",
    "left_match",
    "left_ratio",
    "right_match",
    "right_ratio",
    "typed_match",
    "typed_any",
    "cons_total",
    "cons_sat",
    "cons_conflict",
    "attr_present",
    "head_present",
    "passage_rank",
    "fused_ratio",
    "bm25_ratio",
    "lead",
    "position",
    "length",
    "q_terms",
    "q_len",
    *TYPE_FEATURES,
)

SENTENCE_COLUMNS: dict[str, int] = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
"""Each sentence feature's column."""


@dataclass(frozen=True, slots=True)
class _TermItems:
    """A question's terms with the groups :func:`sentence_features` weighs them in, and
    each group's total weight (summed in the order of ``QuestionTerms.weights``, as
    :func:`~.shortlist.coverage` sums them)."""

    items: tuple[tuple[str, float, bool, bool, bool], ...]  # term, weight, bigram, near, rare
    uni_total: float
    bi_total: float
    near_total: float
    rare_total: float


def _term_items(
    terms: QuestionTerms, near: Mapping[str, float], rare: Mapping[str, float]
) -> _TermItems:
    items = tuple((t, w, len(t) >= 2, t in near, t in rare) for t, w in terms.weights.items())
    uni = bi = 0.0
    for _, w, bigram, _, _ in items:
        if bigram:
            bi += w
        else:
            uni += w
    return _TermItems(items, uni, bi, sum(near.values()), sum(rare.values()))


@dataclass(frozen=True, slots=True)
class _Matches:
    """Weights of a question's terms found in one candidate sentence (and with its
    neighbours), summed in one pass by :func:`_match_terms`."""

    found: float
    found_uni: float
    found_bi: float
    found_prev: float
    found_next: float
    found_near: float
    found_rare: float
    present: bool
    max_present: float
    missing_prev: float
    worst_missing_prev: float


def _match_terms(
    items: _TermItems,
    present: frozenset[str],
    previous: PreparedSentence | None,
    following: PreparedSentence | None,
) -> _Matches:
    """The sums of :class:`_Matches` for a sentence's terms ``present``; the sentence
    with the one before counts for ``found_prev`` and the missing terms, the sentence
    with the one after for ``found_next``."""
    before = previous.terms if previous is not None else frozenset()
    after = following.terms if following is not None else frozenset()
    found = uni = bi = prev = nxt = near_w = rare_w = top = missing = worst = 0.0
    any_present = False
    for t, w, bigram, near, rare in items.items:
        if t in present:
            found += w
            prev += w
            nxt += w
            if bigram:
                bi += w
            else:
                uni += w
            if near:
                near_w += w
            if rare:
                rare_w += w
            top = max(top, w) if any_present else w
            any_present = True
            continue
        if t in before:
            prev += w
        elif bigram:
            missing += w
            worst = max(worst, w)
        if t in after:
            nxt += w
    return _Matches(found, uni, bi, prev, nxt, near_w, rare_w, any_present, top, missing, worst)


@dataclass(frozen=True, slots=True)
class _Question:
    """What every sentence's row reads of the question and the candidates, computed once
    per call; ``title_cov`` and ``doc_missing`` fill as documents are met."""

    terms: QuestionTerms
    stats: TermStatistics
    documents: Mapping[str, Container[str]]
    items: _TermItems
    near: dict[str, float]
    rare: dict[str, float]
    content: str
    question_chars: frozenset[str]
    expected: frozenset[str]
    stated: frozenset[str]
    max_idf: float
    top_fused: float
    top_bm25: float
    top_doc: str
    title_cov: dict[str, float] = field(default_factory=dict)
    names: tuple[tuple[str, ...], ...] = ()
    doc_missing: dict[str, tuple[float, float, float, float, float]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        terms: QuestionTerms,
        candidates: Sequence[Candidate],
        stats: TermStatistics,
        documents: Mapping[str, Container[str]],
    ) -> _Question:
        a = terms.analysis
        near = _near_terms(terms)
        content = "".join(ch for ch in a.content if ch not in READER_PUNCTUATION)
        median = statistics.median(terms.weights.values()) if terms.weights else 0.0
        rare = {t: w for t, w in terms.weights.items() if w > median}
        return cls(
            terms=terms,
            stats=stats,
            documents=documents,
            items=_term_items(terms, near, rare),
            near=near,
            rare=rare,
            content=content,
            question_chars=frozenset(content),
            expected=expected_kinds(a.answer_type),
            stated=frozenset(c.text for c in a.constraints),
            max_idf=max(terms.weights.values(), default=0.0),
            top_fused=max(c.passage.score for c in candidates) or 1.0,
            top_bm25=max(c.passage.scores.get("bm25", 0.0) for c in candidates) or 1.0,
            top_doc=min(candidates, key=lambda c: c.passage.rank).passage.document.id,
            names=_question_names(a.folded, stats),
        )

    @property
    def analysis(self) -> QuestionAnalysis:
        return self.terms.analysis


def sentence_features(
    terms: QuestionTerms,
    candidates: Sequence[Candidate],
    stats: TermStatistics,
    chunks: Mapping[str, frozenset[str]] | None = None,
    documents: Mapping[str, Container[str]] | None = None,
) -> npt.NDArray[np.float32]:
    """One row of :data:`SENTENCE_FEATURES` per candidate sentence.

    Args:
        terms: the question's terms.
        candidates: the sentences to describe (a shortlist, best coverage first).
        stats: the index's term statistics.
        chunks: the matching terms of each chunk (default: from ``candidates``).
        documents: the matching terms of each document (missing terms are judged
            against the sentence alone where a document is not given).
    """
    chunks = chunks if chunks is not None else chunk_terms(candidates)
    out = np.zeros((len(candidates), len(SENTENCE_FEATURES)), dtype=np.float32)
    if not candidates:
        return out
    q = _Question.of(terms, candidates, stats, documents or {})
    width = len(SENTENCE_FEATURES)
    covs = []
    for i, cand in enumerate(candidates):
        row = [0.0] * width
        covs.append(_matching_columns(row, q, cand))
        _alignment_columns(row, q, cand.sentence.folded.text)
        _answer_columns(row, q, cand)
        _source_columns(row, q, cand)
        out[i] = row
    _relative_columns(out, terms, candidates, chunks, covs)
    return out


def _matching_columns(row: list[float], q: _Question, cand: Candidate) -> float:
    """The columns of the question's terms found in the sentence (and with its
    neighbours, and missing from it and its document); returns its coverage."""
    terms, items, col = q.terms, q.items, SENTENCE_COLUMNS
    m = _match_terms(items, cand.sentence.terms, cand.previous, cand.next)
    cov = m.found / terms.total if terms.total > 0 else 0.0
    row[col["cov"]] = cov
    row[col["cov_uni"]] = m.found_uni / items.uni_total if items.uni_total > 0 else 0.0
    row[col["cov_bi"]] = m.found_bi / items.bi_total if items.bi_total > 0 else 0.0
    row[col["cov_prev"]] = m.found_prev / terms.total if terms.total > 0 else 0.0
    row[col["cov_next"]] = m.found_next / terms.total if terms.total > 0 else 0.0
    row[col["near_cov"]] = m.found_near / items.near_total if q.near else 0.0
    row[col["max_idf_present"]] = m.max_present / q.max_idf if m.present and q.max_idf else 0.0
    row[col["rare_cov"]] = m.found_rare / items.rare_total if q.rare else 0.0
    scale = terms.max_idf or 1.0
    row[col["missing_max"]] = m.worst_missing_prev / scale
    row[col["missing_share"]] = m.missing_prev / items.bi_total if items.bi_total else 0.0
    doc = cand.passage.document
    if doc.id in q.documents:
        if doc.id not in q.doc_missing:
            q.doc_missing[doc.id] = _document_columns(q, q.documents[doc.id], doc.title)
        worst, share, attribute, unstated, unstated_share = q.doc_missing[doc.id]
    else:  # no document given: the sentence stands for it
        worst, share, attribute, unstated, unstated_share = _document_columns(
            q, cand.sentence.terms, doc.title
        )
    row[col["doc_missing_max"]] = worst if doc.id in q.documents else row[col["missing_max"]]
    row[col["doc_missing_share"]] = share
    row[col["attr_in_doc"]] = attribute
    row[col["doc_missing_names"]] = unstated
    row[col["doc_missing_name_share"]] = unstated_share
    return cov


def _document_columns(
    q: _Question, document: Container[str], title: str
) -> tuple[float, float, float, float, float]:
    """What a document (its matching terms and its title's) lacks of the question: the
    rarest term missing (scaled), the weighted share missing, whether it states the
    attribute asked about, how many of the question's names it never states (at most 3)
    and their share."""
    present = _Either(frozenset(_tokens(q.stats, title)), document)
    worst, share = _missing(q.terms, present)
    unstated = sum(not all(t in present for t in name) for name in q.names)
    return (
        worst,
        share,
        _attribute_in(q.analysis.attribute, present),
        float(min(unstated, 3)),
        unstated / len(q.names) if q.names else 0.0,
    )


@dataclass(frozen=True, slots=True)
class _Either:
    """The union of two sets of terms, for membership (nothing is copied)."""

    first: Container[str]
    second: Container[str]

    def __contains__(self, term: object) -> bool:
        return term in self.first or term in self.second


_NAME_TAGS = ("nr", "ns", "nt", "nz", "eng")
_BOOK_TITLE = re.compile(r"《([^《》]{1,40})》")
_MODEL_NUMBER = re.compile(r"[a-z0-9][a-z0-9.\-]*")


def _question_names(folded: str, stats: TermStatistics) -> tuple[tuple[str, ...], ...]:
    """The names a question gives, each as its matching terms of two characters or more
    (or its runs of letters and digits): the words jieba's dictionary tags as a person,
    place, organisation or other proper name, book titles, and runs of letters and digits
    that hold a digit (``c-171``, ``1956``). A near miss often names what its article
    never does (another person, place or model)."""
    found: list[str] = [m.group(1) for m in _BOOK_TITLE.finditer(folded)]
    for raw, tag in tagged_words(folded):
        word = raw.strip()
        if tag.startswith(_NAME_TAGS) and len(word) >= 2 and not word.isdigit():
            found.append(word)
    found += [
        m.group(0) for m in _MODEL_NUMBER.finditer(folded) if any(c.isdigit() for c in m.group(0))
    ]
    out = []
    for name in dict.fromkeys(found):
        tokens = tuple(t for t in stats.tokens(name) if len(t) >= 2 or not _is_cjk(t))
        if tokens:
            out.append(tokens)
    return tuple(out)


def _is_cjk(token: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in token)


def _attribute_in(attribute: str, present: Container[str]) -> float:
    """Whether the attribute asked about (``造价`` in ``…的造价是多少``) is stated in a text of
    these matching terms: 1 (every character bigram of it there), 0 (not), -1 (the
    question asks about no attribute). A near miss often asks an attribute its article
    never gives."""
    if not attribute:
        return -1.0
    if len(attribute) == 1:
        return float(attribute in present)
    pairs = [attribute[i : i + 2] for i in range(len(attribute) - 1)]
    return float(all(p in present for p in pairs))


def _alignment_columns(row: list[float], q: _Question, text: str) -> None:
    """The columns of the question aligned to the sentence: common subsequence, context
    around the interrogative, the alignment slot and the signs of a near miss."""
    a, col = q.analysis, SENTENCE_COLUMNS
    left = longest_suffix_in(a.left, text)
    right = longest_prefix_in(a.right, text)
    lcs = LCSseq.similarity(q.content, text) if q.content else 0
    gap = _alignment_gap(text, a.left, left, a.right, right)
    row[col["lcs"]] = lcs
    row[col["lcs_ratio"]] = lcs / len(q.content) if q.content else 0.0
    row[col["align_both"]] = float(gap <= MAX_ALIGN)
    row[col["align_gap"]] = gap
    row[col["new_after_left"]] = _novel_after(text, a.left[-left:], q.question_chars) if left else 0
    row[col["new_before_right"]] = (
        _novel_before(text, a.right[:right], q.question_chars) if right else 0
    )
    slot = slot_of(q.terms, text)
    row[col["slot_both"]] = float(slot.both and slot.gap <= MAX_ALIGN)
    row[col["slot_gap"]] = min(slot.gap, MAX_ALIGN + 1)
    row[col["substituted"]] = slot.substituted
    row[col["deleted"]] = slot.deleted
    row[col["inserted"]] = slot.inserted
    row[col["changed_idf"]] = _changed_idf(q.terms, slot.changed)
    row[col["left_match"]] = left
    row[col["left_ratio"]] = left / len(a.left) if a.left else 0.0
    row[col["right_match"]] = right
    row[col["right_ratio"]] = right / len(a.right) if a.right else 0.0


def _answer_columns(row: list[float], q: _Question, cand: Candidate) -> None:
    """The columns of what the sentence states of the answer: a value of the expected
    type, the question's constraints, its attribute and head noun."""
    a, col, s = q.analysis, SENTENCE_COLUMNS, cand.sentence
    text = s.folded.text
    total, sat, conflict = conflicts(a, s, cand.previous)
    row[col["typed_match"]] = float(
        any(t.kind in q.expected and t.text not in q.stated for t in s.spans)
    )
    row[col["typed_any"]] = float(bool(s.spans))
    row[col["cons_total"]] = total
    row[col["cons_sat"]] = sat
    row[col["cons_conflict"]] = float(conflict)
    row[col["attr_present"]] = float(bool(a.attribute) and a.attribute in text)
    row[col["head_present"]] = float(bool(a.head) and a.head in text)


def _source_columns(row: list[float], q: _Question, cand: Candidate) -> None:
    """The columns of where the sentence comes from (its document's title, the passage's
    rank and scores, its place in the document) and of the question's size and type."""
    a, col, s = q.analysis, SENTENCE_COLUMNS, cand.sentence
    doc = cand.passage.document
    if doc.id not in q.title_cov:
        q.title_cov[doc.id] = coverage(q.terms, frozenset(_tokens(q.stats, doc.title)))
    bm25 = cand.passage.scores.get("bm25", 0.0)
    row[col["title_cov"]] = q.title_cov[doc.id]
    row[col["top_document"]] = float(doc.id == q.top_doc)
    row[col["passage_rank"]] = cand.passage.rank
    row[col["fused_ratio"]] = cand.passage.score / q.top_fused
    row[col["bm25_ratio"]] = bm25 / q.top_bm25 if q.top_bm25 > 0 else 0.0
    row[col["lead"]] = float(s.lead)
    row[col["position"]] = s.position
    row[col["length"]] = math.log1p(len(s.folded.text))
    row[col["q_terms"]] = len(q.terms.weights)
    row[col["q_len"]] = len(a.folded)
    row[col[f"type_{a.answer_type}"]] = 1.0


def _relative_columns(
    out: npt.NDArray[np.float32],
    terms: QuestionTerms,
    candidates: Sequence[Candidate],
    chunks: Mapping[str, frozenset[str]],
    covs: Sequence[float],
) -> None:
    """The columns that compare sentences: their chunk's coverage, and their coverage
    relative to the best sentence's and its rank."""
    col = SENTENCE_COLUMNS
    chunk_cov: dict[str, float] = {}
    for i, cand in enumerate(candidates):
        cid = cand.passage.chunk.id
        if cid not in chunk_cov:
            chunk_cov[cid] = coverage(terms, chunks.get(cid, cand.sentence.terms))
        out[i, col["cov_chunk"]] = chunk_cov[cid]
    best = max(covs)
    order = sorted(range(len(covs)), key=lambda j: -covs[j])
    for rank, j in enumerate(order, start=1):
        out[j, col["cov_rel"]] = covs[j] / best if best > 0 else 0.0
        out[j, col["cov_rank"]] = rank


def _tokens(stats: TermStatistics, text: str) -> list[str]:
    """The matching terms of an unfolded text."""
    return stats.tokens(normalize_for_matching(text)) if text else []


def _changed_idf(terms: QuestionTerms, changed: Sequence[str]) -> float:
    """The highest IDF (scaled by the question's highest) of the question's terms that
    overlap a substituted or deleted stretch."""
    if not changed:
        return 0.0
    worst = 0.0
    for t, w in terms.weights.items():
        if w <= worst:
            continue
        pair = len(t) == 2
        for piece in changed:
            if t in piece or (pair and (t[0] in piece or t[1] in piece)):
                worst = w
                break
    return worst / (terms.max_idf or 1.0)


def _missing(terms: QuestionTerms, present: Container[str]) -> tuple[float, float]:
    """The IDF of the rarest question term (two characters or more) missing from
    ``present``, scaled by the question's highest IDF, and the weighted share missing."""
    worst = missing = total = 0.0
    for t, w in terms.bigram_items:
        total += w
        if t not in present:
            missing += w
            worst = max(worst, w)
    scale = terms.max_idf or 1.0
    return worst / scale, (missing / total if total else 0.0)


def _near_terms(terms: QuestionTerms, width: int = 6) -> dict[str, float]:
    """The question's terms next to the interrogative: the last ``width`` characters of
    the left context and the first of the right (the words an answer sits between)."""
    a = terms.analysis
    near_text = a.left[-width:] + " " + a.right[:width]
    return {t: w for t, w in terms.weights.items() if t in near_text}


def _novel_after(text: str, needle: str, question_chars: frozenset[str]) -> int:
    """Characters not in the question right after the first occurrence of ``needle``
    (an answer slot after the question's left context), at most 10."""
    i = text.find(needle)
    if i < 0:
        return 0
    n, j = 0, i + len(needle)
    while (
        j < len(text)
        and n < 10
        and text[j] not in question_chars
        and text[j] not in READER_PUNCTUATION
    ):
        n, j = n + 1, j + 1
    return n


def _novel_before(text: str, needle: str, question_chars: frozenset[str]) -> int:
    """Characters not in the question right before the first occurrence of ``needle``."""
    i = text.find(needle)
    n, j = 0, i - 1
    while (
        i > 0
        and j >= 0
        and n < 10
        and text[j] not in question_chars
        and text[j] not in READER_PUNCTUATION
    ):
        n, j = n + 1, j - 1
    return n


def _alignment_gap(text: str, left: str, left_len: int, right: str, right_len: int) -> float:
    """Characters between an occurrence of the question's left context (its longest
    suffix found, at least 2 characters) and a later one of its right context (longest
    prefix found); ``MAX_ALIGN + 1`` where there is no such pair."""
    none = float(MAX_ALIGN + 1)
    if left_len < 2 or right_len < 2:
        return none
    ends = occurrence_ends(text, left[-left_len:])
    starts = occurrence_starts(text, right[:right_len])
    gaps = [b - a for a in ends for b in starts if b >= a]
    return float(min(gaps)) if gaps and min(gaps) <= MAX_ALIGN else none
